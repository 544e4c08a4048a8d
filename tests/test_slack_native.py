"""Slack-native features through the real slack-bolt app in HTTP mode, against the fake Slack:
symbol typeahead (block_suggestion), the App Home, link unfurls and cashtags."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.adapters.slack_home import pick_action_id, read_pick_action_id, suggestion_options
from bot.clock import ManualClock
from bot.completion import Choice
from bot.glance import cashtags, quote_link_symbol
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_server import FakeYahoo
from tests.slack_support import (
    answer_of,
    port_of,
    post_event,
    post_interactive,
    running,
    slack_app,
    slash_payload,
    suggestion_payload,
)
from tests.slack_support import slack as slack  # a fixture, shared


@pytest.fixture
async def adapter(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    slack.users["U0BOSS"] = FakeUser("U0BOSS", "boss", is_admin=True)
    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http", cashtag_per_minute=2)
    async with running(app) as started:
        yield started


async def settle(adapter: SlackAdapter) -> None:
    """Let event listeners Bolt started after its ack run to their end."""
    await asyncio.sleep(0.05)
    await asyncio.wait_for(adapter._idle.wait(), 5)


async def slash(adapter: SlackAdapter, slack: FakeSlack, command: str, text: str, user: str):
    payload = slash_payload(slack, command, text, user_id=user)
    return await answer_of(slack, port_of(adapter), payload)


# ---------------------------------------------------------------------- typeahead


def test_pick_action_ids_name_a_command_and_parameter() -> None:
    assert pick_action_id(("watchlist", "add"), "symbols") == "pick:watchlist.add:symbols"
    assert read_pick_action_id("pick:watchlist.add:symbols") == (("watchlist", "add"), "symbols")
    for odd in (
        "pick:",
        "pick:quote",
        "pick::symbols",
        "pick:quote.:x",
        "refresh:quote",
        "x" * 300,
    ):
        assert read_pick_action_id(odd) is None
    with pytest.raises(ValueError):
        pick_action_id(("a:b",), "symbols")


def test_suggestion_options_fit_slacks_limits() -> None:
    options = suggestion_options(
        [Choice("SPCX (spacex)", "SPCX"), Choice("L" * 90, "LONG"), Choice("too long", "V" * 151)]
    )
    assert options[0] == {"text": {"type": "plain_text", "text": "SPCX (spacex)"}, "value": "SPCX"}
    assert len(options[1]["text"]["text"]) == 75
    assert len(options) == 2  # a value Slack would refuse is left out


async def test_typeahead_answers_with_the_cores_symbol_suggestions(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    port = port_of(adapter)
    status, body = await post_interactive(
        port, suggestion_payload(pick_action_id(("quote",), "symbols"), "spac")
    )
    assert status == 200
    values = [o["value"] for o in body["options"]]
    assert values[0] == "SPCX"  # the alias, instantly
    assert body["options"][0]["text"]["text"].startswith("SPCX (space")
    # The same suggestions Discord autocomplete gets, from the same core call.
    direct = await adapter.app.core.complete(
        adapter._invocation_of({"user": {"id": "U0ADA"}}, path=("quote",)), "symbols", "spac"
    )
    assert values == [c.value for c in direct]
    # A typeahead we never offered, or a parameter without a source: empty, never an error.
    for action_id in ("pick:nosuch:symbols", "pick:quote:nosuch"):
        status, body = await post_interactive(port, suggestion_payload(action_id, "spa"))
        assert (status, body) == (200, {"options": []})
    assert slack.calls_to("chat.postMessage") == []


# ---------------------------------------------------------------------- link unfurls


def test_quote_links_and_cashtags_name_symbols() -> None:
    assert quote_link_symbol("https://finance.yahoo.com/quote/TSLA/") == "TSLA"
    assert quote_link_symbol("https://finance.yahoo.com/quote/%5EGSPC?p=%5EGSPC") == "^GSPC"
    assert quote_link_symbol("https://uk.finance.yahoo.com/quote/BRK-B/history/") == "BRK-B"
    for other in (
        "https://finance.yahoo.com/news/spacex-ipo.html",
        "https://finance.yahoo.com/quote/",
        "https://finance.yahoo.com.example.net/quote/TSLA",
        "ftp://finance.yahoo.com/quote/TSLA",
        "https://example.com/quote/TSLA",
    ):
        assert quote_link_symbol(other) is None
    text = (
        "$TSLA and $spcx, not $100 or US$5; $AMZN! $TSLA again `$NOPE` <https://x.io/$NO|x> $BRK.B."
    )
    assert cashtags(text, 10) == ["TSLA", "SPCX", "AMZN", "BRK-B"]
    assert cashtags("$A $B $C", 2) == ["A", "B"]
    assert cashtags("no tags, just $5 and a$b", 5) == []


def link_shared(*urls: str, source: str = "conversations_history") -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": "C0MARKETS" if source != "composer" else "COMPOSER",
        "is_bot_user_member": True,
        "user": "U0ADA",
        "message_ts": "1785000000.000100",
        "unfurl_id": "C0MARKETS.1785000000.000100.7e1f",
        "source": source,
        "links": [{"domain": "finance.yahoo.com", "url": u} for u in urls],
        "event_ts": "1785000000.000200",
    }


async def test_yahoo_quote_links_unfurl_as_compact_quote_cards(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.reset_counts()
    spcx = "https://finance.yahoo.com/quote/SPCX/"
    amzn = "https://finance.yahoo.com/quote/AMZN?p=AMZN"
    news = "https://finance.yahoo.com/news/spacex-ipo.html"
    bogus = "https://finance.yahoo.com/quote/ZZZZQ/"
    assert await post_event(port_of(adapter), link_shared(spcx, amzn, news, bogus)) == 200
    [call] = await slack.wait_for("chat.unfurl")
    assert (call.params["channel"], call.params["ts"]) == ("C0MARKETS", "1785000000.000100")
    previews = call.params["unfurls"]
    assert set(previews) == {spcx, amzn}  # the news link and the unknown symbol: no preview
    blocks = previews[spcx]["blocks"]
    assert blocks[0]["text"]["text"] == "▲ SPCX · Space Exploration Technologies Corp."
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields == ["*Price*\n153.20 USD", "*Change*\n+0.20 (+0.13%) · after-hours"]
    assert blocks[2]["elements"][0]["text"].startswith("Yahoo Finance · NasdaqGS · USD · as of ")
    assert previews[amzn]["blocks"][0]["text"]["text"].startswith("▲ AMZN")
    # Both prices came from one batched quote call.
    assert fake_yahoo.counts()["quote"] == 1


async def test_composer_previews_unfurl_by_id_and_other_links_are_left_alone(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    port = port_of(adapter)
    assert (
        await post_event(port, link_shared("https://example.com/quote/TSLA"), event_id="Ev1") == 200
    )
    spcx = "https://finance.yahoo.com/quote/SPCX"
    assert await post_event(port, link_shared(spcx, source="composer"), event_id="Ev2") == 200
    [call] = await slack.wait_for("chat.unfurl")
    assert call.params["unfurl_id"] == "C0MARKETS.1785000000.000100.7e1f"
    assert call.params["source"] == "composer"
    assert "channel" not in call.params and set(call.params["unfurls"]) == {spcx}


# ---------------------------------------------------------------------- cashtags

_ts = itertools.count(300)


def message(text: str, **extra: Any) -> dict[str, Any]:
    ts = f"1785000000.{next(_ts):06d}"
    return {
        "type": "message",
        "channel": "C0MARKETS",
        "user": "U0ADA",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        **extra,
    }


async def test_cashtags_are_off_by_default_and_on_for_a_managers_channel(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    port = port_of(adapter)
    assert await post_event(port, message("$SPCX to the moon"), event_id="Ev10") == 200
    await settle(adapter)
    assert slack.calls_to("chat.postMessage") == []  # off until a channel manager turns it on
    refused = await slash(adapter, slack, "/cashtags", "on", "U0ADA")
    assert refused["response_type"] == "ephemeral" and "admin" in refused["text"]
    answer = await slash(adapter, slack, "/cashtags", "on", "U0BOSS")
    assert answer["text"].startswith("Cashtags are on in this channel")

    said = message("Thoughts on $SPCX vs $amzn? And $TSLA, $NVDA. Not $100.")
    assert await post_event(port, said, event_id="Ev11") == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0MARKETS"
    assert post.params["thread_ts"] == said["ts"]  # in the message's thread
    blocks = post.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert [h.split(" · ")[0] for h in headers] == ["▲ SPCX", "▲ AMZN", "▼ TSLA"]  # first 3
    assert post.params["text"].startswith("SPCX  153.20 USD")

    # The same message again (Slack retrying the event): still one answer.
    assert await post_event(port, said, event_id="Ev11") == 200
    # A reply inside a thread is answered in that thread.
    in_thread = message("and $AMZN?", thread_ts="1785000000.000001")
    assert await post_event(port, in_thread, event_id="Ev12") == 200
    await slack.wait_for("chat.postMessage", 2)
    await settle(adapter)
    posts = slack.calls_to("chat.postMessage")
    assert [p.params["thread_ts"] for p in posts] == [said["ts"], "1785000000.000001"]


async def test_cashtags_from_bots_edits_and_over_the_rate_limit_get_no_answer(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    port = port_of(adapter)
    await slash(adapter, slack, "/cashtags", "on", "U0BOSS")
    ignored = [
        message("$SPCX from a bot", bot_id="B0OTHER", subtype="bot_message"),
        message("$SPCX from an app user", bot_id="B0OTHER"),
        message("$SPCX edited", subtype="message_changed"),
    ]  # (a DM is a question for the router, not a cashtag: tests/test_ask_slack.py)
    for index, event in enumerate(ignored):
        assert await post_event(port, event, event_id=f"Ev2{index}") == 200
    await settle(adapter)
    assert slack.calls_to("chat.postMessage") == []

    # cashtag_per_minute=2: the third message within the minute gets nothing.
    for index in range(3):
        assert await post_event(port, message(f"$SPCX #{index}"), event_id=f"Ev3{index}") == 200
        await settle(adapter)
    assert len(slack.calls_to("chat.postMessage")) == 2
    clock = adapter.app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(61)  # a minute later the channel may have answers again
    assert await post_event(port, message("$SPCX later"), event_id="Ev40") == 200
    await slack.wait_for("chat.postMessage", 3)
    # Turned off again: nothing.
    await slash(adapter, slack, "/cashtags", "off", "U0BOSS")
    clock.advance(61)
    assert await post_event(port, message("$SPCX off"), event_id="Ev41") == 200
    await settle(adapter)
    assert len(slack.calls_to("chat.postMessage")) == 3


# ---------------------------------------------------------------------- App Home


async def seed_rows(adapter: SlackAdapter) -> None:
    """Alerts and schedules in two channels of the workspace, and one in another workspace."""
    store = adapter.app.store
    now = adapter.app.services.clock.now()
    for channel, team, symbol, level in (
        ("C0MARKETS", "T0TEST", "SPCX", 160.0),
        ("C0MARKETS", "T0TEST", "AMZN", 150.0),
        ("C0SECRET", "T0TEST", "TSLA", 900.0),  # a channel ada is not in
        ("C0MARKETS", "T0OTHER", "NVDA", 10.0),  # another workspace
    ):
        await store.add_alert(
            platform="slack",
            channel_id=channel,
            guild_id=team,
            created_by="U0BOSS",
            symbol=symbol,
            kind="above",
            threshold=level,
            armed=True,
            fire_count=0,
            created_at=now,
        )
    await store.add_schedule(
        platform="slack",
        channel_id="C0MARKETS",
        guild_id="T0TEST",
        created_by="U0BOSS",
        symbols="SPCX,AMZN",
        at="close+5m",
        days="weekdays",
        tz="America/New_York",
        calendar="XNYS",
        holidays=False,
        paused=False,
        next_due=None,
        created_at=now,
    )


def home_opened(user: str = "U0ADA") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1785000000.000900",
    }


def texts_of(view: dict[str, Any]) -> list[str]:
    out = []
    for block in view["blocks"]:
        if "text" in block and isinstance(block["text"], dict):
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields") or [])
    return out


async def test_app_home_shows_the_users_channels_alerts_and_schedules_with_prices(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    await seed_rows(adapter)
    store = adapter.app.store
    [amazon] = [a for a in await store.list_alerts("slack", "", "T0TEST") if a.symbol == "AMZN"]
    assert await store.pause_alert(amazon.id)
    slack.memberships["U0ADA"] = ["C0MARKETS", "C0LOBBY"]
    await slash(adapter, slack, "/watchlist", "add NVDA GOOGL", "U0ADA")
    fake_yahoo.reset_counts()
    assert await post_event(port_of(adapter), home_opened(), event_id="Ev50") == 200
    [call] = await slack.wait_for("views.publish")
    assert call.params["user_id"] == "U0ADA"
    view = call.params["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    texts = texts_of(view)
    assert texts[0] == "OrbitDesk"
    pickers = [
        b["accessory"]["action_id"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("type") == "external_select"
    ]
    assert pickers == ["pick:watchlist.add:symbols", "pick:quote:symbols"]
    watchlist = texts[texts.index("Your watchlist") + 1 :][:2]
    assert [w.split("\n")[0] for w in watchlist] == ["*NVDA*", "*GOOGL*"]
    assert all("USD" in w for w in watchlist)
    assert "▲ Alerts in your channels" not in texts  # neutral card: no tone mark
    alerts = [t for t in texts if t.startswith("*#")]
    assert any("SPCX above 160.00" in t and "153.20 USD" in t and "armed" in t for t in alerts)
    assert any("AMZN above 150.00" in t and " · paused · " in t for t in alerts)
    assert not any("TSLA" in t or "NVDA 10" in t for t in alerts)  # not ada's channel / workspace
    assert any("SPCX, AMZN" in t and "close+5m weekdays" in t for t in alerts)
    # Every price on the page came from one batched quote call.
    assert fake_yahoo.counts()["quote"] == 1
    [lookup] = slack.calls_to("users.conversations")
    assert lookup.params["user"] == "U0ADA"

    # Picking a symbol in the typeahead runs /quote with it; the answer tops the new home.
    pick = {
        **suggestion_payload("pick:quote:symbols", ""),
        "type": "block_actions",
        "trigger_id": "1337.42.pick",
        "actions": [
            {
                "type": "external_select",
                "action_id": "pick:quote:symbols",
                "block_id": "picker.quote",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "SPCX"},
                    "value": "SPCX",
                },
                "action_ts": "1785000000.001",
            }
        ],
    }
    status, _ = await post_interactive(port_of(adapter), pick)
    assert status == 200
    calls = await slack.wait_for("views.publish", 2)
    texts = texts_of(calls[1].params["view"])
    assert "▲ SPCX · Space Exploration Technologies Corp." in texts
    assert len(slack.calls_to("users.conversations")) == 1  # memberships cached

    # Picking in "Add to your watchlist" adds it, and the refreshed home lists it.
    adding = {
        **pick,
        "actions": [{**pick["actions"][0], "action_id": "pick:watchlist.add:symbols"}],
    }
    status, _ = await post_interactive(port_of(adapter), {**adding, "trigger_id": "1337.43.pick"})
    assert status == 200
    calls = await slack.wait_for("views.publish", 3)
    texts = texts_of(calls[2].params["view"])
    listed = texts[texts.index("Your watchlist") + 1 :][:3]
    assert [w.split("\n")[0] for w in listed] == ["*NVDA*", "*GOOGL*", "*SPCX*"]


async def test_app_home_for_someone_in_no_channel_with_rows_says_so(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    await seed_rows(adapter)
    messages_tab = {**home_opened("U0NEW"), "tab": "messages"}
    assert await post_event(port_of(adapter), messages_tab, event_id="Ev60") == 200
    assert await post_event(port_of(adapter), home_opened("U0NEW"), event_id="Ev61") == 200
    [call] = await slack.wait_for("views.publish")
    texts = texts_of(call.params["view"])
    assert any(t.startswith("No price alerts in the channels you are in") for t in texts)
    assert any(t.startswith("No scheduled price posts") for t in texts)
