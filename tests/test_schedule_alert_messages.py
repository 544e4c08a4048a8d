"""/schedule and /alert answers that used to be wrong, unmanageable or unsafe, as transcripts.

Each comment says what the bot used to answer. No assertion here reads an "as of" or a next-post
time, so none depends on today's date.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.context import Channel, Invocation, User
from tests.conftest import Chat, make_settings
from tests.fakes.yahoo_server import FakeYahoo

ADMIN = User(id="U1", name="admin", can_manage_channel=True)


async def test_console_schedules_cannot_point_at_another_channel(chat: Chat) -> None:
    # Used to be stored for channel C7: it posted, but no console command could list, test,
    # pause or remove it (they only see the console's own rows).
    answer = await chat("schedule add SPCX at:16:05 channel:C7")
    assert answer.kind == "usage"
    assert answer.data["message"] == (
        "channel: the console has only this one channel; leave channel: out and the "
        "schedule posts here."
    )
    assert (await chat("schedule list")).data["schedules"] == []
    here = await chat("schedule add SPCX at:16:05 channel:console")  # this very channel is fine
    assert here.kind == "ok"
    assert len((await chat("schedule list")).data["schedules"]) == 1


async def test_outside_a_server_schedules_stay_in_their_conversation(app: App) -> None:
    dm = Channel(id="D1", name="dm", guild_id=None)
    answer = await app.core.dispatch(
        Invocation(
            text="schedule add SPCX at:16:05 channel:C7", platform="slack", user=ADMIN, channel=dm
        )
    )
    assert answer.kind == "usage"
    assert answer.data["message"] == (
        "channel: works only inside a server or workspace; leave channel: out and the "
        "schedule posts in this conversation."
    )


async def test_a_schedule_mixing_crypto_and_a_listing_follows_the_listing(chat: Chat) -> None:
    # Used to say "close needs an exchange session; these symbols have none" because only
    # the first symbol (24/7 crypto) was asked for its calendar.
    mixed = await chat("schedule add BTC-USD AMZN at:close")
    assert mixed.kind == "ok", mixed.text
    row = mixed.data["schedule"]
    assert (row["symbols"], row["calendar"], row["tz"]) == (
        ["BTC-USD", "AMZN"],
        "XNYS",
        "America/New_York",
    )
    other_order = await chat("schedule add AMZN BTC-USD at:close")
    assert other_order.data["schedule"]["calendar"] == "XNYS"
    assert "close (XNYS session, follows early closes)" in mixed.text
    clock = await chat("schedule add BTC-USD AMZN at:16:05")
    assert clock.data["schedule"]["tz"] == "America/New_York"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "schedule add BTC-USD at:close",
            "at: close needs an exchange session, and BTC-USD has none (crypto and currencies "
            "trade around the clock); use a clock time such as 16:05.",
        ),
        (
            "schedule add BTC-USD EURUSD=X at:every 30m",
            "at: every 30m needs an exchange session, and BTC-USD and EURUSD=X have none "
            "(crypto and currencies trade around the clock); use a clock time such as 16:05.",
        ),
    ],
)
async def test_only_round_the_clock_symbols_get_a_clear_reason(
    chat: Chat, command: str, message: str
) -> None:
    answer = await chat(command)
    assert answer.kind == "usage"
    assert answer.data["message"] == message


async def test_resume_on_an_active_schedule_says_it_already_is(chat: Chat) -> None:
    await chat("schedule add SPCX at:16:05")
    again = await chat("schedule resume 1")  # used to say "Resumed schedule #1"
    assert again.text.startswith("Schedule #1 is already active. Next post: ")
    assert again.data["resumed"] == 1
    await chat("schedule pause 1")
    resumed = await chat("schedule resume 1")
    assert resumed.text.startswith("Resumed schedule #1. Next post: ")


async def test_alert_pause_and_resume_say_what_they_did(chat: Chat, app: App) -> None:
    await chat("alert add SPCX above 1000")
    assert (await chat("alert pause 7")).text == "No alert #7 here; `alert list` shows them."
    active = await chat("alert resume 1")
    assert active.text == "Alert #1 (SPCX above 1,000.00) is already active."
    paused = await chat("alert pause 1")
    assert paused.text == (
        "Paused alert #1 (SPCX above 1,000.00); `alert resume 1` starts it again."
    )
    again = await chat("alert pause 1")
    assert again.text == "Alert #1 is already paused; `alert resume 1` starts it again."
    [row] = (await chat("alert list")).data["alerts"]
    assert row["paused"] is True
    assert (
        "#1 · SPCX above 1,000.00: paused; `alert resume 1` starts it again"
        in (await chat("alert list")).text
    )
    # Another workspace's alert is not found; someone who may not manage the channel is told so.
    elsewhere = Channel(id="C9", name="other", guild_id="T9")
    other = await app.core.dispatch(
        Invocation(text="alert resume 1", platform="console", user=ADMIN, channel=elsewhere)
    )
    assert (other.kind, other.text) == ("not_found", "No alert #1 here; `alert list` shows them.")
    member = User(id="U2", name="member", can_manage_channel=False)
    refused = await app.core.dispatch(Invocation(text="alert resume 1", user=member))
    assert refused.kind == "forbidden"
    resumed = await chat("alert resume 1")
    assert (
        resumed.text == "Resumed alert #1 (SPCX above 1,000.00). Checked while its market is open."
    )
    assert (await chat("alert list")).data["alerts"][0]["paused"] is False


async def test_limits_are_said_in_words_and_counted_right(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    settings = make_settings(
        tmp_path, fake_yahoo.base_url, max_schedules_per_channel=1, max_alerts_per_channel=1
    )
    app = App.build(settings)
    await app.start()
    try:
        chat = Chat(app)
        assert (await chat("schedule add SPCX at:16:05")).kind == "ok"
        second = await chat("schedule add AMZN at:close")
        assert second.kind == "forbidden"
        # Used to be "already has 1 schedules, ... (ORBITDESK_MAX_SCHEDULES_PER_CHANNEL)".
        assert second.text == (
            "This channel already has 1 schedule, the most allowed; "
            "remove one first: `schedule remove <id>`."
        )
        assert (await chat("alert add SPCX above 200")).kind == "ok"
        extra = await chat("alert add SPCX below 100")
        assert extra.kind == "forbidden"
        assert extra.text == (
            "This channel already has 1 alert, the most allowed; "
            "remove one first: `alert remove <id>`."
        )
    finally:
        await app.close()


async def test_alert_help_names_no_internal_setting(chat: Chat) -> None:
    # Used to say "Checked every ALERT_POLL_SECONDS ... (by ALERT_REARM_PERCENT)".
    helped = await chat("help alert add")
    for word in ("ALERT_POLL_SECONDS", "ALERT_REARM_PERCENT", "ORBITDESK_"):
        assert word not in helped.text
    assert "every minute unless the admin set otherwise" in helped.text


@pytest.mark.parametrize(
    ("level", "message"),
    [
        # Used to be accepted and echoed as 309 digits.
        ("1e308", "value: must be at most 1,000,000,000 for a price; got 1e308"),
        ("2000000000", "value: must be at most 1,000,000,000 for a price; got 2000000000"),
        ("1e999", "value: '1e999' is not a number"),
        ("inf", "value: 'inf' is not a number"),
        ("nan", "value: 'nan' is not a number"),
        ("0", "value: must be a positive number"),
        ("-5", "value: must be a positive number"),
        ("0.00000001", "value: must be at least 0.0001; got 0.00000001"),
    ],
)
async def test_alert_levels_are_capped_and_finite(chat: Chat, level: str, message: str) -> None:
    answer = await chat(f"alert add SPCX above {level}")
    assert answer.kind == "usage", answer.text
    assert answer.data["message"] == message
    assert (await chat("alert list")).data["alerts"] == []


@pytest.mark.parametrize(
    "command",
    [
        'schedule add AMZN at:"every @here"',
        "schedule add AMZN at:@everyone",
        "schedule add AMZN at:16:05 days:@here",
        "schedule add AMZN at:16:05 days:mon-@channel",
        "schedule add AMZN at:16:05 tz:@here",
        "schedule add AMZN at:16:05 tz:<!channel>",
        "alert add SPCX above @everyone",
        "alert add SPCX above <!here>",
    ],
)
async def test_schedule_and_alert_errors_never_echo_a_mention(chat: Chat, command: str) -> None:
    # `at:"every @here"` used to answer "'every @here' is not a time ...", mention and all.
    answer = await chat(command)
    assert answer.kind == "usage", answer.text
    message = answer.data["message"]
    for raw in ("@everyone", "@here", "@channel", "<!"):
        assert raw not in message, message
    assert "\\u200b" not in message
