"""Reading Yahoo's JSON answers for news, screeners, options and profiles.

Shared by the modules that call those APIs through our cookie/crumb session
(bot/market/crumb.py), not through yfinance, whose parsers swallow failures into empty results
(news turns an HTTP 500 into "no news") or crash on shapes Yahoo really sends.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from bot.errors import UpstreamError


def answer_json(response: Any) -> Any:
    """The JSON body of a Yahoo response, or an UpstreamError saying why there is none."""
    status = int(getattr(response, "status_code", 0) or 0)
    if status == 429:
        raise UpstreamError("rate_limited", "Yahoo is rate-limiting us; try again in a minute.")
    if status == 404:
        raise UpstreamError("not_found", "Yahoo has no data for that.")
    if status >= 500:  # Yahoo is failing, not the question
        raise UpstreamError(
            "server_error",
            f"Yahoo Finance is having trouble (HTTP {status}); try again in a minute.",
        )
    if status >= 400:
        raise UpstreamError("bad_answer", f"Yahoo answered with an error (HTTP {status}).")
    body = str(getattr(response, "text", "") or "")
    if "Will be right back" in body:
        raise UpstreamError("bad_answer", "Yahoo Finance is down for maintenance.")
    try:
        return json.loads(body)
    except ValueError:
        raise UpstreamError("bad_answer", "Yahoo sent an answer we could not read.") from None


def obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (Yahoo sends null for absent parts)."""
    return value if isinstance(value, dict) else {}


def num(value: Any) -> float | None:
    """A finite number; `{raw, fmt}` objects give their raw value; anything else None."""
    if isinstance(value, dict):
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def integer(value: Any) -> int | None:
    number = num(value)
    return int(number) if number is not None else None


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def epoch(value: Any) -> datetime | None:
    """Epoch seconds as a UTC datetime; 0 and absent values give None."""
    number = num(value)
    return datetime.fromtimestamp(number, UTC) if number else None


def iso_time(value: Any) -> datetime | None:
    """An ISO time such as Yahoo's pubDate "2025-10-29T16:01:23Z", as UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def web_url(value: Any) -> str | None:
    """An http(s) URL without spaces or markup characters, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 1000:
        return None
    if any(ch.isspace() or ch in "<>|\"'`" for ch in url):
        return None
    return url
