"""Start-up failure lines, from the errors the network libraries raise (no network needed)."""

from __future__ import annotations

import errno
import socket

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from bot.startup import database_problem, unreachable


def key(host: str, port: int) -> ConnectionKey:
    return ConnectionKey(host, port, port == 443, True, None, None, None)


def dns_error(host: str, port: int = 443) -> aiohttp.ClientConnectorDNSError:
    return aiohttp.ClientConnectorDNSError(
        key(host, port), socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    )


def connector_error(host: str, port: int, os_error: OSError) -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(key(host, port), os_error)


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (dns_error("discord.com"), "could not reach discord.com (DNS lookup failed)"),
        (
            connector_error("127.0.0.1", 9, ConnectionRefusedError(errno.ECONNREFUSED, "x")),
            "could not reach 127.0.0.1:9 (connection refused)",
        ),
        (
            connector_error("10.0.0.1", 443, OSError(errno.ENETUNREACH, "Network unreachable")),
            "could not reach 10.0.0.1 (no route to the host)",
        ),
        (TimeoutError(), "could not reach discord.com (timed out)"),
        (
            socket.gaierror(socket.EAI_AGAIN, "again"),
            "could not reach discord.com (DNS lookup failed)",
        ),
    ],
)
def test_unreachable_names_the_host_and_the_cause(error: BaseException, line: str) -> None:
    assert (
        unreachable(
            "Discord", error, fallback_host="discord.com", setting="ORBITDESK_DISCORD_API_BASE"
        )
        == f"Discord: {line}: check the network or ORBITDESK_DISCORD_API_BASE"
    )


def test_database_problem_finds_the_connection_cause_behind_a_wrapper() -> None:
    class DriverError(Exception):
        pass

    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        except OSError as inner:
            raise DriverError("could not connect") from inner
    except DriverError as outer:
        assert database_problem(outer) == "connection refused"
    assert database_problem(ValueError("bad\nURL")) == "ValueError: bad URL"
