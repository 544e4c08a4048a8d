"""Answers through a request's response_url, over the adapter's one kept-alive HTTP session.

Bolt's own `respond` opens a new aiohttp session, and so a new connection (a new TLS
handshake with hooks.slack.com), for every call: every button press and every answer that was
not ready within the ack paid for one. This one sends the same JSON through the session the
adapter already keeps for Web API calls. The adapter's middleware puts it in each request's
context, so listeners take `respond` as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from ssl import SSLContext
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient


class PooledRespond(AsyncRespond):
    """Bolt's `respond()`, sent on a shared session."""

    def __init__(
        self,
        *,
        response_url: str,
        session: aiohttp.ClientSession,
        proxy: str | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        super().__init__(response_url=response_url, proxy=proxy, ssl=ssl)
        self.session = session

    async def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if isinstance(text, dict):  # the whole message, as Bolt's respond also takes
            return await self.__call__(**text)
        message: dict[str, Any] = {"text": text}
        if blocks:
            message["blocks"] = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
        if attachments:
            message["attachments"] = [
                a.to_dict() if isinstance(a, Attachment) else a for a in attachments
            ]
        optional = {
            "response_type": response_type,
            "replace_original": replace_original,
            "delete_original": delete_original,
            "unfurl_links": unfurl_links,
            "unfurl_media": unfurl_media,
            "thread_ts": thread_ts,
            "metadata": metadata,
        }
        message.update((key, value) for key, value in optional.items() if value is not None)
        assert self.response_url is not None
        client = AsyncWebhookClient(
            url=self.response_url, session=self.session, proxy=self.proxy, ssl=self.ssl
        )
        return await client.send_dict(message)
