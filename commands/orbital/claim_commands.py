"""/orbital claims and /orbital claim: who claimed what about orbital data centers, checked."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from bot.context import Context
from bot.errors import NotFound
from bot.registry import Param, command
from bot.response import Card, Field, Response, Tone
from bot.text import safe_echo
from commands._shared.paging import Page, page_of
from commands._shared.yaml_entries import skipped_warning
from commands.orbital.claims import VERIFICATION, CheckedClaim, ClaimStatus, claim_book
from commands.orbital.report import chunk_fields

PAGE_SIZE = 8

Query = Annotated[
    list[str] | None,
    Param("who or topic, e.g. starcloud, radiator, musk, contradicted", max_items=6, max_length=40),
]


@command(
    "orbital claims",
    examples=(
        "orbital claims",
        "orbital claims starcloud",
        "orbital claims radiator",
        "orbital claims contradicted",
    ),
)
async def claims(ctx: Context, query: Query = None, *, page: Page = 1) -> Response:
    """Claims made for orbital data centers, newest first, with status and checks."""
    book = claim_book(ctx)
    text = " ".join(query or [])
    found = book.search(text or None)
    label = f" about {safe_echo(text, 30)!r}" if text else ""
    if not found:
        raise NotFound(
            f"No orbital claims{label}. Try a maker (starcloud, google, musk) or a topic."
        )
    paged = page_of(found, page, PAGE_SIZE)
    shown = paged.items
    fields = [Field(_heading(c)[:256], _summary(c), inline=False) for c in shown]
    as_of = max((c.claim.as_of for c in shown if c.claim.as_of), default=None)
    footer = paged.footer(
        "claims",
        "`orbital claim <id>` for one in full"
        + (f" · claims as of {as_of.isoformat()}" if as_of else ""),
    )
    card = Card(
        title=f"Orbital data-center claims{label}"[:256], fields=tuple(fields), footer=footer
    )
    lines = [f"Orbital data-center claims{label} ({footer})"]
    lines += [f"- {_heading(c)}: {_summary(c)}".replace("\n", " · ") for c in shown]
    cards = [card]
    warning = skipped_warning(book.problems, "claims")
    if warning:
        cards.append(Card(title="Data warning", description=warning, tone=Tone.WARNING))
        lines.append(warning)
    data = {
        "claims": [_claim_data(c) for c in shown],
        **paged.data(),
        "query": text or None,
    }
    return Response(text="\n".join(lines), cards=tuple(cards), data=data)


ClaimId = Annotated[str, Param("a claim id from /orbital claims", max_length=64, metavar="id")]


@command("orbital claim", examples=("orbital claim starcloud-5gw-array", "orbital claim C14"))
async def claim(ctx: Context, id: ClaimId) -> Response:
    """One orbital claim in full: statement, who, when, sources, figures, counterpoints, checks."""
    book = claim_book(ctx)
    item = book.get(id)
    if item is None:
        by_ref = [c for c in book.claims if (c.claim.research_ref or "").lower() == id.lower()]
        item = by_ref[0] if len(by_ref) == 1 else None
    if item is None:
        ids = [c.claim.id for c in book.claims]
        raise NotFound(
            f"No claim {safe_echo(id, 40)!r}.",
            suggestions=difflib.get_close_matches(id.lower(), ids, n=3, cutoff=0.5),
        )
    return _full(item)


def _status_text(item: CheckedClaim) -> str:
    status = item.status.label
    if item.own_numbers_fail and item.claim.status is not ClaimStatus.CONTRADICTED:
        status += f" (the data file says {item.claim.status.value})"
    return status


def _heading(item: CheckedClaim) -> str:
    return f"{item.claim.id} · {item.claim.who} · {item.claim.when}"


def _summary(item: CheckedClaim) -> str:
    c = item.claim
    statement = c.statement if len(c.statement) <= 300 else c.statement[:299] + "…"
    checks = ""
    if item.results:
        failed = sum(1 for r in item.results if not r.ok)
        checks = f" · checks: {len(item.results) - failed}/{len(item.results)} add up"
    unsourced = " · no source address recorded" if c.unsourced else ""
    return f"{statement}\n{_status_text(item)} · [{c.verification}]{checks}{unsourced}"


def _full(item: CheckedClaim) -> Response:
    c = item.claim
    verification = f"[{c.verification}] {VERIFICATION[c.verification]}"
    if c.verification_note:
        verification += f" ({c.verification_note})"
    fields = [
        Field("Who", c.who[:1024]),
        Field("When", c.when),
        Field("Status", _status_text(item)),
        Field("Verification", verification[:1024], inline=False),
    ]
    fields += chunk_fields("Figures", c.figures)
    fields += chunk_fields("Counterpoints", c.counterpoints)
    check_lines = [("✔ " if r.ok else "✘ ") + r.text() for r in item.results]
    fields += chunk_fields("Calculator checks", check_lines)
    source_lines = [_source_line(s) for s in c.sources]
    if c.unsourced:
        source_lines.append(
            "UNSOURCED: the research recorded where this was said but no web address for it"
        )
    fields += chunk_fields("Sources", source_lines)
    first_url = next((str(s.url) for s in c.sources if s.url), None)
    card = Card(
        title=f"Claim {c.id}"[:256],
        description=c.statement,
        fields=tuple(fields[:25]),
        tone=Tone.WARNING if item.status is ClaimStatus.CONTRADICTED else Tone.NEUTRAL,
        footer=f"claim {c.id} · {as_of_text(item)} · sources listed",
        url=first_url,
    )
    lines = [
        f"Claim {c.id}: {c.statement}",
        f"Who: {c.who}",
        f"When: {c.when}",
        f"Status: {_status_text(item)}",
        f"Verification: {verification}",
        f"({as_of_text(item)})",
    ]
    for title, rows in (
        ("Figures", c.figures),
        ("Counterpoints", c.counterpoints),
        ("Calculator checks", check_lines),
        ("Sources", source_lines),
    ):
        if rows:
            lines.append(f"{title}:")
            lines += [f"  {row}" for row in rows]
    return Response(text="\n".join(lines), cards=(card,), data={"claim": _claim_data(item)})


def as_of_text(item: CheckedClaim) -> str:
    as_of = item.claim.as_of
    return f"claims as of {as_of.isoformat()}" if as_of else "claims file date unknown"


def _source_line(source: Any) -> str:
    bits = [source.cite]
    if source.date:
        bits.append(source.date.isoformat())
    if source.url:
        bits.append(str(source.url))
    return " · ".join(bits)


def _claim_data(item: CheckedClaim) -> dict[str, Any]:
    out = item.claim.model_dump(mode="json")
    out["effective_status"] = item.status.value
    out["checks_run"] = [
        {
            "says": r.says,
            "calculator": r.calculator,
            "inputs": dict(r.inputs),
            "computed": r.computed,
            "stated": r.stated,
            "tolerance": r.tolerance,
            "ok": r.ok,
        }
        for r in item.results
    ]
    return out
