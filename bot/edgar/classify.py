"""Filings -> deal events. Pure functions: the table tests drive them directly.

Only strong evidence changes a status: an 8-K Item 2.01 (completion) or 1.02 (termination)
filed by the acquirer or the target whose text names the other party. Everything else that
looks like deal traffic is a signal, shown but never taken as a new status: a Form 25 or 15
(delisting also follows debt redemptions and bankruptcies), an 8-K/A (it repeats an earlier
report), an 8-K Item 1.01, 425, S-4, tender-offer and merger-proxy filings.
"""

from __future__ import annotations

import re

from bot.edgar.types import Classified, Filing, WatchedDeal

ANNOUNCEMENT_FORMS = {
    "425": "a Rule 425 communication about the deal",
    "S-4": "a registration of shares for a merger (S-4)",
    "S-4/A": "an amended merger registration (S-4/A)",
    "SC TO-T": "a tender offer (SC TO-T)",
    "SC TO-T/A": "an amended tender offer (SC TO-T/A)",
    "SC TO-C": "a pre-commencement tender-offer communication (SC TO-C)",
    "SC 14D9": "the target's response to a tender offer (SC 14D9)",
    "SC 14D9/A": "an amended tender-offer response (SC 14D9/A)",
    "DEFM14A": "a definitive merger proxy (DEFM14A)",
    "PREM14A": "a preliminary merger proxy (PREM14A)",
}
DELISTING_FORMS = ("25", "25-NSE")
DEREGISTRATION_FORMS = ("15-12B", "15-12G", "15-15D", "15F-12B", "15F-12G", "15F-15D")
# 8-K items whose filing is worth reading (the text must name the other party).
READ_ITEMS = ("2.01", "1.02")


def needs_text(filing: Filing) -> bool:
    """Whether classifying this filing needs its main document's text."""
    return filing.form == "8-K" and any(i in filing.items for i in READ_ITEMS)


def names_party(text: str, names: tuple[str, ...]) -> bool:
    """True when `text` names any of `names` as whole words (case and punctuation ignored)."""
    haystack = " " + re.sub(r"[^0-9a-z]+", " ", text.casefold()) + " "
    for name in names:
        needle = re.sub(r"[^0-9a-z]+", " ", name.casefold()).strip()
        if len(needle) >= 2 and f" {needle} " in haystack:
            return True
    return False


def classify(deal: WatchedDeal, filing: Filing, role: str, text: str | None) -> Classified | None:
    """What `filing` (in the `role` party's list) means for `deal`; None when nothing."""
    other = deal.other(role)
    party = deal.party(role).name
    items = set(filing.items)
    form = filing.form
    if form == "8-K":
        if "5.06" in items:  # a de-SPAC "super 8-K", not this deal
            return None
        named = text is not None and names_party(text, other.names)
        if "2.01" in items:
            if named:
                return Classified(
                    "completed",
                    True,
                    f"{party} reported completing the deal with {other.name} (8-K Item 2.01)",
                )
            return Classified(
                "signal",
                False,
                f"{party} filed an 8-K Item 2.01 (completion of an acquisition or disposition) "
                f"that does not name {other.name}",
            )
        if "1.02" in items:
            if named:
                return Classified(
                    "terminated",
                    True,
                    f"{party} reported terminating its agreement with {other.name} (8-K Item 1.02)",
                )
            return Classified(
                "signal",
                False,
                f"{party} terminated an agreement (8-K Item 1.02) that does not name {other.name}",
            )
        if "1.01" in items:
            return Classified(
                "announced",
                False,
                f"{party} entered a material agreement (8-K Item 1.01)",
            )
        return None
    if form == "8-K/A" and "2.01" in items:
        return Classified(
            "signal", False, f"{party} amended an earlier completion report (8-K/A Item 2.01)"
        )
    if form in ANNOUNCEMENT_FORMS:
        return Classified("announced", False, f"{party}: {ANNOUNCEMENT_FORMS[form]}")
    if role == "target" and form in DELISTING_FORMS:
        return Classified(
            "signal",
            False,
            f"{party}'s securities are being delisted (Form {form}); debt redemptions and "
            "bankruptcies file this too",
        )
    if role == "target" and form in DEREGISTRATION_FORMS:
        return Classified("signal", False, f"{party} is deregistering its securities ({form})")
    return None
