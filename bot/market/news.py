"""Headlines from Yahoo's news stream (`POST finance.yahoo.com/xhr/ncp`), one symbol a request.

Yahoo's body takes a list of symbols, but what it does with several is unverified
(research/yahoo-formats-more.md §9), so each symbol is its own request and its own cache entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.errors import UpstreamError
from bot.market.upstream_json import answer_json, iso_time, obj, text, web_url

NCP_URL = "https://finance.yahoo.com/xhr/ncp"
NEWS_COUNT = 10  # headlines asked per symbol; every command shares the one cached stream
# A symbol-less question reads the S&P 500's stream: Yahoo's market-wide headlines.
MARKET_NEWS_SYMBOL = "^GSPC"
NEWS_TTL_TRADING = 300.0  # while US markets trade (including pre-market and after hours)
NEWS_TTL_SHUT = 900.0


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One headline."""

    id: str
    title: str
    publisher: str
    published: datetime  # UTC
    url: str | None
    summary: str = ""
    kind: str = "STORY"  # STORY or VIDEO
    premium: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published.isoformat(),
            "url": self.url,
            "summary": self.summary,
            "kind": self.kind,
            "premium": self.premium,
        }


@dataclass(frozen=True, slots=True)
class NewsFeed:
    """The latest headlines Yahoo lists for one symbol, newest first."""

    symbol: str
    items: tuple[NewsItem, ...]
    fetched_at: datetime
    source: str = "Yahoo Finance"
    stale: bool = False  # served from cache because Yahoo failed
    stale_reason: str | None = None

    def as_stale(self, reason: str) -> NewsFeed:
        return replace(self, stale=True, stale_reason=reason)


@dataclass(frozen=True, slots=True)
class NewsBatch:
    """Feeds for several symbols: what came back and which symbols failed (and why)."""

    feeds: Mapping[str, NewsFeed] = field(default_factory=dict)
    failed: Mapping[str, str] = field(default_factory=dict)


def news_request(symbol: str, count: int) -> tuple[dict[str, str], dict[str, Any]]:
    """Query parameters and JSON body, as yfinance 1.7's `get_news(count, tab="news")` sends."""
    params = {"queryRef": "latestNews", "serviceKey": "ncp_fin"}
    body = {"serviceConfig": {"snippetCount": count, "s": [symbol]}}
    return params, body


def parse_news(payload: Any, symbol: str, fetched_at: datetime) -> NewsFeed:
    """`data.tickerStream.stream` as a feed; ads and items without title or time are dropped."""
    stream = obj(obj(obj(payload).get("data")).get("tickerStream"))
    if not isinstance(stream.get("stream"), list):
        raise UpstreamError("bad_answer", "Yahoo sent a news answer we could not read.")
    items: list[NewsItem] = []
    for entry in stream["stream"]:
        entry = obj(entry)
        if entry.get("ad"):
            continue
        content = obj(entry.get("content"))
        title = text(content.get("title"))
        published = iso_time(content.get("pubDate")) or iso_time(content.get("displayTime"))
        if not title or published is None:
            continue
        url = web_url(obj(content.get("clickThroughUrl")).get("url")) or web_url(
            obj(content.get("canonicalUrl")).get("url")
        )
        premium = obj(obj(content.get("finance")).get("premiumFinance")).get("isPremiumNews")
        items.append(
            NewsItem(
                id=text(content.get("id")) or text(entry.get("id")) or title,
                title=title,
                publisher=text(obj(content.get("provider")).get("displayName")) or "Yahoo Finance",
                published=published,
                url=url,
                summary=text(content.get("summary")) or text(content.get("description")),
                kind=text(content.get("contentType")) or "STORY",
                premium=premium is True,
            )
        )
    items.sort(key=lambda i: i.published, reverse=True)
    return NewsFeed(symbol=symbol, items=tuple(items), fetched_at=fetched_at)


def merge_feeds(feeds: Sequence[NewsFeed], limit: int) -> list[tuple[NewsItem, tuple[str, ...]]]:
    """Headlines of several feeds, newest first, each once, with the symbols it was listed for.

    The same story reaches several symbols' streams under one id; syndicated copies share a
    link or a title, so those count as the same story too.
    """
    merged: dict[str, tuple[NewsItem, list[str]]] = {}
    alias: dict[str, str] = {}
    for feed in feeds:
        for item in feed.items:
            keys = [f"id:{item.id}", f"title:{item.title.casefold()}"]
            if item.url:
                keys.append(f"url:{item.url}")
            home = next((alias[k] for k in keys if k in alias), None)
            if home is None:
                home = keys[0]
                merged[home] = (item, [])
            for key in keys:
                alias.setdefault(key, home)
            symbols = merged[home][1]
            if feed.symbol not in symbols:
                symbols.append(feed.symbol)
    ordered = sorted(merged.values(), key=lambda pair: pair[0].published, reverse=True)
    return [(item, tuple(symbols)) for item, symbols in ordered[:limit]]


def fetch_news(data: Any, symbol: str, count: int, timeout: float, now: datetime) -> NewsFeed:
    """Blocking: one POST for one symbol's stream (`data` is our CrumbSession)."""
    params, body = news_request(symbol, count)
    response = data.post(NCP_URL, body=body, params=params, timeout=timeout)
    return parse_news(answer_json(response), symbol, now)
