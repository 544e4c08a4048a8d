"""Our cookie/crumb session (bot/market/crumb.py) against the fake Yahoo over HTTP.

It replaced yfinance's YfData for every JSON request, so that a quote loads neither
yfinance nor pandas (issue 17); these check that it fetches the crumb as yfinance 1.7 does,
once per process and shared by threads, refreshes it once when Yahoo refuses it, takes the
consent-wall way in when the plain one yields nothing, and sorts getcrumb's 429 as a rate
limit. The last tests run the app in a subprocess to read what a quote and a chart import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from curl_cffi.requests import exceptions as curl_exc

from bot.adapters.console import invocation
from bot.app import App
from bot.errors import UpstreamError
from bot.market.crumb import CrumbSession
from bot.market.screeners import SCREENER_REGIONS
from bot.market.transport import UpstreamStats, YahooSession
from bot.market.yahoo import QUOTE_URL, classify
from tests.conftest import PINNED_NOW
from tests.fakes import yahoo_server
from tests.fakes.yahoo_server import FakeYahoo

ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = ["SPCX", "AMZN", "GOOG", "AAPL", "MSFT", "NVDA", "META", "TSLA"]
HANDSHAKE = ("cookie", "crumb", "consent")


@pytest.fixture
def crumbs(fake_yahoo: FakeYahoo) -> CrumbSession:
    session = YahooSession(base_url=fake_yahoo.base_url, timeout_cap=2.0, stats=UpstreamStats())
    return CrumbSession(session)


def quote_price(crumbs: CrumbSession, symbol: str) -> float:
    params = {"symbols": symbol, "formatted": "false", "lang": "en-US", "region": "US"}
    payload = crumbs.get_raw_json(QUOTE_URL, params=params, timeout=2.0)
    (row,) = payload["quoteResponse"]["result"]
    assert row["symbol"] == symbol
    return float(row["regularMarketPrice"])


def handshake(fake: FakeYahoo) -> dict[str, int]:
    counts = fake.counts()
    return {k: counts[k] for k in HANDSHAKE if counts[k]}


def test_the_crumb_is_fetched_once_and_shared_by_every_thread(
    fake_yahoo: FakeYahoo, crumbs: CrumbSession
) -> None:
    fake_yahoo.delay = 0.05  # a slow handshake: the other threads must wait for it, not race
    with ThreadPoolExecutor(max_workers=8) as pool:
        prices = list(pool.map(lambda s: quote_price(crumbs, s), SYMBOLS))
    assert prices == [fake_yahoo.symbols[s].price for s in SYMBOLS]
    assert handshake(fake_yahoo) == {"cookie": 1, "crumb": 1}
    assert fake_yahoo.count("quote") == len(SYMBOLS)  # the fake answers 401 without the crumb
    assert crumbs.crumb == yahoo_server.CRUMB


def test_a_refused_crumb_is_fetched_again_once_then_reused(
    fake_yahoo: FakeYahoo, crumbs: CrumbSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote_price(crumbs, "SPCX")
    monkeypatch.setattr(yahoo_server, "CRUMB", "rotAtedCrumb9")  # Yahoo rotated it
    fake_yahoo.reset_counts()
    assert quote_price(crumbs, "AMZN") == fake_yahoo.symbols["AMZN"].price
    # refused (401 Invalid Crumb), a new cookie and crumb, asked again
    assert fake_yahoo.counts() == {"quote": 2, "cookie": 1, "crumb": 1}
    assert crumbs.crumb == "rotAtedCrumb9"
    fake_yahoo.reset_counts()
    quote_price(crumbs, "GOOG")
    assert fake_yahoo.counts() == {"quote": 1}


def test_a_crumb_yahoo_keeps_refusing_is_retried_only_once(
    fake_yahoo: FakeYahoo, crumbs: CrumbSession
) -> None:
    fake_yahoo.fail("quote", "401")
    with pytest.raises(curl_exc.HTTPError) as failure:
        quote_price(crumbs, "SPCX")
    assert classify(failure.value).reason == "bad_answer"
    assert fake_yahoo.count("quote") == 2
    assert handshake(fake_yahoo) == {"cookie": 2, "crumb": 2}


def test_getcrumb_rate_limited_is_a_rate_limit_and_yahoo_is_not_asked(
    fake_yahoo: FakeYahoo, crumbs: CrumbSession
) -> None:
    fake_yahoo.fail("crumb", "429")
    with pytest.raises(UpstreamError) as failure:
        quote_price(crumbs, "SPCX")
    assert failure.value.reason == "rate_limited"
    assert fake_yahoo.count("quote") == 0
    assert crumbs.crumb is None
    fake_yahoo.fail("crumb", None)
    assert quote_price(crumbs, "SPCX") == fake_yahoo.symbols["SPCX"].price  # healed


async def test_getcrumb_rate_limited_reaches_the_chat_as_a_rate_limit(
    fake_yahoo: FakeYahoo, app: App
) -> None:
    fake_yahoo.fail("crumb", "429")
    answer = await app.core.dispatch(invocation("quote SPCX"))
    assert answer.kind == "upstream"
    assert answer.data["reason"] == "rate_limited"
    assert "rate-limiting" in answer.text
    assert fake_yahoo.count("quote") == 0


def test_behind_the_consent_wall_the_crumb_comes_the_csrf_way(
    fake_yahoo: FakeYahoo, crumbs: CrumbSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_yahoo.consent_wall = True
    assert quote_price(crumbs, "SPCX") == fake_yahoo.symbols["SPCX"].price
    # basic: fc.yahoo.com (no cookie), getcrumb refused; csrf: consent page, collectConsent,
    # copyConsent, getcrumb
    assert handshake(fake_yahoo) == {"cookie": 1, "crumb": 2, "consent": 3}
    fake_yahoo.reset_counts()
    monkeypatch.setattr(yahoo_server, "CRUMB", "rotAtedCrumb9")
    assert quote_price(crumbs, "AMZN") == fake_yahoo.symbols["AMZN"].price
    # the way that worked is tried first next time
    assert fake_yahoo.counts() == {"quote": 2, "consent": 3, "crumb": 1}


def test_hanging_getcrumb_is_a_timeout(fake_yahoo: FakeYahoo, crumbs: CrumbSession) -> None:
    fake_yahoo.fail("crumb", "hang")
    with pytest.raises(curl_exc.RequestException) as failure:
        quote_price(crumbs, "SPCX")
    assert classify(failure.value).reason == "timeout"


def test_screener_regions_are_yfinances() -> None:
    """The copy (so /movers needs no yfinance) must follow the installed yfinance."""
    from yfinance.const import EQUITY_SCREENER_EQ_MAP

    assert frozenset(str(r).upper() for r in EQUITY_SCREENER_EQ_MAP["region"]) == SCREENER_REGIONS


# Runs the app in a fresh interpreter against the fake and prints, after each command, its
# answer's kind and route and the top-level modules loaded.
PROBE = """
import asyncio, json, sys
from datetime import datetime
from pathlib import Path
from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings

async def main(base_url, data_dir, now, texts):
    settings = Settings(_env_file=None, data_dir=Path(data_dir), yahoo_base_url=base_url)
    app = App.build(settings, clock=ManualClock(datetime.fromisoformat(now)))
    await app.start()
    try:
        for text in texts:
            answer = await app.core.dispatch(invocation(text))
            quotes = answer.data.get("quotes") if isinstance(answer.data, dict) else None
            print(json.dumps({
                "text": text, "kind": answer.kind,
                "routes": [q["route"] for q in quotes or []],
                "modules": sorted({m.split(".")[0] for m in sys.modules}),
            }), flush=True)
    finally:
        await app.close()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
"""


def run_app(fake: FakeYahoo, tmp_path: Path, *texts: str) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")}
    env |= {"PYTHONPATH": str(ROOT), "no_proxy": "127.0.0.1,localhost"}
    args = [fake.base_url, str(tmp_path / "data"), PINNED_NOW.isoformat(), *texts]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def assert_lean(modules: set[str]) -> None:
    # yfinance and what only it brings (its SQLite caches, its HTML parser); exchange sessions
    # come from a child process, so nothing brings pandas either
    heavy = {"yfinance", "peewee", "bs4", "pandas", "exchange_calendars"}
    assert not modules & heavy, sorted(modules & heavy)


def test_a_quote_loads_no_yfinance_and_a_chart_then_does(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    quote, chart = run_app(fake_yahoo, tmp_path, "quote SPCX AMZN", "chart SPCX 1mo")
    assert (quote["kind"], quote["routes"]) == ("ok", ["quote", "quote"])
    assert_lean(set(quote["modules"]))
    assert chart["kind"] == "ok"
    assert {"yfinance", "pandas"} <= set(chart["modules"])


def test_the_chart_fallback_of_a_failing_quote_loads_no_yfinance_either(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.fail("quote", "500")
    (quote,) = run_app(fake_yahoo, tmp_path, "quote SPCX")
    assert (quote["kind"], quote["routes"]) == ("ok", ["chart"])
    assert_lean(set(quote["modules"]))
