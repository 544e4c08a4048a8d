"""Buttons features share: previous/next page, per-row manage buttons, confirm before removing.

Every button is a command line (bot.actions); building one never fails an answer: a line that
cannot be written, or is too long for a button id, just means no button.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from bot.context import Context
from bot.registry import Param
from bot.response import ActionRow, Button, ButtonStyle, Response, action_rows
from commands._shared.paging import PageOf

# `confirm=no` makes a remove ask first (the Remove buttons send it); typed removes act at once.
Confirm = Annotated[bool, Param("no: ask before removing (what the Remove button does)")]


def again(
    ctx: Context, label: str, style: ButtonStyle = ButtonStyle.SECONDARY, **changes: Any
) -> Button | None:
    """A button running this command with some arguments changed; None when none can."""
    try:
        return Button(label, ctx.again(**changes), style)
    except ValueError:
        return None


def row(*buttons: Button | None, note: str = "") -> ActionRow:
    return ActionRow(tuple(b for b in buttons if b is not None), note)


def page_buttons(ctx: Context, paged: PageOf[Any]) -> tuple[ActionRow, ...]:
    """◀ Previous / Next ▶ for a paged answer (only those that lead somewhere)."""
    previous = None
    if paged.page > 1:
        target = paged.page - 1
        previous = again(ctx, "◀ Previous", page=target if target > 1 else None)
    following = None
    if paged.page < paged.pages:
        following = again(ctx, "Next ▶", ButtonStyle.PRIMARY, page=paged.page + 1)
    return action_rows(row(previous, following))


def manage_rows(
    noun: str, rows: Sequence[tuple[int, bool]], *, pausable: bool
) -> tuple[ActionRow, ...]:
    """Per row: Pause or Resume (when the feature has them) and Remove, which asks first.

    `rows` are (id, paused). `noun` is the command group: "schedule", "alert".
    """
    out = []
    for row_id, paused in rows:
        buttons: list[Button] = []
        if pausable:
            verb = "resume" if paused else "pause"
            buttons.append(Button(f"{verb.title()} #{row_id}", f"{noun} {verb} {row_id}"))
        buttons.append(
            Button(f"Remove #{row_id}", f"{noun} remove {row_id} confirm=no", ButtonStyle.DANGER)
        )
        out.append(ActionRow(tuple(buttons), note=f"#{row_id}"))
    return action_rows(*out)


def confirm_remove(ctx: Context, noun: str, row_id: int, what: str) -> Response:
    """The question a Remove button asks: yes (the same command with confirm=yes) or cancel."""
    text = f"Remove {noun} #{row_id} ({what})? This cannot be undone."
    yes = again(ctx, f"Yes, remove #{row_id}", ButtonStyle.DANGER, confirm="yes")
    cancel = Button("Cancel", f"{noun} list")
    return Response(
        text=text,
        data={"confirm": {"remove": row_id, "what": noun}},
        actions=action_rows(row(yes, cancel)),
    )


def back_to_list(noun: str) -> tuple[ActionRow, ...]:
    """After pause/resume/remove: a button showing the list again."""
    return action_rows(ActionRow((Button(f"Show {noun}s", f"{noun} list"),)))
