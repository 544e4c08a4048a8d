"""The Slack app manifest, generated from the command registry (pure: registry -> dict/YAML).

Every top-level command and group becomes a slash command (`/quote`, `/orbital`), plus the
umbrella `/orbitdesk` that takes any command as its text. Paste the YAML into
api.slack.com/apps -> Create New App -> From a manifest.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml

from bot.registry import CommandSpec, Registry

UMBRELLA = "orbitdesk"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"  # distribution: where an admin starts installing the app
REDIRECT_PATH = "/slack/oauth_redirect"  # where Slack sends the admin back with a code
# Distribution: Slack tells the bot when a workspace removes it, so its data goes too.
DISTRIBUTION_EVENTS = ("app_uninstalled", "tokens_revoked")
# commands: slash commands; chat:write(.public): answers and scheduled posts, also in public
# channels the bot was not invited to; files:write: charts; users:read: is the user an admin;
# channels:history, groups:history: a scheduled post taken over after a crash looks for itself
# in the channel's recent messages before posting again; they also deliver the `message` events
# cashtags answer (only in channels where a channel manager turned them on).
# channels:read, groups:read: which channels a user is in, for their App Home.
# links:read, links:write: Yahoo Finance quote links get a compact quote card as their preview.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",
    "users:read",
    "channels:history",
    "groups:history",
    # Questions in plain words (bot.router): @OrbitDesk mentions and direct messages.
    "app_mentions:read",
    "im:history",
    "channels:read",
    "groups:read",
    "links:read",
    "links:write",
)
# app_mention, message.im: questions; app_home_opened: the Home tab; link_shared: quote link
# previews; message.channels/groups: cashtags.
BOT_EVENTS = (
    "app_mention",
    "message.im",
    "app_home_opened",
    "link_shared",
    "message.channels",
    "message.groups",
)
UNFURL_DOMAINS = ("finance.yahoo.com",)
MAX_COMMAND = 32  # Slack's limit on a slash command's name, "/" included
MAX_DESCRIPTION = 100  # what Slack's command picker shows
MAX_USAGE_HINT = 100

Mode = Literal["socket", "http"]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _usage_hint(spec: CommandSpec) -> str:
    """The parameters' usage tokens, e.g. `<symbol...>`; the example when there are none."""
    tokens = " ".join(p.usage_token() for p in spec.params)
    example = spec.examples[0].split(maxsplit=len(spec.path)) if spec.examples else []
    if len(example) > len(spec.path):
        tokens = f"{tokens}  e.g. {example[-1]}" if tokens else example[-1]
    return _cut(tokens, MAX_USAGE_HINT)


def slash_commands(registry: Registry) -> list[dict[str, Any]]:
    """One entry per top-level command or group, then the umbrella command."""
    entries: list[dict[str, Any]] = []
    for name in registry.top_level_names():
        if name in registry.groups:
            subs = [s for s in registry.subcommands(name) if not s.hidden]
            if not subs:
                continue
            description = registry.groups[name].help
            hint = f"{'|'.join(s.path[1] for s in subs)} [options]"
        else:
            spec = registry.get((name,))
            if spec is None or spec.hidden:
                continue
            description, hint = spec.help, _usage_hint(spec)
        entry: dict[str, Any] = {
            "command": f"/{name}",
            "description": _cut(description, MAX_DESCRIPTION),
            "should_escape": False,
        }
        if hint:
            entry["usage_hint"] = _cut(hint, MAX_USAGE_HINT)
        entries.append(entry)
    entries.append(
        {
            "command": f"/{UMBRELLA}",
            "description": "Any OrbitDesk command as text, e.g. /orbitdesk quote SPCX",
            "usage_hint": "<command> [arguments]  (try: help)",
            "should_escape": False,
        }
    )
    for entry in entries:
        if len(entry["command"]) > MAX_COMMAND:
            raise ValueError(f"Slack command {entry['command']!r} is over {MAX_COMMAND} characters")
    return entries


def request_url(base: str) -> str:
    """`https://host` or `https://host/slack/events` -> the events URL."""
    base = base.rstrip("/")
    return base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH


def site_root(url: str) -> str:
    """`https://host/`, `https://host/slack/events` -> `https://host`."""
    url = url.rstrip("/")
    return url[: -len(EVENTS_PATH)] if url.endswith(EVENTS_PATH) else url


def build_manifest(
    registry: Registry,
    *,
    mode: Mode = "socket",
    url: str | None = None,
    name: str = "OrbitDesk",
    distribution: bool = False,
) -> dict[str, Any]:
    """The manifest as a dict; HTTP mode needs the public `url` Slack sends commands to.

    `distribution` (HTTP mode): installable in many workspaces through OAuth; adds the redirect
    URL and the uninstall events to the manifest.
    """
    if distribution:
        mode = "http"
    if mode == "http" and not (url or "").startswith("https://"):
        raise ValueError("HTTP mode needs the public https:// URL Slack sends commands to")
    commands = slash_commands(registry)
    if mode == "http":
        commands = [{**c, "url": request_url(url or "")} for c in commands]
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    # Buttons and menus (bot.actions) and the typeahead's suggestions (external_select) come in
    # as interactivity.
    interactivity: dict[str, Any] = {"is_enabled": True}
    if mode == "http":
        target = request_url(url or "")
        events = {"request_url": target, **events}
        interactivity.update(request_url=target, message_menu_options_url=target)
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if distribution:
        oauth = {"redirect_urls": [site_root(url or "") + REDIRECT_PATH], **oauth}
        events["bot_events"] = [*events["bot_events"], *DISTRIBUTION_EVENTS]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Stock quotes, a sourced deal book and orbital data-center math.",
            "background_color": "#1b2a41",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,  # direct messages: questions in plain words
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
            "unfurl_domains": list(UNFURL_DOMAINS),
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": mode == "socket",
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    """YAML in the manifest's own key order, ready to paste into Slack."""
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
