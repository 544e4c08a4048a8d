"""/quote as a person would use it, through the console adapter and the real yfinance."""

from __future__ import annotations

from tests.conftest import Chat
from tests.fakes.yahoo_server import FakeYahoo


async def test_two_symbols_give_two_cards_with_sources(chat: Chat) -> None:
    answer = await chat("quote SPCX AMZN")
    assert answer.kind == "ok"
    assert [c.title for c in answer.cards] == [
        "SPCX · Space Exploration Technologies Corp.",
        "AMZN · Amazon.com, Inc.",
    ]
    spcx = {f.name: f.value for f in answer.cards[0].fields}
    assert spcx["Price"] == "153.20 USD"
    assert spcx["Change"] == "+0.20 (+0.13%)"
    assert spcx["Prev close"] == "153.00"
    assert spcx["Market cap"] == "$1.93T"
    assert answer.cards[0].footer.startswith("Yahoo Finance · NasdaqGS · USD · as of ")
    assert answer.cards[0].tone == "up"
    assert [q["symbol"] for q in answer.data["quotes"]] == ["SPCX", "AMZN"]


async def test_company_names_resolve_through_aliases(chat: Chat) -> None:
    answer = await chat("quote spacex amazon google alphabet")
    assert [q["symbol"] for q in answer.data["quotes"]] == ["SPCX", "AMZN", "GOOGL"]
    assert answer.data["resolved"] == {
        "spacex": "SPCX",
        "amazon": "AMZN",
        "google": "GOOGL",
        "alphabet": "GOOGL",
    }


async def test_names_not_in_aliases_resolve_through_yahoo_search(chat: Chat) -> None:
    answer = await chat('quote "rocket lab"')
    assert [q["symbol"] for q in answer.data["quotes"]] == ["RKLB"]
    answer = await chat("quote berkshire")
    assert [q["symbol"] for q in answer.data["quotes"]] == ["BRK-B"]


async def test_symbol_kinds_from_around_the_world(chat: Chat) -> None:
    answer = await chat("quote BRK.B 7203.T ^GSPC BTC-USD EURUSD=X")
    quotes = {q["symbol"]: q for q in answer.data["quotes"]}
    assert list(quotes) == ["BRK-B", "7203.T", "^GSPC", "BTC-USD", "EURUSD=X"]
    assert quotes["7203.T"]["currency"] == "JPY"
    assert quotes["7203.T"]["exchange_tz"] == "Asia/Tokyo"
    toyota = {f.name: f.value for f in answer.cards[1].fields}
    assert toyota["Price"] == "3,021.00 JPY"
    assert "JST" in answer.cards[1].footer and "delayed 20 min" in answer.cards[1].footer
    fx = {f.name: f.value for f in answer.cards[4].fields}
    assert fx["Price"] == "1.1523 USD"


async def test_unknown_symbol_says_so_with_suggestions(chat: Chat) -> None:
    answer = await chat("quote micro")
    assert answer.kind == "not_found"
    assert answer.text == "No such symbol: micro. Did you mean: MSFT, AMD?"
    assert answer.ephemeral


async def test_one_unknown_among_known_still_answers_the_rest(chat: Chat) -> None:
    answer = await chat("quote SPCX ZZZZQ")
    assert answer.kind == "ok"
    assert [q["symbol"] for q in answer.data["quotes"]] == ["SPCX"]
    assert answer.data["missing"] == ["ZZZZQ"]
    assert answer.cards[-1].title == "Not shown"
    assert "No such symbol: ZZZZQ." in answer.cards[-1].description


async def test_pre_market_price_is_labelled(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.set_state("SPCX", "PRE", pre=155.00)
    answer = await chat("quote SPCX")
    fields = {f.name: f.value for f in answer.cards[0].fields}
    assert fields["Market"] == "pre-market"
    assert fields["Pre-market"].startswith("155.00 (+1.17%)")
    assert "After hours" not in fields


async def test_after_hours_price_is_labelled_and_absent_when_none(
    chat: Chat, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.set_state("AMZN", "POST", post=229.10)
    fake_yahoo.set_state("GOOG", "POST")
    answer = await chat("quote AMZN GOOG")
    amzn = {f.name: f.value for f in answer.cards[0].fields}
    goog = {f.name: f.value for f in answer.cards[1].fields}
    assert amzn["Market"] == "after-hours"
    assert amzn["After hours"].startswith("229.10 (-1.04%)")
    assert "After hours" not in goog and "Pre-market" not in goog


async def test_open_market_and_closed_day(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.set_state("MSFT", "REGULAR")
    fake_yahoo.set_state("NVDA", "CLOSED")
    answer = await chat("quote MSFT NVDA")
    states = [q["market_state"] for q in answer.data["quotes"]]
    assert states == ["open", "closed"]


async def test_second_ask_is_served_from_cache(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    await chat("quote SPCX AMZN GOOG")
    before = fake_yahoo.count()
    answer = await chat("quote GOOG SPCX")
    assert answer.kind == "ok"
    assert fake_yahoo.count() == before


async def test_many_symbols_take_one_quote_request(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    await chat("quote SPCX")  # cookie and crumb are fetched once per process
    fake_yahoo.reset_counts()
    await chat("quote AMZN GOOG GOOGL AAPL MSFT NVDA META TSLA NFLX ORCL")
    assert fake_yahoo.counts() == {"quote": 1}


async def test_absurd_input_gets_a_short_usage_message(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.reset_counts()
    cases = {
        "quote": "Missing <symbol...>.\nUsage: quote <symbol...>",
        "quote A B C D E F G H I J K": "symbols: at most 10 at a time (you gave 11).\nUsage: quote <symbol...>",
        "quote " + "X" * 2000: "That is 2,006 characters; commands take at most 500.",
        "quote SP\x07CX": "That text holds control characters; type the command as plain text.",
        # Echoed through safe_echo: a zero-width space defuses the mention, <> become ‹›.
        "quote @everyone": "symbols: '@\u200beveryone' is not a ticker or company name\nUsage: quote <symbol...>",
        "quote <!channel>": "symbols: '‹!channel›' is not a ticker or company name\nUsage: quote <symbol...>",
    }
    for text, expected in cases.items():
        answer = await chat(text)
        assert answer.kind == "usage", text
        assert answer.ephemeral
        assert answer.text == expected
    assert fake_yahoo.count() == 0  # refused before anything was fetched


async def test_help_lists_commands_and_explains_quote(chat: Chat) -> None:
    overview = await chat("help")
    assert "quote" in overview.data["commands"]
    detail = await chat("help quote")
    assert detail.cards[0].title == "quote <symbol...>"
    examples = {f.name: f.value for f in detail.cards[0].fields}["Examples"]
    assert "quote SPCX AMZN" in examples


async def test_help_shows_yes_or_no_for_switches(chat: Chat) -> None:
    # Switches used to read `[impact=<impact>]` and "boolean; default False".
    detail = await chat("help acquisition")
    assert detail.cards[0].title == "acquisition <target...> [impact=yes|no]"
    lines = {f.name: f.value for f in detail.cards[0].fields}
    assert lines["impact=yes|no"] == "yes or no; default no"
    schedule = {f.name: f.value for f in (await chat("help schedule add")).cards[0].fields}
    assert schedule["holidays=yes|no"].endswith("; default no")


async def test_quote_links_encode_the_symbol(chat: Chat) -> None:
    answer = await chat("quote ^GSPC EURUSD=X BRK.B")
    assert [c.url for c in answer.cards] == [
        "https://finance.yahoo.com/quote/%5EGSPC",
        "https://finance.yahoo.com/quote/EURUSD%3DX",
        "https://finance.yahoo.com/quote/BRK-B",
    ]
