"""Who may run a command that changes a channel: the core asks, the platform answers.

Commands declared with `manage_channel=True` (schedules, alerts) change what a channel gets.
Before running one, `Core.dispatch` calls the authorize callback the adapter passed with the
invocation; the adapter answers from its platform's own permission model (Slack: workspace
admins and owners, or ORBITDESK_SLACK_ADMINS). Platforms that send the permission with the
command (Discord's resolved Manage Channels, the local console) put it in
`User.can_manage_channel`, which the default callback reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.context import Invocation
    from bot.registry import CommandSpec


class Authorize(Protocol):
    async def __call__(self, invocation: Invocation, spec: CommandSpec) -> bool:
        """Whether the invocation's user may change the invocation's channel with `spec`."""
        ...


async def granted_with_command(invocation: Invocation, spec: CommandSpec) -> bool:
    """The default: the permission the adapter read with the command (User.can_manage_channel)."""
    return invocation.user.can_manage_channel
