"""Several processes on one Redis (issue 6): the queue, a killed worker, three servers, a Redis crash.

These tests start real processes (`triage serve`, `triage worker`, `redis-server`) and talk to them
over loopback. They use Redis database 13 with a key prefix of their own, and delete only their keys.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.app import Brain
from bot.core.clock import FixedClock
from bot.core.messages import InboundMessage, Reply
from bot.inbox import ChannelOutbox
from bot.queue import MAX_DELIVERIES, RedisQueue, Worker
from bot.storage.crypto import FieldCipher
from bot.storage.redis import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parent.parent
KEY = FieldCipher.generate_key()


# One whole French triage through the web chat: an expired card in Bobigny (93), P1, handed off.
BOBIGNY_TRIAGE = [
    "Bonjour, je n'ai pas de rendez-vous",
    "oui",
    "j'habite à Bobigny",
    "carte vie privée et familiale",
    "elle a expiré le 3 mars",
    "non, impossible d'avoir un rendez-vous",
    "non",
    "depuis septembre",
    "oui",
    "j'ai deux enfants",
    "non merci",
    "oui",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"test-mp-{uuid.uuid4().hex[:10]}"
    yield name

    async def cleanup() -> None:
        client = Redis.from_url(REDIS_URL)
        async for key in client.scan_iter(match=f"*{name}*"):
            await client.delete(key)
        await client.aclose()

    asyncio.run(cleanup())


@pytest.fixture
async def redis_store(prefix: str) -> AsyncIterator[RedisStore]:
    try:
        store = RedisStore.from_url(REDIS_URL, prefix=prefix, cipher=FieldCipher([KEY]))
        await store.client.ping()
    except Exception as exc:  # CI starts a Redis server: its absence is a failure, not a skip
        pytest.fail(f"no Redis answers at {REDIS_URL}: {exc}")
    yield store
    await store.close()


def env_for(prefix: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        STORE_URL=REDIS_URL,
        STORE_KEY_PREFIX=prefix,
        STORE_ENCRYPTION_KEYS=KEY,
        STORE_HASH_KEY="test-hash-key",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class RecordingOutbox(ChannelOutbox):
    def __init__(self) -> None:
        super().__init__({})
        self.sent: list[str] = []

    async def send(self, address: object, replies: object) -> None:  # type: ignore[override]
        self.sent.append(str(address))


async def test_queue_takes_a_delivery_once_and_a_worker_processes_it(
    brain: Brain, redis_store: RedisStore, prefix: str
) -> None:
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    message = InboundMessage(
        conversation_id="sms:+33600000001", channel="sms", text="Bonjour, je suis à Lyon", message_id="k-1"
    )
    assert await queue.accept(message) is True
    assert await queue.accept(message) is False, "a duplicate delivery is not queued again"
    raw = await redis_store.client.xrange(queue.stream)
    assert len(raw) == 1
    assert b"Lyon" not in raw[0][1][b"message"], "queued messages are encrypted"
    engine = brain.engine(redis_store, FixedClock.parse("2026-11-26"))
    worker = Worker(queue, handler=engine.handle, outbox=RecordingOutbox(), locks=redis_store, name="w1")
    assert await worker.run_once() == 1
    state = await redis_store.load_conversation("sms:+33600000001")
    assert state is not None and state.slots.prefecture == "69"
    # Processed, the message leaves Redis: "erase my data" would not find it in the stream.
    assert await redis_store.client.xlen(queue.stream) == 0
    assert await worker.run_once() == 0


async def test_a_message_that_keeps_failing_goes_to_the_dead_letters_which_erasure_and_retention_reach(
    redis_store: RedisStore, prefix: str
) -> None:
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    client = redis_store.client
    for number, conversation in enumerate(["sms:+33600000011", "sms:+33600000012"]):
        message = InboundMessage(
            conversation_id=conversation, channel="sms", text="Bonjour", message_id=f"d-{number}"
        )
        await queue.accept(message)

    async def a_bug_in_processing(message: InboundMessage) -> list[Reply]:
        raise RuntimeError("processing failed")

    worker = Worker(
        queue, handler=a_bug_in_processing, outbox=RecordingOutbox(), locks=redis_store, reclaim_idle_ms=0
    )
    for _ in range(MAX_DELIVERIES):
        await worker.run_once()
    assert await client.xlen(queue.stream) == 0, "not retried for ever"
    dead = await client.xrange(queue.dead_letters)
    assert sorted(queue.decode(fields).conversation_id for _, fields in dead) == [
        "sms:+33600000011",
        "sms:+33600000012",
    ]
    assert all(b"Bonjour" not in fields[b"message"] for _, fields in dead), "still encrypted"

    # "Erase my data" reaches the dead letters too; the other person's stay, for a week.
    await redis_store.erase_conversation("sms:+33600000011")
    left = [queue.decode(fields).conversation_id for _, fields in await client.xrange(queue.dead_letters)]
    assert left == ["sms:+33600000012"]
    now = dt.datetime.now(dt.UTC)
    assert (await redis_store.purge(now)).dead_letters_deleted == 0
    assert (await redis_store.purge(now + dt.timedelta(days=7, minutes=1))).dead_letters_deleted == 1
    assert await client.xlen(queue.dead_letters) == 0


async def test_erasure_finds_the_persons_dead_letters_among_thousands(
    redis_store: RedisStore, prefix: str
) -> None:
    """Read by pages of 500: the person's letters on either side of a page's edge go too."""
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    cipher = redis_store.cipher.bytes_cipher()
    assert cipher is not None
    theirs = {0, 499, 500, 501, 999, 1000, 1202}
    async with redis_store.client.pipeline(transaction=False) as pipe:
        for number in range(1203):
            conversation = "sms:+33600000021" if number in theirs else f"sms:+3360100{number:04d}"
            message = InboundMessage(
                conversation_id=conversation, channel="sms", text="x", message_id=str(number)
            )
            pipe.xadd(queue.dead_letters, {"message": cipher.encrypt(message.model_dump_json().encode())})
        await pipe.execute()

    await redis_store.erase_conversation("sms:+33600000021")

    left = [
        queue.decode(fields).conversation_id
        for _, fields in await redis_store.client.xrange(queue.dead_letters)
    ]
    assert len(left) == 1203 - len(theirs)
    assert "sms:+33600000021" not in left


async def test_erasure_takes_the_persons_messages_still_in_the_queue(
    redis_store: RedisStore, prefix: str
) -> None:
    """Sent before "erase my data" and not yet processed, or failing and waiting for a retry: they
    go with the rest; another person's message stays and is processed."""
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    client = redis_store.client
    failures = 0

    async def fails_once(message: InboundMessage) -> list[Reply]:
        nonlocal failures
        failures += 1
        raise RuntimeError("processing failed")

    failing = Worker(queue, handler=fails_once, outbox=RecordingOutbox(), locks=redis_store, name="w1")
    await queue.accept(
        InboundMessage(
            conversation_id="sms:+33600000031", channel="sms", text="j'habite à Lyon", message_id="q-1"
        )
    )
    await failing.run_once()
    assert failures == 1 and (await client.xpending(queue.stream, "workers"))["pending"] == 1
    for number, conversation in enumerate(["sms:+33600000031", "sms:+33600000032"], start=2):
        await queue.accept(
            InboundMessage(
                conversation_id=conversation, channel="sms", text="Bonjour", message_id=f"q-{number}"
            )
        )
    assert await client.xlen(queue.stream) == 3

    await redis_store.erase_conversation("sms:+33600000031")

    left = [queue.decode(fields).conversation_id for _, fields in await client.xrange(queue.stream)]
    assert left == ["sms:+33600000032"]
    handled: list[str] = []

    async def records(message: InboundMessage) -> list[Reply]:
        handled.append(message.conversation_id)
        return []

    worker = Worker(queue, handler=records, outbox=RecordingOutbox(), locks=redis_store, reclaim_idle_ms=0)
    assert await worker.run_once() == 1
    assert handled == ["sms:+33600000032"]
    # The erased entry still pending for w1 is acknowledged when reclaimed, not processed.
    assert (await client.xpending(queue.stream, "workers"))["pending"] == 0
    assert await client.xlen(queue.stream) == 0 and await client.xlen(queue.dead_letters) == 0


async def test_a_failing_message_erased_before_its_last_retry_is_not_kept_in_the_dead_letters(
    redis_store: RedisStore, prefix: str
) -> None:
    """The person erased their data while their message was failing: the move to the dead letters,
    which would have come after the erasure had looked there, finds it gone and keeps nothing."""
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    client = redis_store.client
    await queue.accept(
        InboundMessage(conversation_id="sms:+33600000041", channel="sms", text="Bonjour", message_id="e-1")
    )
    attempts = 0

    async def erased_during_the_last_attempt(message: InboundMessage) -> list[Reply]:
        nonlocal attempts
        attempts += 1
        if attempts == MAX_DELIVERIES:  # as another worker erasing it meanwhile
            await redis_store.erase_conversation(message.conversation_id)
        raise RuntimeError("processing failed")

    worker = Worker(
        queue,
        handler=erased_during_the_last_attempt,
        outbox=RecordingOutbox(),
        locks=redis_store,
        reclaim_idle_ms=0,
    )
    for _ in range(MAX_DELIVERIES):
        await worker.run_once()
    assert attempts == MAX_DELIVERIES
    assert await client.xlen(queue.dead_letters) == 0
    assert await client.xlen(queue.stream) == 0
    assert (await client.xpending(queue.stream, "workers"))["pending"] == 0


async def test_a_message_read_before_an_erasure_and_waiting_for_the_lock_is_not_processed(
    brain: Brain, redis_store: RedisStore, prefix: str
) -> None:
    """A worker has read the person's message and waits for the conversation's lock, which another
    worker holds while it erases the conversation: once it has the lock, the message, erased, is
    acknowledged and not processed (it would have opened a new conversation with it)."""
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    client = redis_store.client
    conversation = "sms:+33600000051"
    await queue.accept(
        InboundMessage(conversation_id=conversation, channel="sms", text="j'habite à Lyon", message_id="r-1")
    )
    outbox = RecordingOutbox()
    engine = brain.engine(redis_store, FixedClock.parse("2026-11-26"))
    worker = Worker(queue, handler=engine.handle, outbox=outbox, locks=redis_store, name="w1")
    await queue.ensure_group()
    async with redis_store.conversation_lock(conversation):  # the erasing worker's turn
        reading = asyncio.create_task(worker.run_once())
        for _ in range(200):
            if (await client.xpending(queue.stream, "workers"))["pending"] == 1:
                break
            await asyncio.sleep(0.01)
        assert (await client.xpending(queue.stream, "workers"))["pending"] == 1, "w1 has read it"
        await redis_store.erase_conversation(conversation)
    assert await reading == 1
    assert await redis_store.load_conversation(conversation) is None, "no new conversation"
    assert outbox.sent == []
    assert (await client.xpending(queue.stream, "workers"))["pending"] == 0
    assert await client.xlen(queue.stream) == 0 and await client.xlen(queue.dead_letters) == 0


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_a_worker_killed_before_acknowledging_is_taken_over_and_the_message_counts_once(
    brain: Brain, redis_store: RedisStore, prefix: str, tmp_path: Path
) -> None:
    queue = RedisQueue(redis_store.client, prefix=prefix, cipher=redis_store.cipher.bytes_cipher())
    conversation = "sms:+33600000002"
    for number, text in enumerate(["Bonjour, je n'ai pas de rendez-vous", "oui", "blablabla"]):
        await queue.accept(
            InboundMessage(conversation_id=conversation, channel="sms", text=text, message_id=f"s-{number}")
        )

    first = start(
        [sys.executable, "-m", "bot.cli", "worker"],
        env_for(prefix, TRIAGE_FAULT_PAUSE_BEFORE_ACK="30"),
        tmp_path / "worker-a.log",
    )
    try:

        def first_processed() -> bool:
            state = asyncio.run(_load(prefix, conversation))
            return state is not None and "s-0" in state.processed_ids

        await asyncio.to_thread(wait_until, first_processed, 60, "worker A to process the first message")
        first.send_signal(signal.SIGKILL)  # processed and saved, never acknowledged
        first.wait()
    finally:
        stop(first)
    pending = await redis_store.client.xpending(queue.stream, "workers")
    assert pending["pending"] >= 1

    second = Worker(
        queue,
        handler=brain.engine(redis_store, FixedClock.parse("2026-11-26")).handle,
        outbox=RecordingOutbox(),
        locks=redis_store,
        name="worker-b",
        reclaim_idle_ms=200,
    )
    await asyncio.sleep(0.3)
    await second.run_once()
    state = await redis_store.load_conversation(conversation)
    assert state is not None
    assert state.processed_ids == ["s-0", "s-1", "s-2"], "each message processed exactly once"
    assert state.slots.consent is True
    assert state.misses == 1, "the nonsense answer was counted once, not twice"
    assert (await redis_store.client.xpending(queue.stream, "workers"))["pending"] == 0


async def _load(prefix: str, conversation: str) -> object:
    store = RedisStore.from_url(
        REDIS_URL, prefix=prefix, cipher=FieldCipher([KEY]), hash_key=b"test-hash-key"
    )
    try:
        return await store.load_conversation(conversation)
    finally:
        await store.close()


async def test_three_servers_share_one_conversation(prefix: str, tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    servers = [
        start(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env_for(prefix),
            tmp_path / f"serve-{port}.log",
        )
        for port in ports
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await _wait_healthy(http, port)
            last: dict[str, object] = {}
            for turn, text in enumerate(BOBIGNY_TRIAGE):
                port = ports[turn % 3]  # each message to the next process
                async with http.post(
                    f"http://127.0.0.1:{port}/api/chat/three-proc-1", json={"text": text}
                ) as response:
                    assert response.status == 200
                    last = await response.json()
        final = " ".join(reply["text"] for reply in last["replies"])  # type: ignore[index]
        assert "transmise" in final
    finally:
        for server in servers:
            stop(server)
    store = RedisStore.from_url(
        REDIS_URL, prefix=prefix, cipher=FieldCipher([KEY]), hash_key=b"test-hash-key"
    )
    cases = await store.cases_for_conversation("web:three-proc-1")
    await store.close()
    assert len(cases) == 1
    assert (cases[0].slots.prefecture, cases[0].urgency.rule) == ("93", "expired_unprotected")


async def _wait_healthy(http: aiohttp.ClientSession, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"server on port {port} never became healthy")


async def test_redis_crash_and_restart_with_aof_loses_nothing(brain: Brain, tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    command = [
        "redis-server",
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
    ]  # fmt: skip
    redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    clock = FixedClock.parse("2026-11-26")
    try:
        store = await _connect(url)
        engine = brain.engine(store, clock)
        for text in [
            "Bonjour, je n'ai pas de rendez-vous",
            "oui",
            "j'habite à Bobigny",
            "carte vie privée et familiale",
        ]:
            await engine.handle(InboundMessage(conversation_id="web:aof-1", channel="web", text=text))
        # With `appendfsync everysec` Redis may hold acknowledged writes in its AOF buffer for up
        # to 2 s while a slow fsync runs (a loaded disk): those a crash loses, as the README says
        # (a red run on a loaded machine found it). Tested: nothing Redis has written is lost.
        await _until_aof_written(store)
        await store.close()
        redis.send_signal(signal.SIGKILL)  # a crash, not a clean shutdown
        redis.wait()
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        store = await _connect(url)
        state = await store.load_conversation("web:aof-1")
        assert state is not None
        assert (state.slots.prefecture, state.slots.document) == ("93", "CST_VPF")
        engine = brain.engine(store, clock)
        for text in ["elle a expiré le 3 mars", "non", "non", "depuis septembre", "oui", "non", "non", "oui"]:
            await engine.handle(InboundMessage(conversation_id="web:aof-1", channel="web", text=text))
        cases = await store.cases_for_conversation("web:aof-1")
        await store.close()
        assert len(cases) == 1 and cases[0].urgency.rule == "expired_unprotected"
    finally:
        redis.kill()
        redis.wait()


async def _until_aof_written(store: RedisStore) -> None:
    deadline = time.monotonic() + 10
    while (await store.client.info("persistence")).get("aof_buffer_length", 0) != 0:
        assert time.monotonic() < deadline, "Redis never wrote its AOF buffer"
        await asyncio.sleep(0.05)


async def _connect(url: str) -> RedisStore:
    deadline = time.monotonic() + 10
    while True:
        store = RedisStore.from_url(url, prefix="aof-test", cipher=FieldCipher([KEY]))
        try:
            await store.client.ping()
            return store
        except Exception:
            await store.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_a_worker_started_with_nice_runs_at_a_lower_priority(prefix: str, tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--nice", "7"],
        env=env_for(prefix),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        assert b": processing (nice " in line, line
        assert b"uvloop loop)" in line, "the worker runs on uvloop by default (bot.eventloop)"
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    finally:
        stop(worker)
        if worker.stdout is not None:
            worker.stdout.close()


def test_worker_niceness_is_checked() -> None:
    for wrong in ("-1", "20", "x"):
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "worker", "--nice", wrong], cwd=ROOT, capture_output=True
        )
        assert result.returncode == 2 and b"--nice" in result.stderr


async def test_the_access_log_is_off_unless_asked_for(prefix: str, tmp_path: Path) -> None:
    """A line per request would cost part of each acknowledgement and keep web chat users' IPs."""
    ports = {"off": free_port(), "on": free_port()}
    servers = {
        name: start(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env_for(prefix, LOG_LEVEL="INFO", **({"ACCESS_LOG": "true"} if name == "on" else {})),
            tmp_path / f"serve-{name}.log",
        )
        for name, port in ports.items()
    }
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports.values():
                await _wait_healthy(http, port)
    finally:
        for server in servers.values():
            stop(server)
    logs = {name: (tmp_path / f"serve-{name}.log").read_text() for name in ports}
    assert "GET /healthz" in logs["on"]
    assert "GET /healthz" not in logs["off"] and "aiohttp.access" not in logs["off"]


async def test_serve_and_worker_run_on_the_event_loop_the_settings_name(prefix: str, tmp_path: Path) -> None:
    """uvloop by default (less CPU per acknowledgement: docs/benchmarks.md); EVENT_LOOP=asyncio
    goes back to Python's own loop. /metrics and the worker's first line say which one runs."""
    ports = {"uvloop": free_port(), "asyncio": free_port()}
    servers = {
        name: start(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env_for(prefix, **({"EVENT_LOOP": "asyncio"} if name == "asyncio" else {})),
            tmp_path / f"serve-{name}.log",
        )
        for name, port in ports.items()
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=env_for(prefix, EVENT_LOOP="asyncio"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for name, port in ports.items():
                await _wait_healthy(http, port)
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    metrics = await response.text()
                assert f'triage_event_loop_info{{loop="{name}"}} 1.0' in metrics, name
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        assert b"(nice 0, asyncio loop)" in line, line
    finally:
        for server in servers.values():
            stop(server)
        stop(worker)
        if worker.stdout is not None:
            worker.stdout.close()


def test_an_unknown_event_loop_setting_is_refused_before_anything_starts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "worker"],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "EVENT_LOOP": "trio", "STORE_URL": REDIS_URL},
        timeout=60,
    )
    assert result.returncode != 0
    assert b"EVENT_LOOP" in result.stderr or b"event_loop" in result.stderr
    assert b"processing" not in result.stdout
