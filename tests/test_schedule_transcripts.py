"""/schedule and /alert as people use them, through the console and a Slack-like invocation."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.console import invocation
from bot.app import App
from bot.context import Channel, Invocation, User
from bot.response import Response
from tests.conftest import Chat, make_settings, pinned_clock
from tests.fakes.chat_platform import RecordingPlatform, missing_permission
from tests.fakes.yahoo_server import FakeYahoo

MEMBER = User(id="U2", name="member", can_manage_channel=False)
ADMIN = User(id="U1", name="admin", can_manage_channel=True)
GENERAL = Channel(id="C1", name="general", guild_id="T1")


def slack(text: str, user: User = ADMIN, channel: Channel = GENERAL) -> Invocation:
    return Invocation(text=text, platform="slack", user=user, channel=channel)


async def test_add_list_pause_resume_remove(chat: Chat) -> None:
    added = await chat("schedule add SPCX AMZN at:close+5m")
    assert added.kind == "ok"
    assert added.text.startswith(
        "Schedule #1: SPCX, AMZN in console, close+5m (XNYS session, follows early closes), "
        "weekdays, shown in America/New_York. Next post: "
    )
    assert added.text.endswith(("EST.", "EDT."))
    listing = await chat("schedule list")
    [row] = listing.data["schedules"]
    assert (row["symbols"], row["at"], row["tz"], row["days"]) == (
        ["SPCX", "AMZN"],
        "close+5m",
        "America/New_York",
        "weekdays",
    )
    assert listing.cards[0].fields[0].name == "#1 · SPCX, AMZN"
    assert "active" in listing.text
    paused = await chat("schedule pause 1")
    assert paused.text == "Paused schedule #1; `schedule resume 1` starts it again."
    assert "paused" in (await chat("schedule list")).text
    again = await chat("schedule pause 1")  # used to say "Paused schedule #1" again
    assert again.text == "Schedule #1 is already paused; `schedule resume 1` starts it again."
    resumed = await chat("schedule resume 1")
    assert resumed.text.startswith("Resumed schedule #1. Next post: ")
    removed = await chat("schedule remove 1")
    assert removed.text == "Removed schedule #1 (SPCX, AMZN at close+5m)."
    empty = await chat("schedule list")
    assert empty.text == "No schedules here yet. Add one: `schedule add SPCX at:close+5m`."


async def test_clock_time_in_another_zone_with_days_and_names(chat: Chat) -> None:
    added = await chat("schedule add spacex at:16:05 tz:Europe/London days:mon,wed,fri")
    assert added.data["schedule"]["symbols"] == ["SPCX"]
    assert "16:05 Europe/London (GMT/BST), mon,wed,fri, not on exchange holidays" in added.text
    assert "GMT." in added.text or "BST." in added.text


async def test_twelve_hour_clock_times_are_understood(chat: Chat) -> None:
    # "4:05pm" used to be refused as "not a time".
    added = await chat("schedule add SPCX at:4:05pm")
    assert added.data["schedule"]["at"] == "16:05"
    assert (await chat("schedule add SPCX at:12am")).data["schedule"]["at"] == "00:00"
    wrong = await chat("schedule add SPCX at:13pm")
    assert wrong.kind == "usage"
    assert wrong.text.startswith("at: '13pm' is not a time of day (1 to 12 with am/pm, or 16:05).")


async def test_every_interval_typed_without_quotes(chat: Chat) -> None:
    added = await chat("schedule add TSLA at:every 30m")
    assert added.kind == "ok"
    assert added.data["schedule"]["at"] == "every 30m"
    assert added.data["schedule"]["symbols"] == ["TSLA"]
    assert "every 30m while XNYS is open" in added.text


async def test_bad_input_names_the_parameter_and_stores_nothing(chat: Chat) -> None:
    cases = {
        "schedule add SPCX at:noon": "at: 'noon' is not a time; use 16:05, open, close+5m, "
        "open-15m or every 30m.",
        "schedule add SPCX": "Missing at=<when>.",
        "schedule add SPCX at:close holidays:yes": "at: holidays:yes works with clock times "
        "(16:05), not open/close/every.",
        "schedule add BTC-USD at:close": "at: close needs an exchange session, and BTC-USD has "
        "none (crypto and currencies trade around the clock); use a clock time such as 16:05.",
        "schedule add SPCX at:16:05 tz:Mars/Base": "tz: 'Mars/Base' is not a time zone name "
        "like America/New_York",
        "schedule add SPCX at:16:05 days:someday": "days: 'someday' is not a day; use mon, "
        "tue, ... sun",
        "schedule add SPCX at:every": 'at: say how often, e.g. at:"every 30m".',
    }
    for text, message in cases.items():
        answer = await chat(text)
        assert answer.kind == "usage", text
        assert answer.data["message"] == message, text
        assert answer.text.endswith("[holidays=yes|no] [channel=<channel>]")
    unknown = await chat("schedule add ZZZZQ at:16:05")
    assert unknown.kind == "not_found" and unknown.text == "No such symbol: ZZZZQ."
    assert (await chat("schedule list")).data["schedules"] == []


async def test_schedule_test_in_the_console_answers_with_the_card(chat: Chat) -> None:
    await chat("schedule add SPCX AMZN at:16:05")
    answer = await chat("schedule test 1")
    assert answer.kind == "ok"
    [card] = answer.cards
    assert card.title.startswith("Prices · ")
    assert [f.name for f in card.fields] == ["SPCX", "AMZN"]
    assert card.footer.endswith("· schedule #1")
    assert (
        await chat("schedule test 7")
    ).text == "No schedule #7 here; `schedule list` shows them."


async def test_members_without_manage_permission_are_refused(app: App) -> None:
    for text in ("schedule add SPCX at:16:05", "schedule remove 1", "alert add SPCX above 160"):
        answer = await app.core.dispatch(slack(text, user=MEMBER))
        assert answer.kind == "forbidden", text
        assert "needs the Manage Channels permission (Discord) or a workspace admin" in answer.text
    assert (await app.core.dispatch(slack("schedule add SPCX at:16:05"))).kind == "ok"
    listing = await app.core.dispatch(slack("schedule list", user=MEMBER))
    assert listing.kind == "ok" and len(listing.data["schedules"]) == 1
    assert "in #general" in listing.text  # Slack: the channel asked from, by name
    assert (await app.core.dispatch(slack("alert list", user=MEMBER))).kind == "ok"


async def test_schedules_belong_to_their_workspace(app: App) -> None:
    await app.core.dispatch(slack("schedule add SPCX at:16:05"))
    other = Channel(id="C9", name="elsewhere", guild_id="T9")
    answer = await app.core.dispatch(slack("schedule remove 1", channel=other))
    assert answer.kind == "not_found"
    console = await app.core.dispatch(invocation("schedule pause 1"))
    assert console.kind == "not_found"
    same_workspace = Channel(id="C2", name="random", guild_id="T1")
    listing = await app.core.dispatch(slack("schedule list", channel=same_workspace))
    assert len(listing.data["schedules"]) == 1


async def test_schedule_test_posts_through_the_platform_and_reports_failures(app: App) -> None:
    platform = RecordingPlatform(name="slack")
    app.services.adapters = {"slack": platform}
    await app.core.dispatch(slack("schedule add SPCX at:close+5m channel:<#C7|prices>"))
    answer = await app.core.dispatch(slack("schedule test 1"))
    assert answer.text == "Posted schedule #1 in channel C7."
    [(channel, post)] = platform.posts
    assert channel == "C7" and post.cards[0].fields[0].name == "SPCX"
    platform.fail_channels["C7"] = missing_permission()
    failed = await app.core.dispatch(slack("schedule test 1"))
    assert failed.kind == "forbidden"
    assert (
        failed.text == "Could not post in channel C7: the bot may not send messages in this channel"
    )


async def test_per_channel_limits_give_a_clear_message(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    settings = make_settings(
        tmp_path, fake_yahoo.base_url, max_schedules_per_channel=2, max_alerts_per_channel=1
    )
    app = App.build(settings, clock=pinned_clock())
    await app.start()
    try:
        chat = Chat(app)
        assert (await chat("schedule add SPCX at:16:05")).kind == "ok"
        assert (await chat("schedule add AMZN at:close")).kind == "ok"
        third = await chat("schedule add GOOG at:open")
        assert third.kind == "forbidden"
        assert third.text == (
            "This channel already has 2 schedules, the most allowed; "
            "remove one first: `schedule remove <id>`."
        )
        assert len((await chat("schedule list")).data["schedules"]) == 2
        assert (await chat("alert add SPCX above 200")).kind == "ok"
        second = await chat("alert add SPCX below 100")
        assert second.kind == "forbidden"
        assert "already has 1 alert, the most allowed; remove one first" in second.text
    finally:
        await app.close()


async def test_alert_add_list_remove(chat: Chat) -> None:
    added = await chat("alert add SPCX above 160")
    assert added.text == (
        "Alert #1: SPCX above 160.00. Checked while its market is open. "
        "Now 153.20 USD (Yahoo Finance, as of Nov 24 16:00 EST)."
    )
    past = await chat("alert add spacex above 150")
    assert past.text.endswith(
        "It is already past that line, so the alert waits: it re-arms at or below 149.25 first."
    )
    assert past.data["alert"]["armed"] is False
    move = await chat("alert add TSLA move 5%")
    assert move.data["alert"] == {
        "id": 3,
        "symbol": "TSLA",
        "kind": "move",
        "threshold": 5.0,
        "armed": True,
        "paused": False,
        "disabled_reason": None,
        "fire_count": 0,
    }
    listing = await chat("alert list")
    assert listing.text.splitlines() == [
        "#1 · SPCX above 160.00: armed",
        # It never fired: it was past its line when added (this used to say "fired earlier").
        "#2 · SPCX above 150.00: not armed yet: already past the line when added; "
        "re-arms at or below 149.25",
        "#3 · TSLA moves 5% from the previous close: armed",
    ]
    assert (await chat("alert remove 2")).text == "Removed alert #2 (SPCX above 150.00)."
    assert len((await chat("alert list")).data["alerts"]) == 2


async def test_alert_bad_input(chat: Chat) -> None:
    cases: dict[str, str] = {
        "alert add SPCX sideways 5": "condition: 'sideways' is not one of above, below, move.",
        "alert add SPCX above -3": "value: must be a positive number",
        "alert add SPCX above lots": "value: 'lots' is not a number",
        "alert add SPCX move 150%": "value: a move alert takes a percentage up to 100, e.g. 5 "
        "or 5%.",
        "alert add SPCX above": "Missing <value>.",
        # A percentage is a move, not a price level (it used to be taken as $5).
        "alert add SPCX above 5%": "value: above takes a price, not a percentage; for a 5% "
        "move use `alert add SPCX move 5%`.",
        # A decimal comma is refused, not read as thousands (it used to mean 1,605).
        "alert add SPCX below 160,5": "value: '160,5': use a dot for decimals, e.g. 160.5",
    }
    for text, message in cases.items():
        answer: Response = await chat(text)
        assert answer.kind == "usage", text
        assert answer.data["message"] == message, text
    assert (await chat("alert add ZZZZQ above 5")).text == "No such symbol: ZZZZQ."
    grouped = await chat("alert add SPCX above 1,250.5")
    assert grouped.data["alert"]["threshold"] == 1250.5
    assert (await chat("alert remove 1")).kind == "ok"
    assert (await chat("alert list")).data["alerts"] == []


async def test_a_schedule_posts_the_channels_watchlist_as_it_is_then(chat: Chat) -> None:
    assert (await chat("watchlist add NVDA TSLA list:channel")).kind == "ok"
    added = await chat("schedule add watchlist:channel at:close")
    assert added.kind == "ok"
    assert added.text.startswith(
        "Schedule #1: watchlist (channel) in console, close (XNYS session, follows early "
        "closes), weekdays, shown in America/New_York. Next post: Wed Nov 25 16:00 EST. "
    )
    assert added.text.endswith("It posts this channel's watchlist as it is at each post.")
    assert added.data["schedule"]["watchlist"] == "channel"
    assert added.data["schedule"]["symbols"] == []
    assert added.cards[0].fields[0].name == "Watchlist"
    listing = await chat("schedule list")
    assert listing.cards[0].fields[0].name == "#1 · watchlist (channel)"
    assert listing.text.startswith("#1 · watchlist (channel): close (XNYS session")
    [row] = listing.data["schedules"]
    assert (row["watchlist"], row["symbols"], row["at"]) == ("channel", [], "close")

    # The list changes after the schedule is made: the test post shows it as it is now.
    await chat("watchlist remove TSLA list:channel")
    await chat("watchlist add AMZN list:channel")
    tested = await chat("schedule test 1")
    assert tested.kind == "ok"
    [card] = tested.cards
    assert card.title == "This channel's watchlist · Tue Nov 24 16:30 EST"
    assert [line.split()[0] for line in card.description.splitlines()] == ["NVDA", "AMZN"]
    assert card.footer.endswith("· schedule #1")
    assert tested.data["watchlist"] == "channel"

    await chat("watchlist clear channel")
    empty = await chat("schedule test 1")
    assert empty.kind == "ok" and empty.data["empty"] is True
    assert "This channel's watchlist is empty, so there is nothing to quote." in empty.text

    removed = await chat("schedule remove 1")
    assert removed.text == "Removed schedule #1 (watchlist (channel) at close)."


async def test_only_the_channels_watchlist_can_be_scheduled(chat: Chat) -> None:
    mine = await chat("schedule add watchlist:mine at:close")
    assert mine.kind == "usage"
    assert mine.data["message"] == (
        "watchlist: only this channel's watchlist can be scheduled (watchlist:channel). Your "
        "own list is yours to change at any time, and a post in a channel must not depend on "
        "one person's list."
    )
    both = await chat("schedule add SPCX watchlist:channel at:close")
    assert both.kind == "usage" and both.data["message"].startswith(
        "Give symbols or watchlist:channel, not both"
    )
    neither = await chat("schedule add at:close")
    assert neither.kind == "usage"
    assert neither.data["message"] == "Missing <symbol...> (or watchlist:channel)."
    assert (await chat("schedule list")).data["schedules"] == []


async def test_watchlist_schedules_on_slack_need_a_channel_manager(app: App) -> None:
    platform = RecordingPlatform(name="slack")
    app.services.adapters = {"slack": platform}
    refused = await app.core.dispatch(slack("schedule add watchlist:channel at:close", MEMBER))
    assert refused.kind == "forbidden"
    assert (await app.core.dispatch(slack("watchlist add GOOG list:channel"))).kind == "ok"
    added = await app.core.dispatch(
        slack("schedule add watchlist:channel at:16:05 channel:<#C7|prices>")
    )
    assert added.kind == "ok"
    assert added.text.endswith("It posts that channel's watchlist as it is at each post.")
    # C7's list (empty), not C1's, where the command was typed.
    answer = await app.core.dispatch(slack("schedule test 1"))
    assert answer.text == "Posted schedule #1 in channel C7."
    [(channel, post)] = platform.posts
    assert channel == "C7" and post.data["empty"] is True
    listing = await app.core.dispatch(slack("schedule list", MEMBER))
    assert listing.text.startswith("#1 · watchlist (channel): 16:05")
