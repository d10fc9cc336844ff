"""The aiohttp application: webhooks of the enabled channels, the web chat, /healthz, /metrics.

One app factory; every shared resource (store, HTTP client session) is acquired in
`cleanup_ctx` and reachable through typed `web.AppKey`s. `web.run_app` is called only by the CLI.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestPayloadError
from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.app import Brain
from bot.channels.base import Channel, DeliveryReport, Ignored, ReportsDelivery, Unauthorized
from bot.channels.webchat import MAX_WAITING, MESSAGE_ID, WebChatMailbox
from bot.core.clock import Clock
from bot.core.messages import WEB_CHANNEL, Address, InboundMessage, Reply
from bot.core.ports import ConversationStore, Outbox
from bot.engine.engine import Engine
from bot.eventloop import running_loop_name
from bot.inbox import Inbox, MemoryDeduplicator
from bot.service import assemble, build_channels
from bot.settings import Settings
from bot.storage import Store, open_store

logger = logging.getLogger(__name__)

# Webhook bodies are small JSON or forms; anything bigger is not from a provider.
MAX_BODY_BYTES = 256 * 1024

SETTINGS = web.AppKey("settings", Settings)
BRAIN = web.AppKey("brain", Brain)
STORE = web.AppKey("store", Store)
HTTP = web.AppKey("http", aiohttp.ClientSession)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "triage_messages_received",
            "Messages accepted from a channel",
            ["channel"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "triage_duplicates", "Duplicate deliveries ignored", ["channel"], registry=self.registry
        )
        self.rejected = Counter(
            "triage_webhooks_rejected",
            "Webhooks refused (signature, size)",
            ["channel"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "triage_updates_ignored", "Authentic updates not acted on", ["channel"], registry=self.registry
        )
        self.delivery_reports = Counter(
            "triage_delivery_reports",
            "Providers' reports on messages sent (status unknown: no such message recorded)",
            ["channel", "status"],
            registry=self.registry,
        )
        self.event_loop = Info(
            "triage_event_loop", "The event loop this process runs on (EVENT_LOOP)", registry=self.registry
        )
        self.turn_seconds = Histogram(
            "triage_turn_seconds",
            "Engine time per message",
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 1),
        )


class Accepting(Protocol):
    async def accept(self, message: InboundMessage) -> bool: ...

    async def drain(self) -> None: ...


def make_inbox(
    store: ConversationStore,
    *,
    handler: Callable[[InboundMessage], Awaitable[list[Reply]]],
    outbox: Outbox,
    settings: Settings,
    inline: bool = False,
) -> Accepting:
    """On Redis, webhooks only queue (the workers process); on SQLite this process does both."""
    from bot.storage.redis import RedisStore

    if isinstance(store, RedisStore) and not inline:
        from bot.queue import RedisQueue

        return RedisQueue(store.client, prefix=settings.store_key_prefix, cipher=store.cipher.bytes_cipher())
    dedup = store if hasattr(store, "seen_before") else MemoryDeduplicator()
    return Inbox(
        handler=handler,
        outbox=outbox,
        dedup=dedup,  # type: ignore[arg-type]
        reorder_window=settings.reorder_window_seconds,
        process_inline=inline,
    )


@dataclass
class Runtime:
    """What the running app holds once started: engine, channels, inbox."""

    engine: Engine
    channels: dict[str, Channel]
    inbox: Accepting
    outbox: Outbox
    metrics: Metrics
    handler: Callable[[InboundMessage], Awaitable[list[Reply]]]
    web_mailbox: WebChatMailbox | None = None


RUNTIME = web.AppKey("runtime", Runtime)


def create_app(
    settings: Settings,
    *,
    brain: Brain,
    clock: Clock,
    store: Store | None = None,
    http: aiohttp.ClientSession | None = None,
    channels: Mapping[str, Channel] | None = None,
    process_inline: bool = False,
) -> web.Application:
    """The whole service. Tests pass a store, a client session or channels built on fakes."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[unreadable_body_is_400])
    app[SETTINGS] = settings
    app[BRAIN] = brain

    async def resources(app: web.Application) -> AsyncIterator[None]:
        own_store = store is None
        app[STORE] = store if store is not None else open_store(settings.store_url, settings)
        own_http = http is None
        app[HTTP] = http if http is not None else aiohttp.ClientSession()
        enabled = dict(channels) if channels is not None else build_channels(settings, app[HTTP], app[STORE])
        service = await assemble(settings, brain, app[STORE], clock, enabled)
        metrics = Metrics()
        metrics.event_loop.info({"loop": running_loop_name()})

        async def handle(message: InboundMessage) -> list[Reply]:
            with metrics.turn_seconds.time():
                return await service.handle(message)

        inbox = make_inbox(
            app[STORE], handler=handle, outbox=service.outbox, settings=settings, inline=process_inline
        )
        prepare = getattr(inbox, "prepare", None)
        if prepare is not None:
            await prepare()
        app[RUNTIME] = Runtime(
            service.engine, enabled, inbox, service.outbox, metrics, handle, service.web_mailbox
        )
        stop = asyncio.Event()
        background: list[asyncio.Task[None]] = []
        if not isinstance(inbox, Inbox) or process_inline:
            pass  # workers tick (Redis), or a test drives the desk itself
        else:
            background.append(asyncio.create_task(service.tick_forever(stop)))
        telegram = enabled.get("telegram")
        if settings.telegram_polling and telegram is not None and hasattr(telegram, "poll"):
            background.append(asyncio.create_task(telegram.poll(inbox.accept, stop)))
        logger.info("serving channels: %s", ", ".join(sorted(enabled)) or "none")
        yield
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await inbox.drain()
        for channel in enabled.values():
            drain = getattr(channel, "drain", None)
            if drain is not None:
                await drain()
        if own_http:
            await app[HTTP].close()
        if own_store:
            await app[STORE].close()

    app.cleanup_ctx.append(resources)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_post("/webhooks/{channel}", webhook)
    app.router.add_get("/webhooks/{channel}", webhook_handshake)
    if settings.web_chat:
        app.router.add_post("/api/chat/{conversation_id}", web_chat_api)
        app.router.add_get("/api/chat/{conversation_id}", web_chat_waiting)
        _add_web_chat_page(app)
    return app


@web.middleware
async def unreadable_body_is_400(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A body that cannot be decoded (`Content-Encoding: gzip` over bytes that are not) is the
    sender's mistake: 400, not a 500 with a traceback."""
    try:
        return await handler(request)
    except (HttpProcessingError, RequestPayloadError):
        return web.json_response({"error": "unreadable request body"}, status=400)


async def healthz(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        await store.load_conversation("healthz:probe")
    except Exception:
        logger.exception("health check: the store does not answer")
        return web.json_response({"status": "store unavailable"}, status=503)
    runtime = request.app[RUNTIME]
    return web.json_response({"status": "ok", "channels": sorted(runtime.channels)})


async def metrics_page(request: web.Request) -> web.Response:
    body = generate_latest(request.app[RUNTIME].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def webhook(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    name = request.match_info["channel"]
    channel = runtime.channels.get(name)
    if channel is None:
        raise web.HTTPNotFound(text="no such channel")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        runtime.metrics.rejected.labels(name).inc()
        raise
    try:
        await channel.verify(request, body)
    except Unauthorized as refused:
        runtime.metrics.rejected.labels(name).inc()
        logger.warning("webhook %s refused: %s", name, refused)
        return web.json_response({"error": "unauthorized"}, status=refused.status)
    for item in channel.parse(request, body):
        if isinstance(item, DeliveryReport):
            known = isinstance(channel, ReportsDelivery) and await channel.record_delivery(item)
            runtime.metrics.delivery_reports.labels(name, item.status if known else "unknown").inc()
            continue
        if isinstance(item, Ignored):
            runtime.metrics.ignored.labels(name).inc()
            logger.debug("update ignored on %s: %s", name, item.reason)
            continue
        if await runtime.inbox.accept(item):
            runtime.metrics.received.labels(name).inc()
        else:
            runtime.metrics.duplicates.labels(name).inc()
    response: web.Response = channel.acknowledge()
    return response


async def webhook_handshake(request: web.Request) -> web.Response:
    channel = request.app[RUNTIME].channels.get(request.match_info["channel"])
    if getattr(channel, "reports_by_get", False) and request.query:
        return await webhook(request)  # Kannel's delivery reports: verified and parsed alike
    if channel is None:
        raise web.HTTPNotFound(text="no such channel")
    response: web.Response = await channel.verification(request)
    return response


# -- the web chat -------------------------------------------------------------------------------

MAX_WEB_CONVERSATION_ID = 64


def _web_conversation_id(request: web.Request) -> str | None:
    conversation_id = request.match_info["conversation_id"]
    if (
        not 8 <= len(conversation_id) <= MAX_WEB_CONVERSATION_ID
        or not conversation_id.isascii()  # "²²²²²²²²" and "éééééééé" are alphanumeric too
        or not conversation_id.replace("-", "").isalnum()
    ):
        return None
    return conversation_id


async def web_chat_waiting(request: web.Request) -> web.Response:
    """`GET /api/chat/{id}[?seen=ID,ID...]`: what was written to the person outside their turns
    (the volunteer who accepted, the volunteer's messages), as `{"replies": [{"id", "text",
    "options"}]}`, until the page acknowledges them with `seen` (the ids of those it showed)."""
    conversation_id = _web_conversation_id(request)
    if conversation_id is None:
        return web.json_response({"error": "conversation id: 8 to 64 letters, digits or dashes"}, status=400)
    seen = [part for part in request.query.get("seen", "").split(",") if part]
    if len(seen) > MAX_WAITING or not all(MESSAGE_ID.match(part) for part in seen):
        return web.json_response(
            {"error": "seen: the ids of messages given before, comma-separated"}, status=400
        )
    mailbox = request.app[RUNTIME].web_mailbox
    replies = await mailbox.waiting(f"{WEB_CHANNEL}:{conversation_id}", seen) if mailbox is not None else []
    return web.json_response({"replies": replies})


async def web_chat_api(request: web.Request) -> web.Response:
    """`POST /api/chat/{id}` with `{"text": ...}` or `{"option": "<id>"}`; answers the replies.

    The web chat has no provider in between, so the reply comes back in the response."""
    conversation_id = _web_conversation_id(request)
    if conversation_id is None:
        return web.json_response({"error": "conversation id: 8 to 64 letters, digits or dashes"}, status=400)
    try:
        payload = await request.json()
    except (ValueError, RecursionError, LookupError):  # not JSON, nested 2,000 deep, charset=x-bogus
        return web.json_response({"error": "expected a JSON object"}, status=400)
    if not isinstance(payload, dict):
        return web.json_response({"error": "expected a JSON object"}, status=400)
    text, option = payload.get("text"), payload.get("option")
    if (text is None) == (option is None) or not isinstance(text or option, str):
        return web.json_response({"error": 'send {"text": "..."} or {"option": "<id>"}'}, status=400)
    runtime = request.app[RUNTIME]
    web_id = f"{WEB_CHANNEL}:{conversation_id}"
    # The sender: where the desk writes later (the mailbox the page reads with GET).
    sender = Address(channel=WEB_CHANNEL, recipient=web_id)
    message = InboundMessage(
        conversation_id=web_id, channel=WEB_CHANNEL, text=text, option=option, sender=sender
    )
    runtime.metrics.received.labels(WEB_CHANNEL).inc()
    store = request.app[STORE]
    if hasattr(store, "conversation_lock"):
        # Several `triage serve` replicas may receive the same conversation's requests.
        async with store.conversation_lock(message.conversation_id):
            replies = await runtime.handler(message)
    else:
        replies = await runtime.handler(message)
    body: dict[str, object] = {
        "replies": [
            {"text": reply.text, "options": [{"id": o.id, "label": o.label} for o in reply.options]}
            for reply in replies
        ]
    }
    if any(reply.erased for reply in replies):
        body["erased"] = True  # the page forgets its transcript (kept in the browser) too
    return web.json_response(body)


def _add_web_chat_page(app: web.Application) -> None:
    static = Path(__file__).parent / "web"
    if not (static / "index.html").exists():
        return

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(static / "index.html")

    app.router.add_get("/", index)
    app.router.add_static("/static/", static)
