"""/cashtags on|off: whether a `$TSLA` in this channel's messages gets a threaded quote."""

from __future__ import annotations

from typing import Annotated, Literal

from bot.context import Context
from bot.registry import Param, command
from bot.response import Response
from commands._shared.channel_rows import store_of

State = Annotated[Literal["on", "off"], Param("on: answer $TSLA-style cashtags here; off: stop")]


@command("cashtags", manage_channel=True, examples=("cashtags on", "cashtags off"))
async def cashtags(ctx: Context, state: State) -> Response:
    """Answer cashtags ($TSLA, $SPCX $AMZN) in this channel with a threaded compact quote.

    Off by default. Each message gets at most one answer for its first few cashtags, and a
    channel gets a few answers a minute at most; messages from bots and edits get none.
    """
    on = state == "on"
    await store_of(ctx).channels.set_cashtags(
        ctx.platform, ctx.channel.id, ctx.channel.guild_id, on, by=ctx.user.id, now=ctx.now
    )
    settings = ctx.services.settings
    if not on:
        text = "Cashtags are off in this channel."
    else:
        text = (
            f"Cashtags are on in this channel: a message with $TSLA or $SPCX $AMZN gets a "
            f"threaded quote (its first {settings.cashtag_max_symbols} symbols, at most "
            f"{settings.cashtag_per_minute} answers a minute here)."
        )
        if ctx.platform == "discord" and not settings.discord_message_content:
            text += (
                " This bot runs without Discord's Message Content intent, so it cannot read "
                "messages yet: its operator sets ORBITDESK_DISCORD_MESSAGE_CONTENT=true and "
                "ticks the intent in the Developer Portal."
            )
    return Response(text=text, data={"cashtags": on, "channel": ctx.channel.id})
