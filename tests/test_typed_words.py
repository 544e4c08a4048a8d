"""What people type, read the way they meant it: company names of several words, options
that do not exist, chart words with typos, and text that must not ping when echoed.

Transcripts through the console adapter, the real yfinance and the fake Yahoo. Assertions
are on symbols and messages only, never on times.
"""

from __future__ import annotations

import pytest

from bot.errors import UsageError
from bot.params import bind_text, tokenize
from bot.registry import build_spec
from commands.chart import chart
from commands.quote import quote
from tests.conftest import Chat
from tests.fakes.yahoo_server import FakeYahoo


def quoted(answer_data: dict[str, object]) -> list[str]:
    return [q["symbol"] for q in answer_data["quotes"]]  # type: ignore[attr-defined, index]


# ------------------------------------------------------------------ names of several words


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        # In the bundled alias file: the phrase wins over its words ("lab" is not LAB).
        ("quote rocket lab", ["RKLB"]),
        ("quote lockheed martin", ["LMT"]),
        ("quote dow jones", ["^DJI"]),
        ("quote berkshire hathaway", ["BRK-B"]),
        ("quote Lockheed Martin", ["LMT"]),
        # Real tickers stay tickers, beside names or not.
        ("quote rocket lab AMZN", ["RKLB", "AMZN"]),
        ("quote AMZN GOOG", ["AMZN", "GOOG"]),
        ("quote amzn goog", ["AMZN", "GOOG"]),
        ("quote AMZN rocket lab GOOG", ["AMZN", "RKLB", "GOOG"]),
        ("quote spacex amazon google", ["SPCX", "AMZN", "GOOGL"]),
        # Not an alias: the words together are a name Yahoo's search knows.
        ("quote planet labs", ["PL"]),
        ("quote planet labs AMZN", ["PL", "AMZN"]),
    ],
)
async def test_company_names_of_several_words_are_one_company(
    chat: Chat, text: str, symbols: list[str]
) -> None:
    answer = await chat(text)
    assert answer.kind == "ok", answer.text
    assert quoted(answer.data) == symbols
    assert answer.data["missing"] == []
    assert "No such symbol" not in answer.text


async def test_a_name_is_reported_as_typed(chat: Chat) -> None:
    answer = await chat("quote rocket lab planet labs")
    assert answer.data["resolved"] == {"rocket lab": "RKLB", "planet labs": "PL"}


async def test_words_that_are_no_name_together_are_looked_up_alone(chat: Chat) -> None:
    # "rocket" alone is found by search; "zzzq" is no symbol, and "rocket zzzq" is no company.
    answer = await chat("quote rocket zzzq")
    assert quoted(answer.data) == ["RKLB"]
    assert answer.data["missing"] == ["zzzq"]


async def test_chart_and_schedule_read_names_the_same_way(chat: Chat) -> None:
    single = await chat("chart rocket lab 1y")
    assert single.kind == "ok", single.text
    assert (single.data["symbols"], single.data["range"]) == (["RKLB"], "1y")
    both = await chat("chart lockheed martin AMZN 1mo candle")
    assert both.kind == "ok", both.text
    assert (both.data["symbols"], both.data["range"], both.data["type"]) == (
        ["LMT", "AMZN"],
        "1mo",
        "candle",
    )
    added = await chat("schedule add dow jones rocket lab at:close")
    assert added.kind == "ok", added.text
    assert added.data["schedule"]["symbols"] == ["^DJI", "RKLB"]


# ---------------------------------------------------------------------- unknown options


async def test_unknown_options_are_usage_errors(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.reset_counts()
    answer = await chat("quote AMZN extra=1")
    assert answer.kind == "usage"
    assert answer.text.startswith("Unknown option 'extra'; `quote` takes no named options.")
    assert fake_yahoo.count() == 0  # refused before anything was looked up
    answer = await chat("chart AMZN rnge=1y")
    assert answer.kind == "usage"
    assert answer.text.startswith("Unknown option 'rnge'; did you mean range=?")
    answer = await chat("chart AMZN 1y thme:light")
    assert answer.text.startswith("Unknown option 'thme'; did you mean theme=?")
    answer = await chat("schedule add AMZN at:close dayz=mon")
    assert answer.kind == "usage"
    assert answer.text.startswith("Unknown option 'dayz'; did you mean days=?")


async def test_symbols_with_an_equals_sign_stay_symbols(chat: Chat) -> None:
    answer = await chat("quote EURUSD=X AMZN")
    assert quoted(answer.data) == ["EURUSD=X", "AMZN"]
    answer = await chat("quote GC=F")
    assert answer.kind == "not_found"  # a futures ticker the fake does not list: no option error
    assert answer.text.startswith("No such symbol: GC=F.")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AMZN extra=1", "Unknown option 'extra'; `quote` takes no named options."),
        ("AMZN symbolz=GOOG", "Unknown option 'symbolz'; did you mean symbols=?"),
    ],
)
def test_unknown_option_table(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        bind_text(build_spec(quote, ("quote",)), tokenize(text))
    assert info.value.message == message


def test_words_with_a_colon_that_name_no_option_stay_words() -> None:
    spec = build_spec(chart, ("chart",))
    assert bind_text(spec, tokenize("AMZN 1y theme:light"))["theme"] == "light"
    # Not near any option name: a word, left for the symbol check to judge.
    with pytest.raises(UsageError) as info:
        bind_text(spec, tokenize("AMZN 1y line xyzzy:q"))
    assert info.value.message == "compare: 'xyzzy:q' is not a ticker or company name"


# ------------------------------------------------------------------------ chart messages


async def test_a_chart_type_typo_says_what_was_meant(chat: Chat) -> None:
    answer = await chat("chart AMZN 1y candel")
    assert answer.kind == "usage"
    assert answer.text.startswith("type: 'candel' is not one of line, candle; did you mean candle?")
    answer = await chat("chart AMZN 1y candles")
    assert answer.text.startswith(
        "type: 'candles' is not one of line, candle; did you mean candle?"
    )
    # Shaped like a ticker: looked up first, and only then read as a typo.
    answer = await chat("chart AMZN 1y lnie")
    assert answer.kind == "usage"
    assert answer.text.startswith("type: 'lnie' is not one of line, candle; did you mean line?")
    answer = await chat("chart AMZN 6m")
    assert answer.kind == "usage"
    assert answer.text.startswith("range: '6m' is not one of 1d, 5d, 1mo")
    assert "did you mean 6mo?" in answer.text
    answer = await chat("chart AMZN 1y theme=lite")
    assert answer.text.startswith("theme: 'lite' is not one of dark, light; did you mean light?")


async def test_compare_takes_several_symbols(chat: Chat) -> None:
    answer = await chat("chart AMZN compare=GOOG GOOGL")
    assert answer.kind == "ok", answer.text
    assert answer.data["symbols"] == ["AMZN", "GOOG", "GOOGL"]
    answer = await chat("chart AMZN compare=GOOG GOOGL 1mo")
    assert answer.kind == "ok", answer.text
    assert (answer.data["symbols"], answer.data["range"]) == (["AMZN", "GOOG", "GOOGL"], "1mo")
    answer = await chat("chart AMZN compare=GOOG,GOOGL candle")
    assert (answer.data["symbols"], answer.data["type"]) == (["AMZN", "GOOG", "GOOGL"], "candle")
    answer = await chat("chart AMZN compare=GOOG A B C D")
    assert answer.kind == "usage"
    assert answer.text.startswith("compare: at most 4 at a time (you gave 5).")


# ------------------------------------------------------------------ echoes cannot ping


@pytest.mark.parametrize(
    "text",
    [
        "quote @here",
        "quote @everyone AMZN",
        "chart @here",
        "chart AMZN 1y @channel",
        "quote <!channel>",
    ],
)
async def test_echoed_words_cannot_ping(chat: Chat, text: str) -> None:
    answer = await chat(text)
    assert answer.kind == "usage"
    for mention in ("@here", "@everyone", "@channel", "<!"):
        assert mention not in answer.text
