"""The HTTP session yfinance runs on: capped timeouts, optional base-URL rewrite, counters."""

from __future__ import annotations

import http.cookiejar
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from curl_cffi import requests as curl_requests


@dataclass
class UpstreamStats:
    """Counts of upstream HTTP requests by endpoint, and of failures by reason (thread-safe)."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_request(self, endpoint: str) -> None:
        with self._lock:
            self.requests[endpoint] += 1

    def record_error(self, reason: str) -> None:
        with self._lock:
            self.errors[reason] += 1

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests.values())


def endpoint_of(url: str) -> str:
    """A short label for a Yahoo URL: "v7/quote", "v8/chart", "search", "crumb", ..."""
    parts = urlsplit(url)
    path = parts.path
    if parts.hostname == "fc.yahoo.com":
        return "cookie"
    for marker, label in (
        ("/v7/finance/quote", "v7/quote"),
        ("/v8/finance/chart", "v8/chart"),
        ("/v10/finance/quoteSummary", "v10/quoteSummary"),
        ("/v1/finance/search", "search"),
        ("/v1/test/getcrumb", "crumb"),
        ("timeseries", "timeseries"),
        ("/v7/finance/options", "v7/options"),
        ("/v1/finance/screener", "screener"),
        ("/xhr/ncp", "news"),
    ):
        if marker in path:
            return label
    return parts.hostname or "other"


class YahooSession(curl_requests.Session):
    """A curl_cffi session (yfinance accepts subclasses) that never waits longer than the cap.

    yfinance hard-codes 10-30 s timeouts that chain to minutes on a hanging host; every request
    here is capped. With `base_url`, `https://HOST/PATH?Q` goes to `{base}/HOST/PATH?Q`.
    """

    def __init__(
        self, *, base_url: str | None, timeout_cap: float, stats: UpstreamStats, **kwargs: Any
    ) -> None:
        super().__init__(impersonate="chrome", **kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout_cap = timeout_cap
        self.stats = stats
        self._calls = threading.local()

    def begin_call(self) -> None:
        """Start watching this thread's requests for Yahoo server errors (HTTP 5xx).

        yfinance reads a 5xx error page as JSON and raises a decode error; this lets the
        caller tell "Yahoo is failing" from "Yahoo sent garbage".
        """
        self._calls.server_error = None

    def server_error(self) -> int | None:
        """The status of the last 5xx answered in this thread since begin_call(), if any."""
        status: int | None = getattr(self._calls, "server_error", None)
        return status

    def rewrite(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.base_url}/{parts.netloc}{parts.path or '/'}{query}"

    def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        if not isinstance(timeout, int | float) or timeout <= 0 or timeout > self.timeout_cap:
            kwargs["timeout"] = self.timeout_cap
        self.stats.record_request(endpoint_of(url))
        if self.base_url:
            kwargs["cookies"] = {**self._cookies_for(url), **(kwargs.get("cookies") or {})}
        response = super().request(method, self.rewrite(url), *args, **kwargs)
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and status >= 500:
            self._calls.server_error = status
        if self.base_url and urlsplit(url).hostname == "fc.yahoo.com":
            self._mirror_cookies(response)
        return response

    def _cookies_for(self, url: str) -> dict[str, str]:
        """Cookies the jar holds for the original host, sent along to the mirror."""
        host = urlsplit(url).hostname or ""
        return {
            c.name: c.value or ""
            for c in self.cookies.jar
            if c.domain and (host == c.domain.lstrip(".") or host.endswith(c.domain))
        }

    def _mirror_cookies(self, response: Any) -> None:
        """Keep Yahoo's cookie under .yahoo.com, where yfinance looks for it, when rewriting.

        Behind a rewrite the cookie arrives for the mirror's host; without this yfinance would
        fetch a new one before every request, which no real deployment does.
        """
        jar = self.cookies.jar
        for cookie in list(response.cookies.jar):
            jar.set_cookie(
                http.cookiejar.Cookie(
                    version=0,
                    name=cookie.name,
                    value=cookie.value,
                    port=None,
                    port_specified=False,
                    domain=".yahoo.com",
                    domain_specified=True,
                    domain_initial_dot=True,
                    path="/",
                    path_specified=True,
                    secure=False,
                    expires=int(time.time()) + 365 * 86400,
                    discard=False,
                    comment=None,
                    comment_url=None,
                    rest={},
                )
            )
