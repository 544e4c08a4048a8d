"""Small commands the Slack tests register into their own registry (never shipped).

`probe guard` changes channel state (manage_channel=True), `probe chart` answers with a PNG
attachment, `probe echo` repeats its words, so the adapter's group, permission and upload
paths are exercised without depending on feature modules written elsewhere.
"""

from __future__ import annotations

from typing import Annotated

from bot.context import Context
from bot.registry import Param, command, group
from bot.response import Attachment, Card, Response

probe = group("probe", "Test-only commands for the Slack adapter.")

# The 8-byte PNG signature and a little more: enough for Slack's side to call it a PNG.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@command("probe echo", examples=("probe echo hello",))
async def echo(ctx: Context, words: Annotated[list[str], Param("words to repeat")]) -> Response:
    """Repeat the words back."""
    text = " ".join(words)
    return Response(text=text, cards=(Card(title="Echo", description=text),))


@command("probe guard", manage_channel=True)
async def guard(ctx: Context) -> Response:
    """Pretend to change this channel's settings."""
    return Response(text=f"Guarding #{ctx.channel.name} for {ctx.user.name}.")


@command("probe chart")
async def chart(ctx: Context) -> Response:
    """Answer with a chart attachment."""
    card = Card(title="SPCX, 5 days", image="spcx-5d.png", footer="Yahoo Finance · as of now")
    return Response(
        text="SPCX, 5 days (chart attached)",
        cards=(card,),
        attachments=(Attachment("spcx-5d.png", PNG, description="SPCX price, 5 days"),),
    )
