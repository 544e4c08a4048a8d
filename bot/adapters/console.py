"""The console adapter: a terminal prompt, and the renderer `orbitdesk ask` prints with."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bot.context import Channel, Invocation, User
from bot.core import Core
from bot.response import ActionRow, Button, Card, Lookup, Response, Tone
from bot.router import ask

CONSOLE_USER = User(id="console", name="console", can_manage_channel=True)
CONSOLE_CHANNEL = Channel(id="console", name="console")

_ANSI = {
    Tone.UP: "\x1b[32m",
    Tone.DOWN: "\x1b[31m",
    Tone.WARNING: "\x1b[33m",
    Tone.NEUTRAL: "\x1b[36m",
}
_RESET = "\x1b[0m"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def invocation(text: str) -> Invocation:
    return Invocation(text=text, platform="console", user=CONSOLE_USER, channel=CONSOLE_CHANNEL)


def question_or_command(core: Core, text: str) -> Invocation:
    """A command as typed, or, when the first word is no command, a question for `ask`."""
    return invocation(ask.question_or_command(core.registry, text))


def save_attachments(response: Response, out_dir: Path) -> Response:
    """Write attachments under out_dir (names made safe) and record their paths."""
    if not response.attachments:
        return response
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for attachment in response.attachments:
        path = out_dir / (_SAFE_NAME.sub("_", attachment.filename) or "attachment")
        path.write_bytes(attachment.content)
        saved.append(replace(attachment, path=str(path)))
    return replace(response, attachments=tuple(saved))


def render_card(card: Card, width: int, color: bool) -> str:
    paint = _ANSI[card.tone] if color else ""
    reset = _RESET if color else ""
    lines = [f"{paint}▌ {card.title}{reset}"]
    for para in card.description.splitlines():
        lines.extend("▌ " + w for w in textwrap.wrap(para, width - 2) or [""])
    label_width = max((len(f.name) for f in card.fields), default=0)
    label_width = min(label_width, 16)
    for field in card.fields:
        value_lines = field.value.splitlines() or [""]
        if len(field.name) > label_width:  # a long name on its own line keeps columns straight
            lines.append(f"▌ {field.name}")
            value_lines = value_lines if value_lines != [""] else []
            lines.extend(f"▌ {'':<{label_width}}  {v}" for v in value_lines)
            continue
        lines.append(f"▌ {field.name:<{label_width}}  {value_lines[0]}")
        lines.extend(f"▌ {'':<{label_width}}  {v}" for v in value_lines[1:])
    if card.footer:
        lines.append(f"▌ {card.footer}")
    if card.url:
        lines.append(f"▌ {card.url}")
    return "\n".join(lines)


def render(response: Response, *, color: bool = False, width: int | None = None) -> str:
    """Readable terminal text: cards framed and coloured by tone, or the plain text."""
    width = width or min(shutil.get_terminal_size((100, 20)).columns, 100)
    if not response.cards:
        body = response.as_text()
    else:
        body = "\n\n".join(render_card(c, width, color) for c in response.cards)
    for attachment in response.attachments:
        where = attachment.path or "(not saved)"
        body += f"\n[{attachment.content_type}: {attachment.filename}, {len(attachment.content):,} bytes -> {where}]"
    if response.actions:
        body += "\n" + render_actions(response.actions)
    return body


def render_actions(rows: Sequence[ActionRow]) -> str:
    """Buttons and menus as the commands that do the same, one per line:

    Actions (type the command):
      [Refresh]  quote SPCX AMZN
      #3 [Pause]  schedule pause 3
    """
    lines = ["Actions (type the command):"]
    for row in rows:
        lead = f"{row.note} " if row.note else ""
        for item in row.items:
            if isinstance(item, Button):
                mark = " (shown)" if item.current else ""
                lines.append(f"  {lead}[{item.label}]  {item.command}{mark}")
                continue
            if isinstance(item, Lookup):
                lines.append(f"  {lead}[{item.placeholder}]  {item.command}")
                continue
            for option in item.options:
                mark = " (shown)" if option.current else ""
                lines.append(
                    f"  {lead}[{item.placeholder}: {option.label}]  {option.command}{mark}"
                )
    return "\n".join(lines)


def to_json(response: Response) -> str:
    return json.dumps(response.to_dict(), indent=2, ensure_ascii=False)


async def run_console(core: Core, history_file: Path, out_dir: Path) -> None:
    """Interactive prompt with line editing and history; `exit` or Ctrl-D leaves.

    When standard input is not a terminal (a pipe, a script), lines are read plainly.
    """
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    read_line = _prompt_reader(history_file) if interactive else _plain_reader()
    print("OrbitDesk console. Type `help` for commands, `exit` to leave.")
    while True:
        try:
            line = await read_line()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        line = line.strip()
        if not line:
            continue
        if line.lower() in {"exit", "quit"}:
            return
        response = save_attachments(await core.dispatch(question_or_command(core, line)), out_dir)
        print(render(response, color=interactive), flush=True)


def _prompt_reader(history_file: Path) -> Callable[[], Awaitable[str]]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history_file.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history_file)))
    return lambda: session.prompt_async("orbitdesk> ")


def _plain_reader() -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            raise EOFError
        return line

    return read
