"""A fake SEC EDGAR on 127.0.0.1, shaped like the live responses recorded in research/edgar.md.

The bot reaches it through ORBITDESK_EDGAR_BASE_URL: `https://HOST/PATH` arrives here as
`/HOST/PATH`. It serves:
- `/www.sec.gov/files/company_tickers.json`: the object keyed "0", "1", ... with an integer
  `cik_str`, a `Last-Modified` header, and 304 to a matching If-Modified-Since;
- `/data.sec.gov/submissions/CIK##########.json`: the §1.1 keys in their recorded order with a
  columnar `filings.recent` (newest first; `core_type` dropped and an unknown column added, as
  the key drift in the recordings allows) and no validators; an unknown CIK is a 404
  `application/xml` NoSuchKey;
- `/www.sec.gov/Archives/edgar/data/CIK/ACCESSION/DOC`: a filing's main document.
A request without a declared User-Agent (no "@") gets the 403 "Undeclared Automated Tool"
page; `fail(mode)` switches every answer to "429", "403" (the rate-threshold page) or "hang".
Every request is recorded with its monotonic time, path and User-Agent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LAST_MODIFIED = "Mon, 23 Nov 2026 07:04:08 GMT"
BLOCK_PAGE = (
    "<html><head><title>SEC.gov | {title}</title></head><body><h1>{title}</h1>"
    "<p>To allow for equitable access to all users, SEC reserves the right to limit requests "
    "originating from undeclared automated tools.</p><p>Reference ID: 0.fake</p></body></html>"
)
COLUMNS = (
    "accessionNumber",
    "filingDate",
    "reportDate",
    "acceptanceDateTime",
    "act",
    "form",
    "fileNumber",
    "filmNumber",
    "items",
    "size",
    "isXBRL",
    "isInlineXBRL",
    "isXBRLNumeric",
    "primaryDocument",
    "primaryDocDescription",
)


@dataclass
class FakeFiling:
    accession: str
    form: str
    filing_date: str
    items: str = ""
    document: str = "d1.htm"
    text: str = ""


@dataclass
class FakeCompany:
    cik: int
    name: str
    ticker: str | None
    filings: list[FakeFiling] = field(default_factory=list)  # newest first


@dataclass
class Seen:
    at: float
    path: str
    user_agent: str
    status: int


class FakeEdgar:
    def __init__(self) -> None:
        self.companies: dict[int, FakeCompany] = {}
        self.requests: list[Seen] = []
        self.mode: str | None = None
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeEdgar:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def company(self, cik: int, name: str, ticker: str | None) -> FakeCompany:
        self.companies[cik] = FakeCompany(cik, name, ticker)
        return self.companies[cik]

    def file(self, cik: int, filing: FakeFiling) -> None:
        with self._lock:
            self.companies[cik].filings.insert(0, filing)

    def fail(self, mode: str | None) -> None:
        self.mode = mode
        if mode != "hang":
            self.release.set()
        else:
            self.release.clear()

    def paths(self, contains: str = "") -> list[str]:
        return [r.path for r in self.requests if contains in r.path]

    # ------------------------------------------------------------------ shapes

    def tickers_json(self) -> dict[str, Any]:
        rows = [c for c in self.companies.values() if c.ticker]
        return {
            str(i): {"cik_str": c.cik, "ticker": c.ticker, "title": c.name.upper()}
            for i, c in enumerate(rows)
        }

    def submissions_json(self, company: FakeCompany) -> dict[str, Any]:
        recent: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        for f in company.filings:
            values = {
                "accessionNumber": f.accession,
                "filingDate": f.filing_date,
                "reportDate": f.filing_date if f.form.startswith("8-K") else "",
                "acceptanceDateTime": f"{f.filing_date}T12:37:32.000Z",
                "act": "34",
                "form": f.form,
                "fileNumber": "001-00000",
                "filmNumber": "26000000",
                "items": f.items,
                "size": 188109,
                "isXBRL": 0,
                "isInlineXBRL": 0,
                "isXBRLNumeric": 0,
                "primaryDocument": f.document,
                "primaryDocDescription": f.form,
            }
            for name in COLUMNS:
                recent[name].append(values[name])
        return {
            "cik": f"{company.cik:010d}",
            "entityType": "operating",
            "sic": "3760",
            "sicDescription": "Guided Missiles & Space Vehicles & Parts",
            "ownerOrg": "04 Manufacturing",
            "insiderTransactionForOwnerExists": 1,
            "insiderTransactionForIssuerExists": 1,
            "name": company.name.upper(),
            "tickers": [company.ticker] if company.ticker else [],
            "exchanges": ["Nasdaq"] if company.ticker else [],
            "ein": "000000000",
            "lei": None,
            "description": "",
            "website": "",
            "investorWebsite": "",
            "category": "Large accelerated filer",
            "fiscalYearEnd": "1231",
            "stateOfIncorporation": "TX",
            "stateOfIncorporationDescription": "TX",
            "addresses": {},
            "phone": "000-000-0000",
            "flags": "",
            "formerNames": [],
            "filings": {"recent": recent, "files": []},
        }

    # ------------------------------------------------------------------ server

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                agent = self.headers.get("User-Agent", "")
                status, ctype, body, headers = fake._answer(self.path, agent, self.headers)
                with fake._lock:
                    fake.requests.append(Seen(time.monotonic(), self.path, agent, status))
                if status == 0:  # hang until released (or the test ends)
                    fake.release.wait(30)
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _answer(
        self, path: str, agent: str, headers: Any
    ) -> tuple[int, str, bytes, dict[str, str]]:
        html = "text/html"
        if "@" not in agent:
            page = BLOCK_PAGE.format(
                title="Your Request Originates from an Undeclared Automated Tool"
            )
            return 403, html, page.encode(), {}
        if self.mode == "hang":
            return 0, "", b"", {}
        if self.mode in ("403", "429"):
            page = BLOCK_PAGE.format(title="Request Rate Threshold Exceeded")
            return int(self.mode), html, page.encode(), {}
        if path == "/www.sec.gov/files/company_tickers.json":
            if headers.get("If-Modified-Since") == LAST_MODIFIED:
                return 304, "application/json", b"", {"Last-Modified": LAST_MODIFIED}
            body = json.dumps(self.tickers_json()).encode()
            return 200, "application/json", body, {"Last-Modified": LAST_MODIFIED}
        if path.startswith("/data.sec.gov/submissions/CIK") and path.endswith(".json"):
            digits = path.removeprefix("/data.sec.gov/submissions/CIK").removesuffix(".json")
            company = (
                self.companies.get(int(digits)) if len(digits) == 10 and digits.isdigit() else None
            )
            if company is None:
                key = path.removeprefix("/data.sec.gov/")
                xml = f"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>{key}</Key></Error>"
                return 404, "application/xml", xml.encode(), {}
            body = json.dumps(self.submissions_json(company)).encode()
            return 200, "application/json", body, {"Cache-Control": "max-age=0, no-cache, no-store"}
        if path.startswith("/www.sec.gov/Archives/edgar/data/"):
            parts = path.split("/")
            for company in self.companies.values():
                for f in company.filings:
                    if parts[-2] == f.accession.replace("-", "") and parts[-1] == f.document:
                        return 200, html, f.text.encode(), {"Last-Modified": LAST_MODIFIED}
        return 404, "text/plain", b"not found", {}
