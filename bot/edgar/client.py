"""The SEC's EDGAR over HTTP, within its fair-access rules.

- Every request carries the operator's User-Agent (ORBITDESK_SEC_USER_AGENT); without one
  the client refuses to send anything.
- One rate limiter spaces all requests (every SEC host) at least 1/rate seconds apart: no
  bursts, well under the SEC's 10 requests/s.
- A block (403 or 429, or a block page served with 200) pauses every SEC request for ten
  minutes, doubling on each block in a row, and is never retried in a loop.
- The ticker file is fetched with If-Modified-Since / If-None-Match when it was seen before
  (www.sec.gov answers 304); data.sec.gov sends no validators, so submissions are plain GETs.
- With `base_url`, `https://HOST/PATH?Q` goes to `{base}/HOST/PATH?Q` (mirrors, tests), the
  way ORBITDESK_YAHOO_BASE_URL rewrites Yahoo.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.edgar.types import Filing

if TYPE_CHECKING:
    import aiohttp  # imported with the first request: the deal watch may stay off

log = logging.getLogger(__name__)

TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
SUBMISSIONS_URL = "https://data.sec.gov/submissions/CIK{cik:010d}.json"
BLOCK_MARKERS = ("Request Rate Threshold Exceeded", "Undeclared Automated Tool")
BLOCK_PAUSE = 600.0  # seconds: the SEC lifts a block after ten quiet minutes
MAX_DOCUMENT = 2_000_000  # bytes of a filing's main document read for party names


class EdgarError(Exception):
    """A request that did not give an answer; `outcome` is its metrics label."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


class RateLimiter:
    """Spaces calls at least `1 / rate` seconds apart (async; shared by every SEC host)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self.clock()
            if self._next > now:
                await self.sleep(self._next - now)
                now = self.clock()
            self._next = max(now, self._next) + self.interval


@dataclass
class EdgarStats:
    """Requests by outcome (ok, not_modified, blocked, rate_limited, not_found, ...)."""

    requests: Counter[str] = field(default_factory=Counter)


@dataclass
class _Cached:
    body: bytes
    etag: str | None
    modified: str | None


class EdgarClient:
    """GETs against EDGAR with the declared User-Agent, one rate limit, and block backoff."""

    def __init__(
        self,
        *,
        user_agent: str | None,
        base_url: str | None = None,
        rate: float = 2.0,
        timeout: float = 10.0,
        stats: EdgarStats | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_agent = user_agent
        self.base_url = base_url.rstrip("/") if base_url else None
        self.limiter = RateLimiter(rate, clock=clock)
        self.timeout = timeout
        self.stats = stats or EdgarStats()
        self.clock = clock
        self.blocked_until = 0.0
        self._pause = BLOCK_PAUSE
        self._cache: dict[str, _Cached] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.user_agent)

    def rewrite(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.base_url}/{parts.netloc}{parts.path or '/'}{query}"

    def block_remaining(self) -> float:
        return max(0.0, self.blocked_until - self.clock())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, url: str, *, conditional: bool = False) -> bytes:
        """The body of `url`, or an EdgarError saying why not."""
        if not self.user_agent:
            raise EdgarError("no_user_agent", "ORBITDESK_SEC_USER_AGENT is not set")
        if self.block_remaining() > 0:
            self.stats.requests["skipped_blocked"] += 1
            raise EdgarError(
                "skipped_blocked", f"SEC paused us; {self.block_remaining():.0f} s left"
            )
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        cached = self._cache.get(url) if conditional else None
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.modified:
                headers["If-Modified-Since"] = cached.modified
        import aiohttp

        await self.limiter.acquire()
        session = self._session or aiohttp.ClientSession()
        self._session = session
        try:
            async with session.get(
                self.rewrite(url),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status = response.status
                body = await response.content.read(MAX_DOCUMENT)
                etag = response.headers.get("ETag")
                modified = response.headers.get("Last-Modified")
        except TimeoutError:
            self.stats.requests["timeout"] += 1
            raise EdgarError("timeout", f"no answer from SEC in {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            self.stats.requests["unreachable"] += 1
            raise EdgarError("unreachable", f"SEC unreachable: {exc}") from None
        if status == 304 and cached is not None:
            self.stats.requests["not_modified"] += 1
            return cached.body
        blocked = status in (403, 429) or any(m.encode() in body[:4000] for m in BLOCK_MARKERS)
        if blocked:
            outcome = "rate_limited" if status == 429 else "blocked"
            self.stats.requests[outcome] += 1
            self.blocked_until = self.clock() + self._pause
            log.warning(
                "SEC refused a request (HTTP %d); pausing all SEC requests for %.0f s",
                status,
                self._pause,
            )
            self._pause = min(self._pause * 2, 6 * 3600)
            raise EdgarError(outcome, f"SEC refused the request (HTTP {status})")
        if status == 404:
            self.stats.requests["not_found"] += 1
            raise EdgarError("not_found", f"SEC has no {urlsplit(url).path}")
        if status != 200:
            self.stats.requests["error"] += 1
            raise EdgarError("error", f"SEC answered HTTP {status}")
        self.stats.requests["ok"] += 1
        self._pause = BLOCK_PAUSE  # a good answer ends a run of blocks
        if conditional and (etag or modified):
            self._cache[url] = _Cached(body, etag, modified)
        return body

    async def get_json(self, url: str, *, conditional: bool = False) -> Any:
        body = await self.get(url, conditional=conditional)
        try:
            return json.loads(body)
        except ValueError:
            self.stats.requests["bad_json"] += 1
            raise EdgarError("bad_json", f"SEC sent something that is not JSON for {url}") from None

    async def tickers(self) -> dict[str, int]:
        """Ticker -> CIK from the SEC's ticker file (current listings only)."""
        data = await self.get_json(TICKERS_URL, conditional=True)
        out: dict[str, int] = {}
        rows = data.values() if isinstance(data, dict) else []
        for row in rows:
            if isinstance(row, dict) and "ticker" in row and "cik_str" in row:
                out[str(row["ticker"]).upper()] = int(row["cik_str"])
        return out

    async def submissions(self, cik: int) -> list[Filing]:
        """The filer's recent filings, newest first (from the columnar `filings.recent`)."""
        data = await self.get_json(SUBMISSIONS_URL.format(cik=cik))
        return parse_recent(cik, data)

    async def document_text(self, filing: Filing) -> str:
        body = await self.get(filing.document_url)
        return body.decode("utf-8", errors="replace")


def parse_recent(cik: int, data: Any) -> list[Filing]:
    """Rows of `filings.recent`, by column name; extra or missing optional columns are fine."""
    recent = data.get("filings", {}).get("recent", {}) if isinstance(data, dict) else {}
    accessions = recent.get("accessionNumber") or []
    forms = recent.get("form") or []
    dates = recent.get("filingDate") or []
    items = recent.get("items") or [""] * len(accessions)
    documents = recent.get("primaryDocument") or [""] * len(accessions)
    out = []
    for i, accession in enumerate(accessions):
        try:
            filed = date.fromisoformat(dates[i])
        except (IndexError, ValueError):
            continue
        raw_items = items[i] if i < len(items) and isinstance(items[i], str) else ""
        out.append(
            Filing(
                cik=cik,
                accession=str(accession),
                form=str(forms[i]) if i < len(forms) else "",
                items=tuple(x.strip() for x in raw_items.split(",") if x.strip()),
                filing_date=filed,
                primary_document=str(documents[i]) if i < len(documents) else "",
            )
        )
    return out
