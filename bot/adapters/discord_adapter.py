"""The Discord adapter: slash commands in, rendered Responses out, nothing else.

- Commands: every registry command is synced as a native application command (schema from
  bot.adapters.discord_schema). The global PUT happens only when the schema hash changed;
  with ORBITDESK_DISCORD_GUILD_ID set, commands go to that guild instead (instant, for
  development).
- Answers: an interaction whose options cannot bind (a usage error) or whose user lacks the
  permission is refused at once with an ephemeral reply; everything else is deferred at once
  ("OrbitDesk is thinking"), dispatched concurrently, and answered by a follow-up. When the
  command itself ends in an error (not found, upstream), the public "thinking" message is
  deleted and the error goes out as an ephemeral follow-up, so errors are never public.
- Slash commands and autocomplete come in through a CommandTree that holds no commands of
  its own (CommandEntry: its global check hands each to the adapter); buttons and menus
  through DynamicItems matching OrbitDesk's id template (component_item): a press runs the
  command line its id holds and its answer replaces the message (UPDATE_MESSAGE).
- Options autocomplete with the core's suggestions (`Core.complete`: the parameter's source,
  e.g. symbols from aliases, recent quotes and Yahoo's search); at most 25, never an exception.
- `allowed_mentions` is none on everything the bot sends.
- Cashtags (`$TSLA` in a message) need the privileged Message Content intent: asked for only
  with ORBITDESK_DISCORD_MESSAGE_CONTENT=true; then a person's new message in a channel with
  cashtags on gets one reply with compact quotes (bot.glance.CashtagDesk decides). Edits are
  never read (no on_message_edit).
- `post()` sends scheduled answers; missing permission (50013) and lost access (50001) come
  back as distinct, permanent PostErrors.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web
from discord import app_commands

from bot.actions import FOREIGN_ID_PATTERN, ID_PATTERN, ActionIdError, decode, refusal
from bot.adapters.base import PostError, PostKey
from bot.adapters.discord_render import (
    DEFAULT_FILE_LIMIT,
    DiscordMessage,
    embed_size,
    render,
)
from bot.adapters.discord_schema import (
    Call,
    command_payloads,
    read_call,
    schema_hash,
)
from bot.context import Channel, Invocation, User
from bot.glance import CashtagDesk
from bot.identity_memo import IdentityMemo
from bot.response import Response
from bot.router import ask
from bot.startup import StartupError, is_connection_error, one_line, unreachable

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Discord's own endpoints, captured before anything can change them: an adapter without
# ORBITDESK_DISCORD_API_BASE/GATEWAY_URL always talks to Discord, whatever ran before it.
DISCORD_API_BASE = discord.http.Route.BASE
DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
HASH_FILE = "discord_commands.sha256"
MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100  # characters in a choice's name and value
NO_MENTIONS = discord.AllowedMentions.none()
_MENTION_TOKEN = re.compile(r"<@!?[0-9]+>")
# Error codes of JSON error bodies: https://discord.com/developers/docs/topics/opcodes-and-status-codes
MISSING_ACCESS, MISSING_PERMISSIONS, UNKNOWN_CHANNEL = 50001, 50013, 10003


# OrbitDesk never joins voice: silence discord.py's start-up warnings about voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Set discord.py's REST base and gateway: the given servers, or Discord's own.

    discord.py reads both from class attributes (no per-client hook), so every adapter sets
    them on start, deterministically, instead of inheriting what an earlier one left behind.
    """
    base = DISCORD_API_BASE
    if api_base:
        base = api_base.rstrip("/")
        if "/api/v" not in base:
            base += "/api/v10"
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
        yarl.URL(gateway_url) if gateway_url else DISCORD_GATEWAY
    )


def shard_option(value: str | None) -> tuple[bool, int | None]:
    """(sharded, shard_count) from ORBITDESK_DISCORD_SHARDS: unset, "auto", or a number."""
    if value is None or not value.strip():
        return False, None
    cleaned = value.strip().lower()
    if cleaned == "auto":
        return True, None
    if not cleaned.isdigit() or int(cleaned) < 1:
        raise ValueError("ORBITDESK_DISCORD_SHARDS must be 'auto' or a whole number >= 1")
    return True, int(cleaned)


def parse_shard_ids(value: str | None, count: int | None) -> list[int] | None:
    """ORBITDESK_DISCORD_SHARD_IDS ("0-3", "0,2", "0-1,4") -> sorted shard ids; None: unset.

    Every id must be below ORBITDESK_DISCORD_SHARD_COUNT, which must then be set.
    """
    if value is None or not value.strip():
        return None
    if count is None:
        raise ValueError(
            "ORBITDESK_DISCORD_SHARD_IDS needs ORBITDESK_DISCORD_SHARD_COUNT (the bot's total "
            "number of shards, across all its processes)"
        )
    ids: set[int] = set()
    for part in value.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(
                f"ORBITDESK_DISCORD_SHARD_IDS: {part!r} is not a shard id or a range like 0-3"
            )
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"ORBITDESK_DISCORD_SHARD_IDS: the range {part!r} runs backwards")
        ids.update(range(first, last + 1))
    too_big = sorted(i for i in ids if i >= count)
    if too_big:
        raise ValueError(
            f"ORBITDESK_DISCORD_SHARD_IDS: shard {too_big[0]} does not exist with "
            f"ORBITDESK_DISCORD_SHARD_COUNT={count} (ids run from 0 to {count - 1})"
        )
    return sorted(ids)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord delivers a guild's events on."""
    return (guild_id >> 22) % shard_count


class DiscordAdapter:
    """Runs OrbitDesk as a Discord bot through discord.py (sharded when configured)."""

    name = "discord"

    def __init__(
        self,
        app: App,
        *,
        guild_ready_timeout: float = 2.0,
        drain_timeout: float = 8.0,
        ack_grace: float | None = None,
    ) -> None:
        self.app = app
        self.settings = app.settings
        self.ack_grace = self.settings.discord_ack_grace if ack_grace is None else ack_grace
        self.guild_ready_timeout = guild_ready_timeout
        self.drain_timeout = drain_timeout
        self.client: discord.Client | None = None
        self.last_sync: str | None = None  # "global", "guild", "unchanged" or "failed"
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._accepting = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self._max_concurrency = 1  # shards that may identify together (from /gateway/bot)
        self.cashtags = CashtagDesk(app.services, "discord")
        self.shard_ids = parse_shard_ids(
            self.settings.discord_shard_ids, self.settings.discord_shard_count
        )
        # Running some shards only: the scheduler posts here only for their guilds (see
        # bot.adapters.base.serves); the processes running the other shards post the rest.
        self.serves: Callable[[str | None], bool] | None = (
            None if self.shard_ids is None else self._serves
        )

    def _serves(self, guild_id: str | None) -> bool:
        """Whether a guild's events (and so its posts) belong to this process's shards."""
        assert self.shard_ids is not None and self.settings.discord_shard_count is not None
        try:
            guild = int(guild_id or 0)  # no guild (a DM channel): shard 0's, as on Discord
        except ValueError:
            return False
        return shard_of(guild, self.settings.discord_shard_count) in self.shard_ids

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Log in, sync commands, connect the gateway; returns once Discord says READY."""
        token = self.settings.discord_token
        if token is None:
            raise StartupError("Discord: no token: set ORBITDESK_DISCORD_TOKEN")
        point_at(self.settings.discord_api_base, self.settings.discord_gateway_url)
        self.client = self._build_client()
        self._accepting = True
        self._runner = asyncio.create_task(
            self.client.start(token.get_secret_value()), name="discord-gateway"
        )
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({self._runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._runner in done:
            ready.cancel()
            error = self._runner.exception()
            await self.client.close()
            log.debug("Discord connection ended before READY", exc_info=error)
            raise StartupError(self._startup_problem(error)) from None

    def _startup_problem(self, error: BaseException | None) -> str:
        """Why the connection ended before READY, as one line naming what to check."""
        if isinstance(error, discord.LoginFailure):
            return (
                "Discord: refused ORBITDESK_DISCORD_TOKEN (login failed): check the bot token "
                "(Developer Portal > your app > Bot > Reset Token)"
            )
        if error is not None and is_connection_error(error):
            api = yarl.URL(discord.http.Route.BASE)
            gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
            host = getattr(error, "host", None)
            setting = "ORBITDESK_DISCORD_API_BASE"
            if host is not None and host == gateway.host and host != api.host:
                setting = "ORBITDESK_DISCORD_GATEWAY_URL"
            return unreachable(
                "Discord", error, fallback_host=api.host or "discord.com", setting=setting
            )
        if isinstance(error, discord.HTTPException):
            return (
                f"Discord: answered HTTP {error.status} at start-up "
                f"({one_line(error.text) or 'no details'}): check discordstatus.com, "
                "or ORBITDESK_DISCORD_API_BASE if set"
            )
        cause = one_line(f"{type(error).__name__}: {error}") if error else "no reason given"
        return (
            f"Discord: connection ended before READY ({cause}): check the network and the "
            "ORBITDESK_DISCORD_* settings"
        )

    async def stop(self) -> None:
        """Refuse new commands, let in-flight ones finish (bounded), close the gateway."""
        self._accepting = False
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            if late:
                log.warning("cancelled %d Discord commands still running at shutdown", len(late))
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._runner, timeout=5)
        self._ready.clear()

    def routes(self) -> list[web.RouteDef]:
        """Discord reaches the bot over its gateway: nothing to serve over HTTP."""
        return []

    def is_ready(self) -> bool:
        client = self.client
        return client is not None and client.is_ready() and not client.is_closed()

    async def drain(self) -> None:
        """Wait for every interaction being handled now (tests and shutdown use it)."""
        while self._inflight:
            await asyncio.wait(set(self._inflight))

    def _build_client(self) -> discord.Client:
        # Slash commands need no privileged intents and no message content; `guilds` keeps
        # channel and guild names cached for Invocations. Messages that mention the bot, and
        # DMs, arrive with their content without the privileged message_content intent: those
        # are questions for the router. Cashtags, when the operator opts in, need every server
        # message's content (privileged: ticked in the Developer Portal).
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        if self.settings.discord_message_content:
            intents.message_content = True
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": NO_MENTIONS,
            "max_messages": None,
            "chunk_guilds_at_startup": False,
            "member_cache_flags": discord.MemberCacheFlags.none(),
            "guild_ready_timeout": self.guild_ready_timeout,
        }
        sharded, count = shard_option(self.settings.discord_shards)
        client: discord.Client
        if self.shard_ids is not None:
            # Part of a bot spread over processes: these shards only, out of the total.
            sharded = True
            client = discord.AutoShardedClient(
                shard_ids=self.shard_ids, shard_count=self.settings.discord_shard_count, **options
            )
            log.info(
                "Discord: running shards %s of %d",
                ",".join(map(str, self.shard_ids)),
                self.settings.discord_shard_count,
            )
        elif sharded:
            client = discord.AutoShardedClient(shard_count=count, **options)
        else:
            client = discord.Client(**options)
        client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        if sharded:
            client.before_identify_hook = self._before_identify  # type: ignore[method-assign]
        client.event(self.on_ready)
        client.event(self.on_message)
        # Slash commands and autocomplete come in through discord.py's command tree, buttons
        # and menus through its view store (component_item): each interaction is handled once,
        # with no catch-all on_interaction event running beside it.
        CommandEntry(client, self)
        client.add_dynamic_items(component_item(self, ours=True), component_item(self, ours=False))
        return client

    async def _setup_hook(self) -> None:
        client = self.client
        if isinstance(client, discord.AutoShardedClient):
            limits = await client.fetch_session_start_limits()
            self._max_concurrency = max(1, limits.max_concurrency)
        await self.sync_commands()

    async def _before_identify(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord lets `max_concurrency` shards identify per 5 s (discord.py's default hook
        # waits 5 s before every shard but the first). Shards launch in order, so only the
        # first shard of each new bucket waits.
        if not initial and (shard_id or 0) % self._max_concurrency == 0:
            await asyncio.sleep(5.0)

    async def on_ready(self) -> None:
        client = self.client
        if client is not None:
            log.info("Discord ready as %s in %d servers", client.user, len(client.guilds))
        self._ready.set()

    # ------------------------------------------------------------------ command sync

    @property
    def hash_path(self) -> Path:
        return self.settings.data_dir / HASH_FILE

    async def sync_commands(self) -> str:
        """PUT the registry's commands: to the dev guild, or globally when they changed."""
        client = self.client
        assert client is not None and client.application_id is not None
        payloads = command_payloads(self.app.services.registry)
        guild_id = self.settings.discord_guild_id
        try:
            if guild_id is not None:
                await client.http.bulk_upsert_guild_commands(
                    client.application_id, guild_id, payloads
                )
                self.last_sync = "guild"
            else:
                digest = schema_hash(payloads, client.application_id)
                if self._stored_hash() == digest:
                    self.last_sync = "unchanged"
                else:
                    await client.http.bulk_upsert_global_commands(client.application_id, payloads)
                    self.hash_path.parent.mkdir(parents=True, exist_ok=True)
                    self.hash_path.write_text(digest + "\n", encoding="utf-8")
                    self.last_sync = "global"
        except discord.HTTPException as exc:
            # The bot still answers the commands Discord already has; the next start retries.
            log.error("Discord command sync failed (%s): %s", exc.status, exc.text)
            self.last_sync = "failed"
        log.info("Discord commands: %s (%d commands)", self.last_sync, len(payloads))
        return self.last_sync

    def _stored_hash(self) -> str | None:
        try:
            return self.hash_path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    # ------------------------------------------------------------------ interactions

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A slash command or an autocomplete request (called by CommandEntry)."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await self._autocomplete(interaction)
            elif interaction.type is discord.InteractionType.application_command:
                await self._command(interaction)
        except Exception:
            log.exception("Discord interaction %s failed", interaction.id)
        finally:
            if task is not None:
                self._inflight.discard(task)

    # ------------------------------------------------------------------ questions

    async def on_message(self, message: discord.Message) -> None:
        """A new message: a question when it mentions the bot or is a DM, else maybe cashtags."""
        client = self.client
        if client is None or client.user is None or message.author.bot:
            return
        direct = message.guild is None
        if direct or any(m.id == client.user.id for m in message.mentions):
            await self._on_question(message)
        elif self.settings.discord_message_content:
            await self._on_cashtags(message)

    async def _on_question(self, message: discord.Message) -> None:
        """A message that mentions the bot, or a DM: a question (or a command) in plain words.

        Replies to the message, pinging no one (the author included).
        """
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            text = _MENTION_TOKEN.sub(" ", message.content).strip()
            invocation = Invocation(
                text=ask.question_or_command(self.app.services.registry, text) if text else "ask",
                platform="discord",
                user=User(id=str(message.author.id), name=message.author.display_name),
                channel=Channel(
                    id=str(message.channel.id),
                    name=str(getattr(message.channel, "name", None) or message.channel.id),
                    guild_id=str(message.guild.id) if message.guild else None,
                ),
            )
            response = await self.app.core.dispatch(invocation)
            for part in render(response, file_limit=DEFAULT_FILE_LIMIT):
                await message.channel.send(
                    **_message_kwargs(part), reference=message, allowed_mentions=NO_MENTIONS
                )
        except Exception:
            log.exception("Discord message %s failed", message.id)
        finally:
            if task is not None:
                self._inflight.discard(task)

    def _call(self, interaction: discord.Interaction) -> Call | None:
        data: Any = interaction.data or {}
        return read_call(self.app.services.registry, data)

    def _invocation(self, interaction: discord.Interaction, call: Call) -> Invocation:
        return self._who(interaction, path=call.spec.path, options=call.options)

    def _who(
        self,
        interaction: discord.Interaction,
        *,
        text: str = "",
        path: tuple[str, ...] = (),
        options: Mapping[str, Any] | None = None,
        source: str = "typed",
    ) -> Invocation:
        """Who pressed or typed, and where, with what they ran (a command line, or a path and
        its options)."""
        user = interaction.user
        channel = interaction.channel
        channel_id = str(interaction.channel_id or "")
        return Invocation(
            text=text,
            path=path,
            options={} if options is None else options,
            source=source,
            platform="discord",
            user=User(
                id=str(user.id),
                name=user.display_name,
                # Resolved for this channel, overwrites included (0 in DMs).
                can_manage_channel=interaction.permissions.manage_channels,
            ),
            channel=Channel(
                id=channel_id,
                name=str(getattr(channel, "name", None) or channel_id),
                guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            ),
        )

    async def _command(self, interaction: discord.Interaction) -> None:
        if not self._accepting:
            await interaction.response.send_message(
                "OrbitDesk is restarting; try again in a moment.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        call = self._call(interaction)
        if call is None:
            await interaction.response.send_message(
                "This command changed since Discord last loaded it; try again in a minute.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        invocation = self._invocation(interaction, call)
        # Acknowledge ("OrbitDesk is thinking") as soon as the answer is not ready within
        # ack_grace, so the 3 s window holds whatever the data source does. An answer ready
        # sooner goes out as the interaction response itself: one request instead of two, and
        # errors are natively ephemeral. A timer, not a task, so the fast path costs nothing.
        loop = asyncio.get_running_loop()
        deferral: list[asyncio.Task[Any]] = []

        def defer() -> None:
            deferral.append(loop.create_task(interaction.response.defer(thinking=True)))

        timer = loop.call_later(self.ack_grace, defer) if self.ack_grace > 0 else None
        if timer is None:
            defer()
        response = await self.app.core.dispatch(invocation)
        if timer is not None:
            timer.cancel()
        if not deferral:
            await self._reply(interaction, response)
            return
        try:
            await deferral[0]
        except discord.HTTPException as exc:
            log.warning("could not defer interaction %s: %s", interaction.id, exc)
            return
        await self._follow_up(interaction, response)

    async def _reply(self, interaction: discord.Interaction, response: Response) -> None:
        """Answer as the initial interaction response (no deferral was needed)."""
        messages = render(response, file_limit=interaction.filesize_limit)
        first, rest = messages[0], messages[1:]
        await interaction.response.send_message(
            **_message_kwargs(first), ephemeral=response.ephemeral, allowed_mentions=NO_MENTIONS
        )
        await self._send_followups(interaction, rest, response)

    async def _follow_up(self, interaction: discord.Interaction, response: Response) -> None:
        """Answer a deferred interaction; errors replace the public placeholder privately."""
        messages = render(response, file_limit=interaction.filesize_limit)
        if response.ephemeral:
            # The first follow-up would inherit the public deferral; remove it first.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await self._send_followups(interaction, messages, response)

    async def _send_followups(
        self,
        interaction: discord.Interaction,
        messages: Sequence[DiscordMessage],
        response: Response,
    ) -> None:
        for message in messages:
            try:
                await interaction.followup.send(
                    **_message_kwargs(message),
                    ephemeral=response.ephemeral,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                if exc.status != 400:
                    raise
                # Discord refused the rich form; the text answer is always complete on its own.
                log.warning("Discord refused a rendered message (%s); sending text", exc.text)
                await interaction.followup.send(
                    content=response.text[:2000] or "…",
                    ephemeral=response.ephemeral,
                    allowed_mentions=NO_MENTIONS,
                )
                return

    # ------------------------------------------------------------------ cashtags

    async def _on_cashtags(self, message: discord.Message) -> None:
        """A person's new server message: one reply with compact quotes for its cashtags."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if not self._accepting or "$" not in message.content:
            return
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            response = await self.cashtags.answer(
                str(message.channel.id), str(message.id), message.content
            )
            if response is None:
                return
            first = render(response, file_limit=DEFAULT_FILE_LIMIT)[0]
            await message.channel.send(
                **_message_kwargs(first),
                reference=message.to_reference(fail_if_not_exists=False),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("cashtag answer in %s failed: %s", message.channel.id, exc)
        except Exception:
            log.exception("cashtag answer in %s failed", message.channel.id)
        finally:
            if task is not None:
                self._inflight.discard(task)

    # ------------------------------------------------------------------ actions (buttons, selects)
    # A press runs the command line its custom_id holds (bot.actions) through Core.dispatch,
    # like a typed command; the answer replaces the message the button is on.

    async def on_action(self, interaction: discord.Interaction, *, ours: bool = True) -> None:
        """A button or select was used (called by component_item's DynamicItem)."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            if ours:
                await self._action(interaction)
            else:
                await self._refuse_action(interaction, "not an OrbitDesk id")
        except Exception:
            log.exception("Discord action %s failed", interaction.id)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _refuse_action(self, interaction: discord.Interaction, why: str) -> None:
        data: Any = interaction.data or {}
        log.info("refused action id %r: %s", str(data.get("custom_id", ""))[:120], why)
        await interaction.response.send_message(
            refusal(), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def _action(self, interaction: discord.Interaction) -> None:
        if not self._accepting:
            await interaction.response.send_message(
                "OrbitDesk is restarting; try again in a moment.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        data: Any = interaction.data or {}
        try:
            parsed = decode(str(data.get("custom_id", "")))
            if parsed.menu:  # a select: the picked option's value is the action
                values = data.get("values") or [""]
                parsed = decode(str(values[0]))
                if parsed.menu:
                    raise ActionIdError("a menu inside a menu")
        except ActionIdError as exc:
            await self._refuse_action(interaction, str(exc))
            return
        invocation = self._who(interaction, text=parsed.command, source="action")
        # As for commands: answer at once when ready within ack_grace (UPDATE_MESSAGE),
        # otherwise acknowledge (DEFERRED_UPDATE_MESSAGE) and edit the message afterwards.
        loop = asyncio.get_running_loop()
        deferral: list[asyncio.Task[Any]] = []

        def defer() -> None:
            deferral.append(loop.create_task(interaction.response.defer()))

        timer = loop.call_later(self.ack_grace, defer) if self.ack_grace > 0 else None
        if timer is None:
            defer()
        response = await self.app.core.dispatch(invocation)
        if timer is not None:
            timer.cancel()
        if deferral:
            try:
                await deferral[0]
            except discord.HTTPException as exc:
                log.warning("could not defer action %s: %s", interaction.id, exc)
                return
        messages = render(response, file_limit=interaction.filesize_limit)
        if response.ephemeral:  # an error or a private answer: the message stays as it was
            if deferral:
                await self._send_followups(interaction, messages, response)
            else:
                await self._reply(interaction, response)
            return
        first = _replacement_kwargs(messages[0])
        if deferral:
            await interaction.edit_original_response(**first, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.edit_message(**first, allowed_mentions=NO_MENTIONS)
        await self._send_followups(interaction, messages[1:], response)

    # ------------------------------------------------------------------ autocomplete

    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        """Offer the core's suggestions for the focused option (at most 25, never an error)."""
        choices: list[app_commands.Choice[str]] = []
        try:
            call = self._call(interaction)
            if call is not None and call.focused is not None:
                typed = str(call.options.get(call.focused) or "")
                suggested = await self.app.core.complete(
                    self._invocation(interaction, call),
                    call.focused,
                    typed,
                    limit=MAX_CHOICES,
                    max_length=MAX_CHOICE_LENGTH,
                )
                choices = [
                    app_commands.Choice(name=c.label[:MAX_CHOICE_LENGTH], value=c.value)
                    for c in suggested
                ]
        except Exception:  # a suggestion list is never worth an error
            log.exception("autocomplete failed")
        await interaction.response.autocomplete(choices[:MAX_CHOICES])

    # ------------------------------------------------------------------ scheduled posts

    async def post(
        self,
        channel_id: str,
        response: Response,
        key: PostKey | None = None,
        *,
        guild_id: str | None = None,
    ) -> None:
        """Send a Response to a channel unprompted. Raises PostError, never anything else.

        With a key, each message carries a nonce made from it with `enforce_nonce`: Discord
        then returns the earlier message instead of creating a second one (for a few minutes,
        which covers a taken-over claim).
        """
        client = self.client
        if client is None or client.is_closed():
            raise PostError(
                "not_connected", "OrbitDesk is not connected to Discord.", permanent=False
            )
        try:
            target = int(channel_id)
        except ValueError:
            raise PostError(
                "bad_channel", f"{channel_id!r} is not a Discord channel id.", permanent=True
            ) from None
        channel = client.get_partial_messageable(target)
        try:
            for part, message in enumerate(render(response, file_limit=DEFAULT_FILE_LIMIT)):
                kwargs = _message_kwargs(message)
                if key is not None:
                    kwargs["nonce"] = f"{key.id}.{part}"  # <= 25 characters
                await channel.send(**kwargs, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            if exc.code == MISSING_ACCESS:
                raise PostError(
                    "missing_access",
                    f"OrbitDesk can no longer see channel {channel_id} (removed from the server, "
                    "or the channel is private to it).",
                    permanent=True,
                ) from exc
            raise PostError(
                "missing_permissions",
                f"OrbitDesk may not post in channel {channel_id}: it needs View Channel, "
                "Send Messages, Embed Links and Attach Files there.",
                permanent=True,
            ) from exc
        except discord.NotFound as exc:
            raise PostError(
                "channel_not_found", f"Channel {channel_id} no longer exists.", permanent=True
            ) from exc
        except discord.HTTPException as exc:
            raise PostError(
                "discord_error",
                f"Discord refused the post to {channel_id} ({exc.status}).",
                permanent=400 <= exc.status < 500 and exc.status != 429,
            ) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise PostError(
                "unreachable",
                f"Discord cannot be reached: {exc.__class__.__name__}.",
                permanent=False,
            ) from exc


def component_item(adapter: DiscordAdapter, *, ours: bool) -> type[discord.ui.DynamicItem[Any]]:
    """The persistent component for component ids of one shape, bound to one adapter.

    `ours`: every OrbitDesk action id (ID_PATTERN); discord.py builds one from the pressed
    component (any message, any time: the id holds all the state) and calls its callback,
    and the adapter does the rest. Otherwise every other id (another app's, or forged), which
    gets a short private refusal.
    """

    class ComponentItem(
        discord.ui.DynamicItem[Any], template=ID_PATTERN if ours else FOREIGN_ID_PATTERN
    ):
        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction,
            item: discord.ui.Item[Any],
            match: re.Match[str],
            /,
        ) -> ComponentItem:
            return cls(item)

        async def callback(self, interaction: discord.Interaction) -> None:
            await adapter.on_action(interaction, ours=ours)

    return ComponentItem


class CommandEntry(app_commands.CommandTree[discord.Client]):
    """discord.py's way in for application commands and autocomplete, handed to the adapter.

    OrbitDesk syncs its own command schema (discord_schema), so this tree holds no commands:
    its global check answers the interaction and says there is nothing left for the tree.
    """

    def __init__(self, client: discord.Client, adapter: DiscordAdapter) -> None:
        super().__init__(client)
        self.adapter = adapter

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        await self.adapter.on_interaction(interaction)
        return False


class RenderedView(discord.ui.View):
    """Buttons and menus discord_render already wrote as Discord's component JSON, sent as
    they are.

    discord.py asks a view it sends for `to_components()` and whether it is finished. This
    one is finished from the start, so discord.py never stores it: presses are routed by
    component_item's template, and nothing per message stays in memory.
    """

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        super().__init__(timeout=None)
        self._rows = list(rows)
        self.stop()

    def to_components(self) -> list[dict[str, Any]]:
        return self._rows


# The View of each component JSON discord_render handed out (bot.identity_memo): a quote's
# Refresh row is the same object on every answer, so its View is made once.
_VIEWS: IdentityMemo[Sequence[dict[str, Any]], RenderedView] = IdentityMemo(256)


def _view(rows: Sequence[dict[str, Any]]) -> RenderedView:
    """Component JSON (discord_render) as the View discord.py sends; never registered.
    No rows: a view of none, which clears a replaced message's buttons."""
    return _VIEWS.get(rows, RenderedView)


def _replacement_kwargs(message: DiscordMessage) -> dict[str, Any]:
    """Everything of a message replaced: content, embeds, files and components."""
    kwargs = _message_kwargs(message)
    return {
        "content": kwargs.get("content"),
        "embeds": kwargs.get("embeds", []),
        "attachments": kwargs.get("files", []),
        "view": _view(message.components),  # none: the old buttons go
    }


class RenderedEmbed(discord.Embed):
    """An embed discord_render already wrote as Discord's JSON, sent as it is.

    discord.py only asks an embed it sends for `to_dict()`; building its attributes from
    the JSON only for them to be written back as the same JSON is work for nothing.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._rendered = data

    def to_dict(self) -> Any:
        return self._rendered

    def __len__(self) -> int:
        return embed_size(self._rendered)

    def __bool__(self) -> bool:
        return bool(self._rendered)


def _message_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if message.components:
        kwargs["view"] = _view(message.components)
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = [RenderedEmbed(e) for e in message.embeds]
    if message.files:
        kwargs["files"] = [
            discord.File(
                io.BytesIO(f.content), filename=f.filename, description=f.description or None
            )
            for f in message.files
        ]
    return kwargs
