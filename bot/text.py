"""Handling untrusted text: length limits, control characters, and echoes that cannot ping."""

from __future__ import annotations

import re
import unicodedata

MAX_INPUT_CHARS = 500

_MENTION = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
_ANGLE = re.compile(r"[<>]")
_ZWSP = "\u200b"


def has_control_chars(text: str) -> bool:
    """True when text holds control or format characters other than space, tab and newline."""
    if text.isprintable():  # every C* category is unprintable: nothing to look for
        return False
    return any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in "\t\n\r" for ch in text
    )


def safe_echo(text: str, limit: int = 40) -> str:
    """User text made fit to appear inside an answer: short, printable, and unable to ping.

    Adapters also switch mentions off (Discord allowed_mentions, Slack escaping); this is the
    second lock on the same door.
    """
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch == _ZWSP else "?"
        for ch in text.replace("\n", " ")
    )  # the zero-width space is ours (below): echoing an echo changes nothing
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    cleaned = _MENTION.sub(lambda m: "@" + _ZWSP + m.group(1), cleaned)
    return _ANGLE.sub(lambda m: "‹" if m.group(0) == "<" else "›", cleaned)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 schedule', '2 schedules', '1,200 alerts': a count with its noun in the right number.

    `plural_form` is for nouns that do not just take an -s ('1 match', '2 matches').
    """
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count:,} {word}"
