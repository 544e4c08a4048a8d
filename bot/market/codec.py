"""Market values as compact JSON, for the cache replicas share in Redis.

Explicit to/from functions per type, never pickle: the cache is shared between processes and
reading it must not be able to run code. A value that does not decode (another version wrote it,
or it is damaged) raises CodecError and is treated as a cache miss.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from bot.market.news import NewsFeed, NewsItem
from bot.market.profile import CompanyProfile, Recommendations
from bot.market.screeners import Mover, Screen, ScreenResult
from bot.market.types import Bar, ExtendedPrice, History, MarketState, Quote, SearchHit

T = TypeVar("T")


class CodecError(ValueError):
    """A shared cache value that cannot be read back."""


@dataclass(frozen=True)
class Codec(Generic[T]):
    to_dict: Callable[[T], Any]
    from_dict: Callable[[Any], T]

    def dumps(self, value: T) -> bytes:
        return json.dumps(self.to_dict(value), separators=(",", ":")).encode()

    def loads(self, payload: bytes | str) -> T:
        try:
            return self.from_dict(json.loads(payload))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise CodecError(f"unreadable shared value: {exc}") from exc


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _parse_req(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ------------------------------------------------------------------------------------ quotes


def quote_to_dict(quote: Quote) -> dict[str, Any]:
    return quote.to_dict()


def _extended(data: dict[str, Any] | None) -> ExtendedPrice | None:
    if data is None:
        return None
    return ExtendedPrice(
        price=data["price"],
        change=data["change"],
        change_pct=data["change_pct"],
        time=_parse(data["time"]),
    )


def quote_from_dict(data: dict[str, Any]) -> Quote:
    values = dict(data)
    values["as_of"] = _parse_req(data["as_of"])
    values["fetched_at"] = _parse(data.get("fetched_at"))
    values["market_state"] = MarketState(data["market_state"])
    values["pre_market"] = _extended(data.get("pre_market"))
    values["post_market"] = _extended(data.get("post_market"))
    return Quote(**values)


# A quote cache entry: the quote (None: Yahoo says there is no such symbol) and, since the
# service keeps entries by its clock, the clock time it stays fresh until.
QuoteEntry = tuple[Quote | None, float]


def _entry_to_dict(entry: QuoteEntry) -> dict[str, Any]:
    quote, fresh_until = entry
    return {"q": quote_to_dict(quote) if quote is not None else None, "f": fresh_until}


def _entry_from_dict(data: dict[str, Any]) -> QuoteEntry:
    quote = data["q"]
    return (quote_from_dict(quote) if quote is not None else None, float(data["f"]))


QUOTE_ENTRY: Codec[QuoteEntry] = Codec(_entry_to_dict, _entry_from_dict)


# ----------------------------------------------------------------------------------- history


def history_to_dict(history: History) -> dict[str, Any]:
    return {
        "symbol": history.symbol,
        "name": history.name,
        "currency": history.currency,
        "exchange_tz": history.exchange_tz,
        "interval": history.interval,
        "range": history.range,
        # One row per bar, [epoch seconds, open, high, low, close, volume]: compact
        "bars": [
            [b.time.timestamp(), b.open, b.high, b.low, b.close, b.volume] for b in history.bars
        ],
        "sessions": [[s.isoformat(), e.isoformat()] for s, e in history.sessions],
        "fetched_at": _time(history.fetched_at),
        "source": history.source,
        "previous_close": history.previous_close,
        "as_of": _time(history.as_of),
    }


def history_from_dict(data: dict[str, Any]) -> History:
    bars = tuple(
        Bar(
            time=datetime.fromtimestamp(t, UTC),  # bar times are UTC
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=v,
        )
        for t, o, h, lo, c, v in data["bars"]
    )
    return History(
        symbol=data["symbol"],
        name=data["name"],
        currency=data["currency"],
        exchange_tz=data["exchange_tz"],
        interval=data["interval"],
        range=data["range"],
        bars=bars,
        sessions=tuple((_parse_req(s), _parse_req(e)) for s, e in data["sessions"]),
        fetched_at=_parse(data["fetched_at"]),
        source=data["source"],
        previous_close=data["previous_close"],
        as_of=_parse(data["as_of"]),
    )


HISTORY: Codec[History] = Codec(history_to_dict, history_from_dict)


# -------------------------------------------------------------------------------------- news


def news_from_dict(data: dict[str, Any]) -> NewsFeed:
    items = tuple(
        NewsItem(
            id=i["id"],
            title=i["title"],
            publisher=i["publisher"],
            published=_parse_req(i["published"]),
            url=i["url"],
            summary=i["summary"],
            kind=i["kind"],
            premium=i["premium"],
        )
        for i in data["items"]
    )
    return NewsFeed(
        symbol=data["symbol"],
        items=items,
        fetched_at=_parse_req(data["fetched_at"]),
        source=data["source"],
    )


def news_to_dict(feed: NewsFeed) -> dict[str, Any]:
    return {
        "symbol": feed.symbol,
        "items": [i.to_dict() for i in feed.items],
        "fetched_at": feed.fetched_at.isoformat(),
        "source": feed.source,
    }


NEWS: Codec[NewsFeed] = Codec(news_to_dict, news_from_dict)


# ----------------------------------------------------------------------------------- profile


def profile_to_dict(profile: CompanyProfile) -> dict[str, Any]:
    out = profile.to_dict()
    out.pop("stale", None)
    out.pop("stale_reason", None)
    return out


def profile_from_dict(data: dict[str, Any]) -> CompanyProfile:
    values = dict(data)
    values["fetched_at"] = _parse_req(data["fetched_at"])
    values["earnings"] = tuple(_parse_req(e) for e in data["earnings"])
    recs = data.get("recommendations")
    values["recommendations"] = (
        Recommendations(
            strong_buy=recs["strong_buy"],
            buy=recs["buy"],
            hold=recs["hold"],
            sell=recs["sell"],
            strong_sell=recs["strong_sell"],
        )
        if recs is not None
        else None
    )
    return CompanyProfile(**values)


PROFILE: Codec[CompanyProfile] = Codec(profile_to_dict, profile_from_dict)


# ---------------------------------------------------------------------------------- screener


def screen_to_dict(result: ScreenResult) -> dict[str, Any]:
    return {
        "screen": result.screen.value,
        "region": result.region,
        "title": result.title,
        "movers": [m.to_dict() for m in result.movers],
        "total": result.total,
        "fetched_at": result.fetched_at.isoformat(),
        "source": result.source,
    }


def screen_from_dict(data: dict[str, Any]) -> ScreenResult:
    movers = tuple(
        Mover(
            symbol=m["symbol"],
            name=m["name"],
            price=m["price"],
            change=m["change"],
            change_pct=m["change_pct"],
            volume=m["volume"],
            market_cap=m["market_cap"],
            currency=m["currency"],
            exchange=m["exchange"],
            exchange_tz=m["exchange_tz"],
            as_of=_parse(m["as_of"]),
        )
        for m in data["movers"]
    )
    return ScreenResult(
        screen=Screen(data["screen"]),
        region=data["region"],
        title=data["title"],
        movers=movers,
        total=data["total"],
        fetched_at=_parse_req(data["fetched_at"]),
        source=data["source"],
    )


SCREEN: Codec[ScreenResult] = Codec(screen_to_dict, screen_from_dict)


# ------------------------------------------------------------------------------------ search


def _hits_to_dict(hits: list[SearchHit]) -> list[list[str]]:
    return [[h.symbol, h.name, h.exchange, h.quote_type] for h in hits]


def _hits_from_dict(data: list[list[str]]) -> list[SearchHit]:
    return [SearchHit(symbol=s, name=n, exchange=e, quote_type=q) for s, n, e, q in data]


SEARCH: Codec[list[SearchHit]] = Codec(_hits_to_dict, _hits_from_dict)

# The cache kinds MarketData._cached shares, by the first element of its key. Option chains
# are not shared: they are large and fresh for seconds only.
SHARED_KINDS: dict[str, Codec[Any]] = {
    "history": HISTORY,
    "news": NEWS,
    "profile": PROFILE,
    "screen": SCREEN,
    "search": SEARCH,
}


def dump_kept(codec: Codec[T], value: T, fresh_until: float) -> bytes:
    """A cached answer with the clock time it stays fresh until (the service's own clock)."""
    return json.dumps({"v": codec.to_dict(value), "f": fresh_until}, separators=(",", ":")).encode()


def load_kept(codec: Codec[T], payload: bytes | str) -> tuple[T, float]:
    try:
        data = json.loads(payload)
        return codec.from_dict(data["v"]), float(data["f"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise CodecError(f"unreadable shared value: {exc}") from exc
