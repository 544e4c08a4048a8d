"""Yahoo's cookie and crumb, without yfinance: what its `YfData` did for our JSON requests.

Yahoo's JSON APIs (v7 quote, quoteSummary, options, screeners, news) want a session cookie
and a matching "crumb" query parameter. yfinance 1.7 gets them in two ways, and so does this:

- "basic": GET https://fc.yahoo.com (only its Set-Cookie matters), then the crumb as plain
  text from GET https://query1.finance.yahoo.com/v1/test/getcrumb;
- "csrf" (Yahoo's EU consent wall), the fallback when basic yields no crumb: GET
  https://guce.yahoo.com/consent, read its csrfToken and sessionId inputs, POST them to
  consent.yahoo.com/v2/collectConsent, GET guce.yahoo.com/copyConsent, then the crumb from
  query2's getcrumb.

The strategy that worked is kept for the next crumb. A crumb is fetched once per process and
shared by every worker thread; a request answered 401 (or "Invalid Crumb"/"Invalid Cookie")
gets one fresh crumb and is sent once more. getcrumb answering 429 is Yahoo rate-limiting us
(an UpstreamError "rate_limited"); a transport failure (timeout, refused) propagates for the
caller's error sorting; any other crumb failure sends the request without one, as yfinance
does, and Yahoo's answer to it says what went wrong.

Loading this module costs nothing beyond curl_cffi, which the session already holds: answering
a quote no longer imports yfinance and pandas (about 90 MB).
"""

from __future__ import annotations

import html
import logging
import re
import threading
from typing import Any

from bot.errors import UpstreamError
from bot.market.transport import YahooSession

log = logging.getLogger(__name__)

COOKIE_URL = "https://fc.yahoo.com"
BASIC_CRUMB_URL = "https://query1.finance.yahoo.com/v1/test/getcrumb"
CSRF_CRUMB_URL = "https://query2.finance.yahoo.com/v1/test/getcrumb"
CONSENT_URL = "https://guce.yahoo.com/consent"
COLLECT_CONSENT_URL = "https://consent.yahoo.com/v2/collectConsent?sessionId={session}"
COPY_CONSENT_URL = "https://guce.yahoo.com/copyConsent?sessionId={session}"
STRATEGIES = ("basic", "csrf")
# A crumb is a short token such as "haT3oykhHqZ"; error pages and HTML are not.
_CRUMB = re.compile(r"^[A-Za-z0-9._/+\-]{1,64}$")
_AUTH_FAILURES = ("Invalid Crumb", "Invalid Cookie")


def rate_limited() -> UpstreamError:
    return UpstreamError("rate_limited", "Yahoo is rate-limiting us; try again in a minute.")


def _input_value(page: str, name: str) -> str | None:
    """The value of `<input name="NAME" value="...">` in a page, in either attribute order."""
    for tag in re.findall(r"<input\b[^>]*>", page, flags=re.IGNORECASE):
        if re.search(rf"""\bname\s*=\s*["']{re.escape(name)}["']""", tag):
            value = re.search(r"""\bvalue\s*=\s*["']([^"']*)["']""", tag)
            return html.unescape(value.group(1)) if value else None
    return None


def needs_new_crumb(response: Any) -> bool:
    """Yahoo refused the cookie/crumb pair (rather than the question)."""
    status = int(getattr(response, "status_code", 0) or 0)
    if status in (401, 403):
        return True
    if 400 <= status < 500 and status != 429:
        body = str(getattr(response, "text", "") or "")[:500]
        return any(marker in body for marker in _AUTH_FAILURES)
    return False


class CrumbSession:
    """GET/POST to Yahoo with the crumb added, over one YahooSession; thread-safe.

    Offers the small surface our Yahoo modules used on yfinance's YfData: `get`, `post`
    (both return the response, whatever its status) and `get_raw_json` (raises curl_cffi's
    HTTPError on HTTP >= 400, as YfData did, which bot.market.yahoo.classify sorts).
    """

    def __init__(self, session: YahooSession) -> None:
        self.session = session
        self._lock = threading.Lock()  # one crumb fetch at a time; others wait and reuse it
        self._crumb: str | None = None
        self._strategy = "basic"

    @property
    def crumb(self) -> str | None:
        """The crumb held now (None before the first request or after Yahoo refused it)."""
        return self._crumb

    # ------------------------------------------------------------------------ requests

    def get(self, url: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        return self._send("GET", url, params=params, timeout=timeout)

    def post(
        self,
        url: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float = 30,
        data: Any = None,
    ) -> Any:
        extra: dict[str, Any] = {}
        if body:
            extra["json"] = body
        if data:
            extra["data"] = data
            extra["headers"] = {"Content-Type": "application/json"}
        return self._send("POST", url, params=params, timeout=timeout, **extra)

    def get_raw_json(
        self, url: str, params: dict[str, Any] | None = None, timeout: float = 30
    ) -> Any:
        response = self.get(url, params=params, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        timeout: float,
        **extra: Any,
    ) -> Any:
        base = dict(params or {})
        if "crumb" in base:
            raise ValueError("the crumb is added here, not by the caller")
        crumb = self.current_crumb(timeout)
        response = self.session.request(
            method, url, params=self._with(base, crumb), timeout=timeout, **extra
        )
        if needs_new_crumb(response):
            log.debug("Yahoo refused crumb %r (HTTP %s): fetching a new one", crumb, response)
            self.forget(crumb)
            crumb = self.current_crumb(timeout)
            response = self.session.request(
                method, url, params=self._with(base, crumb), timeout=timeout, **extra
            )
        if getattr(response, "status_code", None) == 429:
            raise rate_limited()
        return response

    @staticmethod
    def _with(params: dict[str, Any], crumb: str | None) -> dict[str, Any]:
        return {**params, "crumb": crumb} if crumb else params

    # --------------------------------------------------------------------------- crumbs

    def current_crumb(self, timeout: float = 30) -> str | None:
        """The crumb, fetched (cookie first) if none is held; None when Yahoo gave none.

        Raises UpstreamError("rate_limited") when getcrumb answers 429, and curl_cffi's
        transport errors (timeout, unreachable) as they come.
        """
        crumb = self._crumb
        if crumb is not None:
            return crumb
        with self._lock:
            if self._crumb is None:  # another thread may have fetched it while we waited
                self._crumb = self._fetch(timeout)
            return self._crumb

    def forget(self, crumb: str | None) -> None:
        """Drop `crumb` after Yahoo refused it (unless another thread already replaced it)."""
        with self._lock:
            if self._crumb == crumb:
                self._crumb = None
                self.session.cookies.clear()  # the cookie it belonged to goes with it

    def _fetch(self, timeout: float) -> str | None:
        first = self._strategy
        order = [first, *(s for s in STRATEGIES if s != first)]
        for strategy in order:
            crumb = self._basic(timeout) if strategy == "basic" else self._csrf(timeout)
            if crumb is not None:
                if strategy != self._strategy:
                    log.info("Yahoo crumb now comes by the %s strategy", strategy)
                self._strategy = strategy
                return crumb
            if strategy == "basic" and len(order) > 1:
                self.session.cookies.clear()  # as yfinance does when it toggles strategy
        log.warning("Yahoo gave no crumb by any strategy; asking without one")
        return None

    def _basic(self, timeout: float) -> str | None:
        from curl_cffi.requests import exceptions as curl_exc

        try:
            # Only the cookie matters; Yahoo answers fc.yahoo.com with a 404 page.
            self.session.get(COOKIE_URL, timeout=timeout, allow_redirects=True)
        except curl_exc.DNSError:  # on some block lists: the csrf strategy may still work
            log.debug("fc.yahoo.com did not resolve", exc_info=True)
            return None
        return self._read_crumb(BASIC_CRUMB_URL, timeout)

    def _csrf(self, timeout: float) -> str | None:
        page = self.session.get(CONSENT_URL, timeout=timeout)
        text = str(getattr(page, "text", "") or "")
        token = _input_value(text, "csrfToken")
        session_id = _input_value(text, "sessionId")
        if not token or not session_id:
            log.debug("no csrfToken/sessionId on Yahoo's consent page")
            return None
        form = [  # what yfinance posts (agree twice, as Yahoo's own form does)
            ("agree", "agree"),
            ("agree", "agree"),
            ("consentUUID", "default"),
            ("sessionId", session_id),
            ("csrfToken", token),
            ("originalDoneUrl", "https://finance.yahoo.com/"),
            ("namespace", "yahoo"),
        ]
        self.session.post(
            COLLECT_CONSENT_URL.format(session=session_id), data=form, timeout=timeout
        )
        self.session.get(COPY_CONSENT_URL.format(session=session_id), timeout=timeout)
        return self._read_crumb(CSRF_CRUMB_URL, timeout)

    def _read_crumb(self, url: str, timeout: float) -> str | None:
        response = self.session.get(url, timeout=timeout, allow_redirects=True)
        text = str(getattr(response, "text", "") or "").strip()
        if response.status_code == 429 or "Too Many Requests" in text:
            raise rate_limited()
        if response.status_code != 200 or not _CRUMB.match(text):
            log.debug("getcrumb gave no crumb (HTTP %s)", response.status_code)
            return None
        return text
