"""Start-up failures as one line a person can act on: what failed, and what to check."""

from __future__ import annotations

import errno
import socket
import ssl

# aiohttp is imported by the functions that classify errors (a failure path), not here: the
# CLI imports this module for StartupError and one_line on every command.

# Default ports, left out of the host a message names ("discord.com", not "discord.com:443").
_DEFAULT_PORTS = (80, 443, None)


class StartupError(Exception):
    """The bot cannot start. The message is one line: what failed, then what to check.

    The CLI prints it as is (no traceback) and exits non-zero; details of the cause are
    logged at DEBUG.
    """


def why_unreachable(exc: BaseException) -> str:
    """A short cause for a failed connection: "DNS lookup failed", "connection refused"..."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "DNS lookup failed"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | ssl.SSLError):
        return "TLS certificate not accepted"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    os_error = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(os_error, OSError) and os_error.errno is not None:
        if os_error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "no route to the host"
        return os_error.strerror or errno.errorcode.get(os_error.errno, "connection failed")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    return type(exc).__name__


def is_connection_error(exc: BaseException) -> bool:
    """Whether `exc` means the server could not be reached at all (not a refusal by it)."""
    import aiohttp

    return isinstance(
        exc,
        aiohttp.ClientConnectionError
        | aiohttp.ServerTimeoutError
        | TimeoutError
        | ConnectionError
        | socket.gaierror,
    )


def host_of(exc: BaseException, fallback: str) -> str:
    """The host (and port, when not the scheme's default) a connection error was about."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorError):
        port = exc.port if exc.port not in _DEFAULT_PORTS else None
        return f"{exc.host}:{port}" if port else exc.host
    return fallback


def unreachable(service: str, exc: BaseException, *, fallback_host: str, setting: str) -> str:
    """`Discord: could not reach discord.com (DNS lookup failed): check the network or ...`"""
    host = host_of(exc, fallback_host)
    return (
        f"{service}: could not reach {host} ({why_unreachable(exc)}): "
        f"check the network or {setting}"
    )


def one_line(text: object) -> str:
    """Any exception text folded onto one line (tracebacks and reprs can span several)."""
    return " ".join(str(text).split())


def database_problem(exc: BaseException) -> str:
    """A failed database call in a few words: unreachable, refused login, or the driver's text."""
    if is_connection_error(exc) or isinstance(exc, OSError):
        return why_unreachable(exc)
    cause = exc.__cause__ or exc.__context__
    if cause is not None and (is_connection_error(cause) or isinstance(cause, OSError)):
        return why_unreachable(cause)
    text = one_line(getattr(exc, "orig", None) or exc)
    return f"{type(exc).__name__}: {text[:200]}"
