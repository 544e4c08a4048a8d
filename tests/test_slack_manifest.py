"""`orbitdesk slack manifest`: the Slack app manifest generated from the command registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.adapters.slack_adapter import SlackAdapter
from bot.adapters.slack_manifest import build_manifest
from bot.registry import Registry
from commands import build_registry
from tests import probe_commands
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo
from tests.slack_support import slack_app


def registry_with_probes() -> Registry:
    registry = build_registry()
    registry.add_module(probe_commands)
    return registry


def commands_of(manifest: dict) -> dict[str, dict]:
    return {c["command"]: c for c in manifest["features"]["slash_commands"]}


def test_socket_mode_manifest_lists_every_command_and_the_umbrella() -> None:
    registry = registry_with_probes()
    manifest = build_manifest(registry)
    commands = commands_of(manifest)
    assert list(commands) == [*(f"/{n}" for n in registry.top_level_names()), "/orbitdesk"]
    assert {"/help", "/probe", "/quote"} <= set(commands)
    quote = commands["/quote"]
    assert quote["description"] == (
        "Price, change, day range and market state for 1 to 10 symbols."
    )
    assert quote["usage_hint"] == "<symbol...>  e.g. SPCX AMZN"
    assert quote["should_escape"] is False
    assert commands["/probe"]["usage_hint"] == "echo|guard|chart [options]"
    assert commands["/probe"]["description"] == "Test-only commands for the Slack adapter."
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert all("url" not in c for c in commands.values())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "commands",
        "chat:write",
        "files:write",
        "users:read",
        "channels:history",
        "groups:history",
    }
    for command in commands.values():
        assert len(command["command"]) <= 32 and len(command["description"]) <= 100


def test_manifest_enables_the_home_tab_unfurls_cashtag_events_and_menus() -> None:
    manifest = build_manifest(build_registry())
    features, settings = manifest["features"], manifest["settings"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["unfurl_domains"] == ["finance.yahoo.com"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
        "link_shared",
        "message.channels",
        "message.groups",
    }
    assert settings["interactivity"] == {"is_enabled": True}  # Socket Mode: no URLs
    assert {"links:read", "links:write", "channels:read", "groups:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_http_mode_points_every_command_at_the_request_url() -> None:
    manifest = build_manifest(build_registry(), mode="http", url="https://bot.example.com/")
    assert manifest["settings"]["socket_mode_enabled"] is False
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    assert urls == {"https://bot.example.com/slack/events"}
    target = "https://bot.example.com/slack/events"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == target
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["request_url"] == interactivity["message_menu_options_url"] == target
    again = build_manifest(
        build_registry(), mode="http", url="https://bot.example.com/slack/events"
    )
    assert again == manifest


@pytest.mark.parametrize("url", [None, "http://bot.example.com"])
def test_http_mode_needs_a_public_https_url(url: str | None) -> None:
    with pytest.raises(ValueError, match="https://"):
        build_manifest(build_registry(), mode="http", url=url)


async def test_the_adapter_listens_to_exactly_the_manifest_commands(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    async with FakeSlack() as slack:
        adapter = SlackAdapter(slack_app(tmp_path, fake_yahoo, slack))
        manifest = build_manifest(adapter.app.services.registry)
    assert {f"/{name}" for name in adapter.commands} == set(commands_of(manifest))


@pytest.fixture
def quiet_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() installs its own log handler; keep pytest's in place for later tests."""
    monkeypatch.setattr("bot.__main__.setup_logging", lambda *args, **kwargs: None)


@pytest.mark.usefixtures("quiet_logging")
def test_cli_prints_yaml_that_slack_can_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == build_manifest(build_registry())


@pytest.mark.usefixtures("quiet_logging")
def test_cli_http_mode_without_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--mode", "http"]) == 2
    assert "--url https://" in capsys.readouterr().err
    assert main(["slack", "manifest", "--mode", "http", "--url", "https://b.example"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["features"]["slash_commands"][0]["url"] == "https://b.example/slack/events"


def test_distribution_adds_the_redirect_url_and_the_uninstall_events() -> None:
    manifest = build_manifest(build_registry(), url="https://bot.example.com/", distribution=True)
    oauth = manifest["oauth_config"]
    assert oauth["redirect_urls"] == ["https://bot.example.com/slack/oauth_redirect"]
    assert set(oauth["scopes"]["bot"]) >= {"commands", "chat:write", "users:read"}
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False  # distribution is HTTP mode
    events = settings["event_subscriptions"]
    assert events["request_url"] == "https://bot.example.com/slack/events"
    assert {"app_uninstalled", "tokens_revoked", "app_mention"} <= set(events["bot_events"])
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    assert urls == {"https://bot.example.com/slack/events"}
    single = build_manifest(build_registry(), mode="http", url="https://bot.example.com")
    assert "redirect_urls" not in single["oauth_config"]
    assert "app_uninstalled" not in single["settings"]["event_subscriptions"]["bot_events"]


@pytest.mark.usefixtures("quiet_logging")
def test_cli_distribution_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["slack", "manifest", "--distribution", "--url", "https://b.example"]
    assert main(args) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["oauth_config"]["redirect_urls"] == ["https://b.example/slack/oauth_redirect"]
    assert main(["slack", "manifest", "--distribution"]) == 2  # no public URL
    assert "--url https://" in capsys.readouterr().err
    assert main([*args, "--mode", "socket"]) == 2
    assert "HTTP mode only" in capsys.readouterr().err
