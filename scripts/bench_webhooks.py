"""Benchmark: Telegram webhook acknowledgement time with N simulated people in parallel (issue 5).

Two processes on loopback. The server process runs the real app (`bot.server.create_app`, the real
brain, `SqliteStore` on a temporary file, the real `TelegramChannel` with a webhook secret, default
`reorder_window_seconds`), served by aiohttp's `AppRunner`. This process runs a minimal fake
Telegram Bot API (it answers `sendMessage` and `answerCallbackQuery`) and the load generator: each
simulated person replays one whole French triage of `tests/eval/fr_conversations.yml` as signed
webhook updates (text messages, and a `callback_query` for a button tap), with increasing
`update_id`s, and sends their next message only once the fake API has received the whole answer
of the previous one (after `--think` seconds ±50%, default 0: a closed loop, the worst case).
The answers and the number of `sendMessage` calls per turn are computed beforehand by running the
same service in-process; the hand-off desk's own notices ("nobody is free right now"), which go to
whoever is handed off once the volunteers are full, are counted apart.

Measured per request: acknowledgement = POST sent → 200 received (what Telegram waits for);
end to end = POST sent → the fake API receives the first / the last `sendMessage` of the answer
(includes the reorder window). Also printed: the server's own time in the webhook handler, and how
late a 5 ms sleep wakes up in each process (event-loop lag). Bounded, loopback only, stops by itself.

`--store redis` is the production layout instead: the server runs on `RedisStore` (encrypted, a
unique key prefix in database 12 by default) and only verifies, de-duplicates and queues each
update to the Redis Stream (`bot.queue.RedisQueue`); `--workers N` separate `python -m bot.cli
worker` processes (same prefix and keys, Telegram pointed at the fake API) process and send. At
the end the workers get SIGTERM and exactly the prefix's keys are deleted (SCAN + DEL, never
FLUSHDB). The workers run the system clock, so the answers expected are then computed for today;
in the SQLite layout the server's clock is fixed at the day of the YAML file.

Delivery: by default (raw) every person's update is POSTed the moment it is ready, each on a
connection of its own: the 200 first messages hit the server in the same instant, on 200 new
connections. `--connections N` delivers as Telegram does: at most N requests in flight at once
(setWebhook's `max_connections`, 1..100, default 40 at Telegram), on connections kept open; an
update waits for a free connection, and that wait is printed apart (it is Telegram's queue, not
our acknowledgement). In both modes the acknowledgement clock starts when the load generator
calls POST, so opening a connection counts; the requests that opened one are also printed apart.

`--warm` (with `--connections`) opens those connections before the load: a bot already in service,
whose connections Telegram keeps open, rather than one that has been idle.

`--worker-nice N` starts the workers with `triage worker --nice N` (README: the acknowledgement
comes first). `--bare` measures this harness's own floor: each person's first message only (the
opening burst), to a server that answers `{}` at once and does nothing else.

Event loops: the server process runs on the loop `triage serve` runs on (EVENT_LOOP, uvloop by
default: bot.eventloop), so `EVENT_LOOP=asyncio` in the environment measures Python's own loop;
the workers inherit the variable. This process (Telegram's side) always runs on uvloop and, by
default, posts with `LeanClient` (prepared HTTP/1.1 requests on kept-open connections): on these
2 shared CPUs the harness's own CPU is part of every figure, so the cheaper it is the more the
figures measure the bot. `--client aiohttp` posts with aiohttp's client instead, as every run in
docs/benchmarks.md before the section "The event loop" did.

Run: `.venv/bin/python scripts/bench_webhooks.py [--users 200] [--think 0] [--profile]
[--store sqlite|redis] [--workers 2] [--worker-nice N] [--connections N [--warm]] [--bare]
[--redis-url redis://127.0.0.1:6379/12] [--client lean|aiohttp]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import yaml
from aiohttp import web
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import delete_prefix, machine, percentile, run_on_loop

if TYPE_CHECKING:
    from bot.core.messages import Address, Reply

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench_secret-TOKEN_1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONVERSATIONS = ROOT / "tests" / "eval" / "fr_conversations.yml"
MAX_TURNS = 40  # per conversation: a script that loops stops there
TURN_TIMEOUT = 15.0  # seconds to wait for an answer before counting a timeout and moving on
FIRST_CHAT = 700_000_000
FIRST_UPDATE = 100_000_000  # nine digits: message ids compare as strings in the inbox's ordering
WORKER_READY = ": processing"  # what `triage worker` prints once it consumes


@dataclass(frozen=True)
class RedisMode:
    """Where and how the server and the workers share the store and the queue (`--store redis`)."""

    url: str
    prefix: str
    key: str  # one Fernet key
    hash_key: str

    @classmethod
    def fresh(cls, url: str) -> RedisMode:
        from bot.storage.crypto import FieldCipher

        return cls(
            url, f"bench-webhooks-{uuid.uuid4().hex[:8]}", FieldCipher.generate_key(), uuid.uuid4().hex
        )

    def worker_env(self, api_base: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            STORE_URL=self.url,
            STORE_KEY_PREFIX=self.prefix,
            STORE_ENCRYPTION_KEYS=self.key,
            STORE_HASH_KEY=self.hash_key,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_API_BASE=api_base,
            TELEGRAM_POLLING="false",
            LOG_LEVEL="ERROR",  # the hand-off warns that no SMS gateway is enabled
        )
        return env


# -- shared helpers (bench_redis_turns imports them) ----------------------------------------------


def summary(values_ms: Sequence[float]) -> str:
    return (
        f"p50 {percentile(values_ms, 0.50):.2f} ms, p95 {percentile(values_ms, 0.95):.2f} ms,"
        f" p99 {percentile(values_ms, 0.99):.2f} ms, max {max(values_ms, default=float('nan')):.2f} ms"
    )


@dataclass(frozen=True)
class Step:
    """One message of a person: a typed text or a tapped option, and how many Telegram messages
    the bot answers with (rendered by the real channel)."""

    text: str | None
    option: str | None
    sends: int


class DeskTexts:
    """Stands for the channel in the in-process run: keeps the texts the hand-off desk sends on its
    own ("nobody is free right now"). Whether a person gets one depends on the order in which
    cases reach the volunteers, so the load generator does not count them as part of an answer."""

    name = "telegram"

    def __init__(self) -> None:
        self.texts: set[str] = set()

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        self.texts.update(reply.text for reply in replies)


@dataclass
class Transcripts:
    people: list[list[Step]]
    desk_texts: set[str]

    def is_desk_text(self, text: str) -> bool:
        return any(text.startswith(known[:60]) for known in self.desk_texts)


def load_scripts() -> tuple[str, list[dict[str, Any]]]:
    spec = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))
    return str(spec["today"]), list(spec["conversations"])


async def transcripts(count: int, channel: str = "telegram", today: str | None = None) -> Transcripts:
    """The messages of `count` people (script i % 50), found by running the service in-process on a
    throw-away store, as `scripts/bench_engine.py` does: answer what the bot asks, tap the first
    option of a confirmation. On the web chat (`channel="web"`) messages have no sender address.
    The clock is fixed at `today` (ISO), by default the day the YAML file was written for."""
    from bot.app import load_brain
    from bot.channels.telegram import render
    from bot.core.clock import FixedClock
    from bot.core.messages import Address, InboundMessage
    from bot.service import assemble
    from bot.settings import Settings
    from bot.storage.sqlite import SqliteStore

    written_for, scripts = load_scripts()
    today = today or written_for
    settings = Settings()
    brain = load_brain(settings)
    store = SqliteStore(":memory:")
    desk = DeskTexts()
    service = await assemble(settings, brain, store, FixedClock.parse(today), {channel: desk})  # type: ignore[dict-item]
    people: list[list[Step]] = []
    for index in range(count):
        script = scripts[index % len(scripts)]
        recipient = str(FIRST_CHAT + index)
        sender = Address(channel=channel, recipient=recipient) if channel != "web" else None
        opening = script.get("opening") or "/start"
        pending: list[str] = [opening] if isinstance(opening, str) else list(opening)
        replies: list[Reply] = []
        steps: list[Step] = []
        for _ in range(MAX_TURNS):
            text: str | None = pending.pop(0) if pending else None
            option: str | None = None
            if text is None:
                question = next((r for r in reversed(replies) if r.asking), None)
                if question is None:
                    break
                if question.confirming and question.options:
                    option = question.options[0].id
                else:
                    text = str(script["answers"].get(question.asking, "/skip"))
            message = InboundMessage(
                conversation_id=f"{channel}:{recipient}",
                channel=channel,
                text=text,
                option=option,
                sender=sender,
            )
            replies = await service.handle(message)
            steps.append(Step(text, option, sum(len(render(reply)) for reply in replies)))
        people.append(steps)
    await store.close()
    return Transcripts(people, desk.texts)


# -- the server process ----------------------------------------------------------------------------


def serve(
    conn: Connection,
    api_base: str,
    profile: bool,
    redis: RedisMode | None = None,
    bare: bool = False,
    port: int = 0,
) -> None:
    """Child process: the app on a loopback port until the parent says stop. With a ``port``, the
    socket is opened with SO_REUSEPORT, as `triage serve --reuse-port`: several server processes
    share it and the kernel spreads the connections among them."""
    logging.basicConfig(level=logging.ERROR, format="server %(levelname)s %(name)s: %(message)s")
    run_on_loop(_serve_bare(conn, port) if bare else _serve(conn, api_base, profile, redis, port))


async def _serve_bare(conn: Connection, port: int = 0) -> None:
    """The harness's floor: aiohttp reads the webhook and answers `{}`, nothing else."""

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/webhooks/telegram", webhook)
    handler_ms: list[float] = []
    app.middlewares.append(timing_middleware(handler_ms))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=bool(port)).start()
    conn.send({"port": runner.addresses[0][1], "channels": ["bare"]})
    lag_ms: list[float] = []
    stop = asyncio.Event()
    lag_task = asyncio.create_task(loop_lag(lag_ms, stop))
    load_cpu = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    load_cpu = time.process_time() - load_cpu
    stop.set()
    await lag_task
    await runner.cleanup()
    conn.send(
        {
            "turns": 0,
            "turn_seconds": 0.0,
            "handler_ms": handler_ms,
            "lag_ms": lag_ms,
            "cpu_seconds": time.process_time(),
            "load_cpu_seconds": load_cpu,
        }
    )


def print_profile(profiler: Any, title: str) -> None:
    """The top of a cProfile of the load phase only (start-up excluded)."""
    import pstats

    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\n--- {title}: cProfile of the load phase, top 25 by own time ---")
    stats.sort_stats("tottime").print_stats(25)
    print(f"--- {title}: top 40 by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(40)
    sys.stdout.flush()


async def _serve(
    conn: Connection, api_base: str, profile: bool, redis: RedisMode | None, port: int = 0
) -> None:
    from bot.app import load_brain
    from bot.core.clock import FixedClock
    from bot.core.ports import ConversationStore
    from bot.server import RUNTIME, create_app
    from bot.settings import Settings
    from bot.storage.crypto import FieldCipher
    from bot.storage.redis import RedisStore
    from bot.storage.sqlite import SqliteStore

    today, _ = load_scripts()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        telegram: dict[str, Any] = {
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_base": api_base,
            "telegram_polling": False,
        }
        store: ConversationStore
        if redis is None:
            settings = Settings(store_url=f"sqlite:///{path}", **telegram)
            store = SqliteStore(path)
        else:
            # The queue's key names come from the settings' prefix (bot.server.make_inbox).
            settings = Settings(
                store_url=redis.url,
                store_key_prefix=redis.prefix,
                store_encryption_keys=SecretStr(redis.key),
                store_hash_key=SecretStr(redis.hash_key),
                **telegram,
            )
            store = RedisStore.from_url(
                redis.url,
                prefix=redis.prefix,
                cipher=FieldCipher([redis.key]),
                hash_key=redis.hash_key.encode(),
            )
        brain = load_brain(Settings())
        app = create_app(settings, brain=brain, clock=FixedClock.parse(today), store=store)
        handler_ms: list[float] = []
        app.middlewares.append(timing_middleware(handler_ms))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, reuse_port=bool(port))
        await site.start()
        gc.collect()
        gc.freeze()  # as `triage serve` does after loading
        port = runner.addresses[0][1]
        runtime = app[RUNTIME]
        conn.send(
            {
                "port": port,
                "channels": sorted(runtime.channels),
                "reorder": settings.reorder_window_seconds,
                "inbox": type(runtime.inbox).__name__,
                "store": type(store).__name__,
            }
        )
        lag_ms: list[float] = []
        stop = asyncio.Event()
        lag_task = asyncio.create_task(loop_lag(lag_ms, stop))
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        loop = asyncio.get_running_loop()
        load_cpu = time.process_time()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        load_cpu = time.process_time() - load_cpu
        if profiler is not None:
            profiler.disable()
            print_profile(profiler, "server")
        stop.set()
        await lag_task
        turns = next(iter(runtime.metrics.turn_seconds.collect())).samples
        count = next((s.value for s in turns if s.name.endswith("_count")), 0.0)
        total = next((s.value for s in turns if s.name.endswith("_sum")), 0.0)
        await runner.cleanup()
        await store.close()
        conn.send(
            {
                "turns": count,
                "turn_seconds": total,
                "handler_ms": handler_ms,
                "lag_ms": lag_ms,
                "cpu_seconds": time.process_time(),
                "load_cpu_seconds": load_cpu,
            }
        )


def timing_middleware(into: list[float]) -> Any:
    """Time spent in the webhook handler once the request is parsed (server side of the ack)."""

    @web.middleware
    async def timing(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            response: web.StreamResponse = await handler(request)
            return response
        finally:
            if request.path.startswith("/webhooks/"):
                into.append((time.perf_counter() - started) * 1000)

    return timing


async def loop_lag(into: list[float], stop: asyncio.Event, every: float = 0.005) -> None:
    """How late a 5 ms sleep wakes up: how long the event loop was busy with something else."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(every)
        into.append((time.perf_counter() - started - every) * 1000)


# -- the fake Telegram API and the load generator (this process) ---------------------------------


@dataclass
class FakeApi:
    """Counts `sendMessage` per chat and wakes whoever waits for a count."""

    sent: dict[int, int] = field(default_factory=dict)
    first_at: dict[int, float] = field(default_factory=dict)
    waiters: dict[int, tuple[int, asyncio.Future[float]]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    desk_messages: int = 0
    message_id: int = 0
    is_desk_text: Callable[[str], bool] = lambda text: False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            refused = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(refused, status=401)
        self.calls[method] = self.calls.get(method, 0) + 1
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        chat = int(str(form["chat_id"]))
        text = str(form.get("text", ""))
        now = time.perf_counter()
        if self.is_desk_text(text):
            self.desk_messages += 1
        else:
            count = self.sent.get(chat, 0) + 1
            self.sent[chat] = count
            self.first_at.setdefault(chat, now)
            waiter = self.waiters.get(chat)
            if waiter is not None and count >= waiter[0] and not waiter[1].done():
                waiter[1].set_result(now)
        self.message_id += 1
        result = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Bench"},
            "from": {"id": 42, "is_bot": True, "first_name": "TriageBot", "username": "triage_bot"},
            "text": text,
        }
        return web.json_response({"ok": True, "result": result})

    def expect(self, chat: int, total: int) -> asyncio.Future[float]:
        """A future set (to the arrival time) when `chat` has received `total` messages in all."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.first_at.pop(chat, None)
        if self.sent.get(chat, 0) >= total:
            future.set_result(time.perf_counter())
        self.waiters[chat] = (total, future)
        return future


def update(update_id: int, chat: int, step: Step) -> dict[str, Any]:
    person = {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "fr"}
    chat_obj = {"id": chat, "type": "private", "first_name": "Bench"}
    now = int(time.time())
    if step.option is not None:
        bot_message = {
            "message_id": 1,
            "date": now,
            "chat": chat_obj,
            "from": {"id": 42, "is_bot": True, "first_name": "TriageBot", "username": "triage_bot"},
            "text": "?",
        }
        query = {
            "id": f"q{update_id}",
            "chat_instance": "-891234567890",
            "from": person,
            "message": bot_message,
            "data": step.option,
        }
        return {"update_id": update_id, "callback_query": query}
    message = {"message_id": update_id, "date": now, "chat": chat_obj, "from": person, "text": step.text}
    return {"update_id": update_id, "message": message}


# One webhook POST of an update (a JSON object): (HTTP status, whether it opened its connection).
Deliver = Callable[[dict[str, Any]], Awaitable[tuple[int, bool]]]


def lean_delivery(client: LeanClient) -> Deliver:
    async def deliver(body: dict[str, Any]) -> tuple[int, bool]:
        return await client.post(json.dumps(body).encode(), {SECRET_HEADER: SECRET})

    return deliver


def aiohttp_delivery(session: aiohttp.ClientSession, url: str) -> Deliver:
    async def deliver(body: dict[str, Any]) -> tuple[int, bool]:
        opened: dict[str, bool] = {}
        async with session.post(
            url, json=body, headers={SECRET_HEADER: SECRET}, trace_request_ctx=opened
        ) as response:
            await response.read()
        return response.status, bool(opened)

    return deliver


@dataclass
class Results:
    ack_ms: list[float] = field(default_factory=list)
    first_ack_ms: list[float] = field(default_factory=list)  # each person's first message
    later_ack_ms: list[float] = field(default_factory=list)  # all but each person's first message
    queued_ms: list[float] = field(default_factory=list)  # waiting for a free connection (--connections)
    opening_ack_ms: list[float] = field(default_factory=list)  # requests that opened their connection
    open_ack_ms: list[float] = field(default_factory=list)  # requests on a connection already open
    first_ms: list[float] = field(default_factory=list)
    last_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0


async def person(
    index: int,
    steps: list[Step],
    deliver: Deliver,
    fake: FakeApi,
    ids: list[int],
    think: float,
    results: Results,
    connections: asyncio.Semaphore | None = None,
    wait_answers: bool = True,
) -> None:
    chat = FIRST_CHAT + index
    expected = 0
    pause = random.Random(index)  # people read and type at their own pace: no lock-step
    if think:
        await asyncio.sleep(pause.uniform(0, think))
    for turn, step in enumerate(steps):
        ids[0] += 1
        body = update(ids[0], chat, step)
        expected += step.sends
        arrived = fake.expect(chat, expected)
        ready = time.perf_counter()
        async with contextlib.AsyncExitStack() as slot:
            if connections is not None:
                # Telegram's side: the update waits for one of the bot's connections to be free.
                await slot.enter_async_context(connections)
            started = time.perf_counter()
            status, opened = await deliver(body)
            acked = time.perf_counter()
        (results.opening_ack_ms if opened else results.open_ack_ms).append((acked - started) * 1000)
        results.ack_ms.append((acked - started) * 1000)
        (results.later_ack_ms if turn else results.first_ack_ms).append((acked - started) * 1000)
        if connections is not None:
            results.queued_ms.append((started - ready) * 1000)
        results.statuses[status] = results.statuses.get(status, 0) + 1
        if step.sends and wait_answers:
            try:
                last = await asyncio.wait_for(arrived, TURN_TIMEOUT)
            except TimeoutError:
                results.timeouts += 1
                expected = fake.sent.get(chat, 0)  # resynchronise on what did arrive
            else:
                results.last_ms.append((last - started) * 1000)
                results.first_ms.append((fake.first_at.get(chat, last) - started) * 1000)
        if think:
            await asyncio.sleep(pause.uniform(0.5 * think, 1.5 * think))


class LeanClient:
    """Telegram's side of the webhook, kept cheap: HTTP/1.1 POSTs on a pool of kept-open
    connections, written and read with asyncio streams.

    Telegram's servers are not on our CPUs; this load generator is. aiohttp's client costs about
    0.2 ms of CPU a request (a request and a response object, timers, the trace hooks), taken from
    the 2 CPUs the bot runs on, and a burst of N requests issued at once is sent one after the other
    by this one event loop: the N-th request's clock runs while the load generator works on the
    N - 1 before it. This client writes one prepared request and reads one response: the floor
    (`--bare`) then measures the bot's machine more than the harness (docs/benchmarks.md)."""

    def __init__(self, url: str) -> None:
        address = urlsplit(url)
        self.host, self.port, self.path = address.hostname or "127.0.0.1", address.port or 80, address.path
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def post(self, body: bytes, headers: dict[str, str], path: str | None = None) -> tuple[int, bool]:
        """(HTTP status, whether this request opened its connection)."""
        opened = not self.free
        if opened:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        else:
            reader, writer = self.free.pop()
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        method = "POST" if body else "GET"
        writer.write(
            f"{method} {path or self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        await reader.readexactly(int(length.group(1)) if length else 0)
        if re.search(rb"(?i)\r\nconnection: *close", head):
            writer.close()
        else:
            self.free.append((reader, writer))
        return status, opened

    async def open(self, path: str, count: int) -> None:
        """`count` requests at once: the pool then holds `count` open connections."""
        await asyncio.gather(*(self.post(b"", {}, path) for _ in range(count)))

    async def close(self) -> None:
        for _, writer in self.free:
            writer.close()
        self.free.clear()


async def open_connections(session: aiohttp.ClientSession, url: str, count: int) -> None:
    """`count` simultaneous GETs: the session's pool then holds `count` open connections."""

    async def get() -> None:
        async with session.get(url) as response:
            await response.read()

    await asyncio.gather(*(get() for _ in range(count)))


def connection_trace() -> aiohttp.TraceConfig:
    """Marks the requests that had to open a TCP connection (their `trace_request_ctx` dict)."""

    async def opened(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
        if isinstance(context.trace_request_ctx, dict):
            context.trace_request_ctx["opened"] = True

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(opened)
    return trace


# -- the workers (--store redis) --------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_workers(
    workers: list[asyncio.subprocess.Process],
    count: int,
    redis: RedisMode,
    api_base: str,
    logs: Path,
    nice: int = 0,
) -> None:
    """`python -m bot.cli worker [--nice N]` × count into `workers` (stopped by the caller even on
    failure); returns once each says it is processing."""
    niceness = ["--nice", str(nice)] if nice else []
    for number in range(count):
        with (logs / f"worker-{number}.log").open("wb") as log:
            workers.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "worker",
                    *niceness,
                    cwd=ROOT,
                    env=redis.worker_env(api_base),
                    stdin=subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log,
                )
            )
    for worker in workers:
        assert worker.stdout is not None
        while True:
            line = await asyncio.wait_for(worker.stdout.readline(), 120)
            if not line:
                raise RuntimeError(f"worker {worker.pid} exited before processing; see {logs}")
            if WORKER_READY in line.decode():
                break


async def stop_workers(workers: Sequence[asyncio.subprocess.Process]) -> None:
    """SIGTERM (the worker finishes its current entry), then SIGKILL after 20 s."""
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.wait_for(worker.wait(), 20)
        except TimeoutError:
            worker.kill()
            await worker.wait()


@dataclass(frozen=True)
class Options:
    users: int = 200
    think: float = 0.0
    profile: bool = False
    store: str = "sqlite"
    workers: int = 2
    worker_nice: int = 0
    connections: int = 0  # 0: every update at once; N: at most N in flight, as Telegram delivers
    warm: bool = False  # the N connections are open before the load (a bot already in service)
    bare: bool = False
    redis_url: str = ""
    client: str = "lean"  # Telegram's side: "lean" (LeanClient) or "aiohttp" (aiohttp's ClientSession)
    servers: int = 1  # server processes; more than one share a port (SO_REUSEPORT)


def free_port() -> int:
    """A loopback port free now, for server processes to share (a small race, fine on a test machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def merge_server_stats(stats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several server processes as one: samples pooled, counts and CPU summed."""
    merged: dict[str, Any] = {"handler_ms": [], "lag_ms": []}
    for one in stats:
        merged["handler_ms"] += one["handler_ms"]
        merged["lag_ms"] += one["lag_ms"]
        for name in ("turns", "turn_seconds", "cpu_seconds", "load_cpu_seconds"):
            merged[name] = merged.get(name, 0.0) + one[name]
    return merged


async def run(options: Options) -> None:
    logging.basicConfig(level=logging.ERROR)  # the hand-off warns that no SMS gateway is enabled
    users, think, store = options.users, options.think, options.store
    print(f"machine: {machine()}")
    prepared = time.perf_counter()
    # `triage worker` runs the system clock: in the Redis layout the answers expected are those of
    # today (the urgency of an expiry date depends on the day), not of the YAML file's day.
    now = dt.datetime.now(dt.UTC).isoformat() if store == "redis" else None
    prepared_transcripts = await transcripts(users, today=now)
    people = prepared_transcripts.people
    if options.bare:
        people = [steps[:1] for steps in people]  # the opening burst only: there is no answer to wait for
    # Preparing loaded the whole brain here too: keep the collector off it, or this process pauses
    # for full collections during the load (Telegram's side has no such heap).
    gc.collect()
    gc.freeze()
    print(f"prepared {users} transcripts in {time.perf_counter() - prepared:.1f} s (in-process service)")

    fake = FakeApi(is_desk_text=prepared_transcripts.is_desk_text)
    fake_runner = web.AppRunner(fake.app(), access_log=None)
    await fake_runner.setup()
    fake_site = web.TCPSite(fake_runner, "127.0.0.1", 0)
    await fake_site.start()
    api_base = f"http://127.0.0.1:{fake_runner.addresses[0][1]}"

    redis = RedisMode.fresh(options.redis_url) if store == "redis" and not options.bare else None
    logs = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    processes: list[asyncio.subprocess.Process] = []
    worker_cpu: list[float] = []
    context = multiprocessing.get_context("spawn")
    # One server process on its own port, or several sharing one (SO_REUSEPORT), the first profiled.
    shared_port = free_port() if options.servers > 1 else 0
    pipes, servers = [], []
    for number in range(options.servers):
        parent, child = context.Pipe()
        profiled = options.profile and number == 0
        server = context.Process(
            target=serve, args=(child, api_base, profiled, redis, options.bare, shared_port), daemon=True
        )
        server.start()
        pipes.append(parent)
        servers.append(server)
    loop = asyncio.get_running_loop()
    try:
        readies = [await asyncio.wait_for(loop.run_in_executor(None, pipe.recv), 120) for pipe in pipes]
        ready = readies[0]
        if options.bare:
            layout = "BARE: the webhook answers 200 {} at once, nothing verified, queued or processed"
        elif redis is None:
            layout = f"reorder window {ready['reorder']:.2f} s, SQLite file store, processes inline"
        else:
            await start_workers(processes, options.workers, redis, api_base, logs, options.worker_nice)
            niced = f" --nice {options.worker_nice}" if options.worker_nice else ""
            layout = (
                f"{ready['store']} {redis.url} prefix {redis.prefix} (encrypted), inbox {ready['inbox']};"
                f" {len(processes)} workers `python -m bot.cli worker{niced}`"
                f" (pids {', '.join(str(p.pid) for p in processes)}) process and send"
            )
        pids = ", ".join(str(server.pid) for server in servers)
        shared = f" sharing port {shared_port} (SO_REUSEPORT)" if shared_port else ""
        channels = ready["channels"]
        print(f"server: {len(servers)} process(es), pids {pids}{shared}; channels {channels}; {layout}")
        url = f"http://127.0.0.1:{ready['port']}/webhooks/telegram"
        results = Results()
        ids = [FIRST_UPDATE]
        # Telegram keeps its connections to a webhook open and opens at most `max_connections`.
        connector = aiohttp.TCPConnector(limit=options.connections)
        slots = asyncio.Semaphore(options.connections) if options.connections else None
        client_lag: list[float] = []
        stop = asyncio.Event()
        lag_task = asyncio.create_task(loop_lag(client_lag, stop))
        health = url.replace("/webhooks/telegram", "/healthz")
        lean = LeanClient(url)
        async with aiohttp.ClientSession(connector=connector, trace_configs=[connection_trace()]) as session:
            deliver = aiohttp_delivery(session, url) if options.client == "aiohttp" else lean_delivery(lean)
            if options.warm and options.client == "aiohttp":
                await open_connections(session, health, options.connections)
            elif options.warm:
                await lean.open("/healthz", options.connections)
            started = time.perf_counter()
            client_cpu = time.process_time()
            await asyncio.gather(
                *(
                    person(i, steps, deliver, fake, ids, think, results, slots, not options.bare)
                    for i, steps in enumerate(people)
                )
            )
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
        await lean.close()
        stop.set()
        await lag_task
        worker_cpu = [cpu_seconds(p.pid) for p in processes]
        for pipe in pipes:
            pipe.send("stop")
        server_stats = merge_server_stats(
            [await asyncio.wait_for(loop.run_in_executor(None, pipe.recv), 60) for pipe in pipes]
        )
    finally:
        await stop_workers(processes)
        for server in servers:
            await asyncio.get_running_loop().run_in_executor(None, server.join, 60)
            if server.is_alive():
                server.terminate()
        await fake_runner.cleanup()
        if redis is not None:
            deleted = await delete_prefix(redis.url, redis.prefix)
            print(f"cleaned up {deleted:,} Redis keys with prefix {redis.prefix}")

    requests = len(results.ack_ms)
    expected_sends = sum(step.sends for steps in people for step in steps)
    pace = f"think time {think:.1f} s ±50% between turns" if think else "no think time (closed loop)"
    if options.bare:
        pace = "each person's first message only (the opening burst)"
    delivery = (
        f"at most {options.connections} connections at once, kept open (Telegram's max_connections)"
        if options.connections
        else "every update POSTed at once on its own connection (raw)"
    )
    if options.warm:
        delivery += ", opened before the load (a bot already in service)"
    delivery += f"; {options.client} client"
    print(
        f"load: {users} people in parallel, one whole French triage each, {pace}; {delivery};"
        f" {requests} webhook requests in {elapsed:.1f} s = {requests / elapsed:.0f} requests/s"
    )
    print(f"HTTP statuses: {dict(sorted(results.statuses.items()))}")
    if not options.bare:
        print(
            f"fake Bot API: sendMessage {fake.calls.get('sendMessage', 0)} = {expected_sends}"
            f" answers expected + {fake.desk_messages} hand-off notices;"
            f" answerCallbackQuery {fake.calls.get('answerCallbackQuery', 0)}"
        )
        differed = sum(
            fake.sent.get(FIRST_CHAT + i, 0) != sum(step.sends for step in steps)
            for i, steps in enumerate(people)
        )
        print(
            f"turns timed out: {results.timeouts};"
            f" people whose answers differed from the in-process run: {differed}"
        )
    print(f"acknowledgement (POST → 200): {summary(results.ack_ms)}")
    # Without think time every person's first message arrives at once: a cold-start burst.
    print(f"acknowledgement, each person's first message: {summary(results.first_ack_ms)}")
    print(f"acknowledgement, all but each person's first message: {summary(results.later_ack_ms)}")
    print(
        f"acknowledgement, the {len(results.opening_ack_ms)} requests that opened their connection"
        f" (TCP connect included): {summary(results.opening_ack_ms)}"
    )
    print(f"acknowledgement on a connection already open: {summary(results.open_ack_ms)}")
    if options.connections:
        print(
            f"waiting at the provider for a free connection (not part of the acknowledgement):"
            f" {summary(results.queued_ms)}"
        )
    if not options.bare:
        print(f"end to end, first sendMessage of the answer: {summary(results.first_ms)}")
        print(f"end to end, last sendMessage of the answer:  {summary(results.last_ms)}")
    print(f"server side, webhook handler (request parsed → response): {summary(server_stats['handler_ms'])}")
    print(f"server event-loop lag (5 ms sleeps waking late): {summary(server_stats['lag_ms'])}")
    print(f"load generator event-loop lag: {summary(client_lag)}")
    print(
        f"server CPU during the load: {server_stats['load_cpu_seconds']:.2f} s"
        f" = {server_stats['load_cpu_seconds'] / requests * 1000:.2f} ms per webhook request;"
        f" load generator and fake Bot API (this process): {client_cpu:.2f} s"
    )
    if processes:
        errors = [
            line
            for log in sorted(logs.glob("worker-*.log"))
            for line in log.read_text(errors="replace").splitlines()
            if line.startswith(("ERROR", "CRITICAL", "Traceback"))
        ]
        print(
            f"CPU seconds (start-up included): server {server_stats['cpu_seconds']:.1f},"
            f" workers {', '.join(f'{s:.1f}' for s in worker_cpu)};"
            f" worker error log lines: {len(errors)} (logs in {logs})"
        )
    turns, seconds = server_stats["turns"], server_stats["turn_seconds"]
    if turns:
        print(
            f"server: {turns:.0f} turns, mean turn time {seconds / turns * 1000:.2f} ms"
            " (triage_turn_seconds: wall clock, waits on the event loop included)"
        )
    ack_p99 = percentile(results.ack_ms, 0.99)
    verdict = "met" if ack_p99 <= 20 and results.timeouts == 0 else "NOT MET"
    mode = f"at most {options.connections} connections" if options.connections else "raw"
    mode += ", opened beforehand" if options.warm else ""
    print(
        f"target ack p99 <= 20 ms with {users} conversations in parallel ({mode}):"
        f" {verdict} ({ack_p99:.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200, help="people in parallel (default 200)")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds between a person's turns (±50%%, random)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the server process")
    parser.add_argument(
        "--store",
        choices=("sqlite", "redis"),
        default="sqlite",
        help="sqlite: one process acknowledges and processes; redis: the server queues, workers process",
    )
    parser.add_argument("--workers", type=int, default=2, help="`triage worker` processes with --store redis")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        metavar="N",
        help="start the workers with `triage worker --nice N` (lower CPU priority than the server)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=0,
        metavar="N",
        help="deliver as Telegram does: at most N webhook requests at once on kept-open connections"
        " (Telegram's max_connections, 1..100, default 40 there); 0 (default): every update at once",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="with --connections N: open the N connections before the load, as for a bot already in"
        " service (Telegram keeps them open; aiohttp closes one after 75 s idle)",
    )
    parser.add_argument(
        "--bare",
        action="store_true",
        help="the floor of this harness: each person's first message only, to a server that answers"
        " 200 {} at once and does nothing else",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/12",
        help="Redis URL with a spare database (--store redis)",
    )
    parser.add_argument(
        "--client",
        choices=("lean", "aiohttp"),
        default="lean",
        help="Telegram's side: lean (default): prepared requests on asyncio streams, little CPU;"
        " aiohttp: aiohttp's client, as the runs before 'The event loop' in docs/benchmarks.md"
        " (about 0.2 ms of CPU a request)",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        metavar="N",
        help="N server processes sharing one port (SO_REUSEPORT), as N `triage serve --reuse-port`"
        " replicas on one host; the kernel spreads the connections (default 1)",
    )
    args = parser.parse_args()
    if not 0 <= args.connections <= 100:
        parser.error("--connections: 0 (unlimited) or 1..100, as Telegram's max_connections")
    if args.servers < 1 or (args.servers > 1 and args.store != "redis" and not args.bare):
        parser.error("--servers N: 1, or more with --store redis or --bare (the processes share the store)")
    if args.warm and not args.connections:
        parser.error("--warm needs --connections N")
    options = Options(
        users=args.users,
        think=args.think,
        profile=args.profile,
        store=args.store,
        workers=args.workers,
        worker_nice=args.worker_nice,
        connections=args.connections,
        warm=args.warm,
        bare=args.bare,
        redis_url=args.redis_url,
        client=args.client,
        servers=args.servers,
    )
    # Telegram's side runs on uvloop whatever EVENT_LOOP says: the cheaper the harness on these
    # CPUs, the more the figures measure the bot (LeanClient).
    run_on_loop(run(options), "uvloop")


if __name__ == "__main__":
    main()
