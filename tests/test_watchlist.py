"""/watchlist as people use it: personal and channel lists, permissions, limits, both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.context import Channel, Invocation, User
from bot.response import Response
from bot.store.repo import Store
from bot.store.watchlists import ListKey
from tests.conftest import make_settings
from tests.fakes.yahoo_server import FakeYahoo

WEDNESDAY_10AM = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 EST, NYSE open

ADMIN = User(id="U1", name="admin", can_manage_channel=True)
MEMBER = User(id="U2", name="member", can_manage_channel=False)
GENERAL = Channel(id="C1", name="general", guild_id="T1")
RANDOM = Channel(id="C2", name="random", guild_id="T1")
OTHER_TEAM = Channel(id="C9", name="general", guild_id="T2")


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=WEDNESDAY_10AM) as served:
        yield served


@pytest.fixture
async def app(tmp_path: Path, fake: FakeYahoo, store: Store) -> AsyncIterator[App]:
    """An app on the pinned fake Yahoo whose store is the parametrised database (both)."""
    built = App.build(
        make_settings(tmp_path / "app", fake.base_url, max_watchlist_symbols=5),
        clock=ManualClock(WEDNESDAY_10AM),
    )
    await built.start()
    built.services.store = store  # SQLite or PostgreSQL, migrated by the fixture
    yield built
    await built.close()


class SlackChat:
    """A Slack-like conversation: who types, in which channel."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(
        self, text: str, user: User = MEMBER, channel: Channel = GENERAL
    ) -> Response:
        return await self.app.core.dispatch(
            Invocation(text=text, platform="slack", user=user, channel=channel)
        )


@pytest.fixture
def chat(app: App) -> SlackChat:
    return SlackChat(app)


async def test_add_show_quote_remove_clear(chat: SlackChat, fake: FakeYahoo, app: App) -> None:
    answer = await chat("watchlist add AMZN spacex")
    assert answer.kind == "ok"
    assert answer.text == "Added AMZN, SPCX to your watchlist. It holds 2 of 5."
    assert answer.data["added"] == ["AMZN", "SPCX"]
    again = await chat("watchlist add AMZN NVDA")
    assert again.text == "Added NVDA to your watchlist; already there: AMZN. It holds 3 of 5."
    shown = await chat("watchlist show")
    assert shown.data["mine"] == ["AMZN", "SPCX", "NVDA"]
    assert shown.data["channel"] == []
    assert "Your watchlist (3 of 5): AMZN, SPCX, NVDA" in shown.text
    assert "This channel's watchlist (0 of 5): empty" in shown.text

    assert isinstance(app.services.clock, ManualClock)
    app.services.clock.advance(60)  # past the open market's quote TTL: a cold fetch
    fake.reset_counts()
    quoted = await chat("watchlist")
    assert quoted.kind == "ok"
    assert [q["symbol"] for q in quoted.data["quotes"]] == ["AMZN", "SPCX", "NVDA"]
    assert fake.count("quote") == 1  # one batched v7 request for the whole list
    assert fake.count("chart") == 0
    fake.reset_counts()
    assert (await chat("watchlist")).kind == "ok"
    assert fake.count() == 0  # warm: all from the cache
    [card] = quoted.cards
    assert card.title == "Watchlist · yours 3 · this channel's 0"
    assert card.description.splitlines()[0].startswith("AMZN  231.50 USD  +5.52 (+2.44%)  open")
    assert card.description.splitlines()[0].endswith("· yours")
    assert "Yahoo Finance · prices as of Dec 2 10:00 EST" in card.footer

    removed = await chat("watchlist remove spacex")
    assert removed.text == "Removed SPCX from your watchlist. 2 left."
    assert (await chat("watchlist show mine")).data["mine"] == ["AMZN", "NVDA"]
    cleared = await chat("watchlist clear")
    assert cleared.text == "Cleared your watchlist (2 symbols)."
    empty = await chat("watchlist")
    assert empty.text.startswith("Your watchlist and this channel's are empty.")
    assert (await chat("watchlist clear")).text == "Your watchlist was already empty."


async def test_personal_list_follows_the_user_across_channels_not_servers(
    chat: SlackChat,
) -> None:
    await chat("watchlist add TSLA")
    assert (await chat("watchlist show mine", channel=RANDOM)).data["mine"] == ["TSLA"]
    assert (await chat("watchlist show mine", channel=OTHER_TEAM)).data["mine"] == []
    assert (await chat("watchlist show mine", user=ADMIN)).data["mine"] == []


async def test_channel_list_is_changed_only_by_channel_managers(
    chat: SlackChat, store: Store
) -> None:
    refused = await chat("watchlist add AMZN list:channel", user=MEMBER)
    assert refused.kind == "forbidden"
    assert "changed only by people who manage the channel" in refused.text
    assert await store.watchlists.symbols(ListKey.of_channel("slack", "T1", "C1")) == []
    added = await chat("watchlist add AMZN AAPL list:channel", user=ADMIN)
    assert added.text == "Added AMZN, AAPL to this channel's watchlist. It holds 2 of 5."
    for text in ("watchlist remove AMZN list:channel", "watchlist clear channel"):
        denied = await chat(text, user=MEMBER)
        assert denied.kind == "forbidden", text
    assert await store.watchlists.symbols(ListKey.of_channel("slack", "T1", "C1")) == [
        "AMZN",
        "AAPL",
    ]
    # Everyone sees and quotes the channel's list; a member's own list joins it in one card.
    await chat("watchlist add AAPL NVDA", user=MEMBER)
    quoted = await chat("watchlist", user=MEMBER)
    assert [s["symbol"] for s in quoted.data["symbols"]] == ["AAPL", "NVDA", "AMZN"]
    assert [s["lists"] for s in quoted.data["symbols"]] == [
        ["yours", "channel"],
        ["yours"],
        ["channel"],
    ]
    assert quoted.cards[0].title == "Watchlist · yours 2 · this channel's 2"
    assert (await chat("watchlist", channel=RANDOM, user=ADMIN)).data["channel"] == []
    cleared = await chat("watchlist clear channel", user=ADMIN)
    assert cleared.text == "Cleared this channel's watchlist (2 symbols)."


async def test_limit_is_explained_and_nothing_is_added(chat: SlackChat) -> None:
    await chat("watchlist add AMZN AAPL MSFT NVDA")
    over = await chat("watchlist add TSLA META")
    assert over.kind == "forbidden"
    assert over.text == (
        "Your watchlist holds 4 of at most 5 symbols (ORBITDESK_MAX_WATCHLIST_SYMBOLS); adding "
        "TSLA, META would make 6. Nothing was added; remove some first: "
        "`watchlist remove <symbol...>`."
    )
    assert (await chat("watchlist show mine")).data["mine"] == ["AMZN", "AAPL", "MSFT", "NVDA"]
    assert (await chat("watchlist add TSLA")).data["size"] == 5


async def test_bad_input_gets_a_short_answer_and_changes_nothing(chat: SlackChat) -> None:
    unknown = await chat("watchlist add AMZN ZZZZQ")
    assert unknown.kind == "not_found"
    assert unknown.text.startswith("No such symbol: ZZZZQ. Nothing was added.")
    assert (await chat("watchlist show mine")).data["mine"] == []
    nothing = await chat("watchlist add")
    assert nothing.kind == "usage"
    assert "Usage: watchlist add <symbol...>" in nothing.text
    shady = await chat("watchlist add @everyone")
    assert shady.kind == "usage"
    assert "@everyone" not in shady.text  # the echo is defused (safe_echo)
    absent = await chat("watchlist remove TSLA")
    assert absent.kind == "not_found"
    assert (
        absent.text == "Your watchlist does not hold TSLA; nothing was removed. It holds: nothing."
    )
    wrong = await chat("watchlist show everybody")
    assert wrong.kind == "usage"
    wrong_list = await chat("watchlist add AMZN list:team")
    assert wrong_list.kind == "usage"
    assert (await chat("watchlist show mine")).data["mine"] == []
    sub = await chat("watchlist purge")
    assert sub.kind == "usage"
    assert "`watchlist` has no subcommand 'purge'" in sub.text


async def test_quote_survives_yahoo_failing_with_cached_prices(
    chat: SlackChat, fake: FakeYahoo, app: App
) -> None:
    await chat("watchlist add AMZN AAPL")
    assert (await chat("watchlist")).kind == "ok"
    assert isinstance(app.services.clock, ManualClock)
    app.services.clock.advance(3600)  # every quote's TTL has run out
    fake.fail("quote", "500")
    fake.fail("chart", "500")
    stale = await chat("watchlist")
    assert stale.kind == "ok"
    assert stale.data["failed"] == {"AMZN": "server_error", "AAPL": "server_error"}
    assert all(q["stale"] for q in stale.data["quotes"])
    assert (
        "⚠ Cached prices for AMZN, AAPL: Yahoo Finance is having trouble."
        in stale.cards[0].description
    )
