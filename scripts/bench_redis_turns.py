"""Benchmark: whole-turn throughput through HTTP on Redis, against a bare Redis handler (issue 6).

Two servers in one child process on loopback, loaded one after the other by the same generator
(this process) with the same concurrency, the same URLs and the same request bodies:

(a) bare: an aiohttp handler that reads the JSON body, does one Redis GET and one SET (a
    1,500-byte value, the size of an encrypted conversation state) and answers a small JSON;
(b) the app: `bot.server.create_app` with the real brain and `RedisStore` (encrypted, its own key
    prefix), serving the web chat API `POST /api/chat/{id}`, which processes the message inline.

A "turn" in (b) is everything between the request and the response of `POST /api/chat/{id}`:
parse and validate the request; take the conversation's Redis lock (SET NX PX); load and decrypt
the state (GET); understand the text (NLU); advance the flow, run the urgency rules and, on the
last turn, the hand-off (the case is saved, offered to volunteers and its timers set in Redis);
encrypt and save the state (SET + ZADD in one pipeline); release the lock (a Lua script); serialise
the replies. Each client replays whole French triages of `tests/eval/fr_conversations.yml` (the
answers found beforehand by running the service in-process), one conversation after another.

Prints requests/s, p50/p99 latency for each, and the ratio (b)/(a); target ratio >= 0.5. Uses
`redis://127.0.0.1:6379/12` by default and deletes exactly its own keys at the end (SCAN + DEL of
its unique prefix; never FLUSHDB).

`--app-processes N` serves (b) from N processes on one port (SO_REUSEPORT; the kernel spreads the
connections), all on the same Redis prefix and keys, as N `triage serve` replicas would: how the
service grows by adding processes. (a) stays one process. CPU is then summed over all of them.

Event loops: (a) and (b) run on the loop `triage serve` runs on (EVENT_LOOP, uvloop by default;
`EVENT_LOOP=asyncio` for Python's own), the same for both so that the ratio compares the work and
not the loops; the load generator (this process) always runs on uvloop.

Run: `.venv/bin/python scripts/bench_redis_turns.py [--requests 5000] [--concurrency 50] [--rounds 2]
[--app-processes 1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import itertools
import logging
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from redis.asyncio import BlockingConnectionPool, Redis

from bot.storage.crypto import FieldCipher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_webhooks import Step, load_scripts, loop_lag, print_profile, transcripts
from benchlib import delete_prefix, machine, percentile, run_on_loop

POOL_SIZE = 50  # the store's default `max_connections`; the bare handler gets the same pool
BARE_VALUE = b"x" * 1500
TTL_MS = 90 * 24 * 3600 * 1000
TARGET_RATIO = 0.5


# -- the servers (child process) --------------------------------------------------------------------


@dataclass(frozen=True)
class ServerOptions:
    """What a server process needs: the store's keys, and which servers it runs where."""

    encryption: str
    hashing: str
    app_port: int = 0  # 0: choose one; else join the port of the first app process (SO_REUSEPORT)
    with_bare: bool = True

    def replica(self, app_port: int) -> ServerOptions:
        """Another app process on the same port, same keys, without the bare server."""
        return dataclasses.replace(self, app_port=app_port, with_bare=False)


def serve(conn: Connection, url: str, prefix: str, profile: bool, options: ServerOptions) -> None:
    logging.basicConfig(level=logging.ERROR, format="server %(levelname)s %(name)s: %(message)s")
    run_on_loop(_serve(conn, url, prefix, profile, options))  # (a) and (b) on the same loop


def bare_app(redis: Redis, prefix: str) -> web.Application:
    async def chat(request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        payload = await request.json()
        if not isinstance(payload, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        key = f"{prefix}:bare:{conversation_id}"
        stored = await redis.get(key)
        await redis.set(key, BARE_VALUE, px=TTL_MS)
        return web.json_response(
            {"replies": [{"text": "ok", "options": []}], "had_state": stored is not None}
        )

    app = web.Application()
    app.router.add_post("/api/chat/{conversation_id}", chat)
    return app


async def _serve(conn: Connection, url: str, prefix: str, profile: bool, options: ServerOptions) -> None:
    from bot.app import load_brain
    from bot.core.clock import FixedClock
    from bot.server import create_app
    from bot.settings import Settings
    from bot.storage.crypto import FieldCipher
    from bot.storage.redis import RedisStore

    today, _ = load_scripts()
    key, hash_key = options.encryption, options.hashing
    settings = Settings(
        store_url=url,
        store_key_prefix=prefix,
        store_encryption_keys=SecretStr(key),
        store_hash_key=SecretStr(hash_key),
        web_chat=True,
    )
    brain = load_brain(Settings())
    store = RedisStore.from_url(
        url,
        max_connections=POOL_SIZE,
        prefix=prefix,
        cipher=FieldCipher([key]),
        hash_key=hash_key.encode(),
    )
    app = create_app(settings, brain=brain, clock=FixedClock.parse(today), store=store, channels={})
    bare_redis = Redis.from_pool(BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=10))
    runners = [web.AppRunner(app, access_log=None)]
    if options.with_bare:
        runners.append(web.AppRunner(bare_app(bare_redis, prefix), access_log=None))
    ports = []
    for runner, port in zip(runners, [options.app_port, 0], strict=False):
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
        ports.append(runner.addresses[0][1])
    gc.collect()
    gc.freeze()  # as `triage serve` does after loading
    conn.send({"app": ports[0], "bare": ports[-1]})
    loop = asyncio.get_running_loop()
    profiler: Any = None
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "profile" and profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        elif command == "unprofile" and profiler is not None:
            profiler.disable()
            print_profile(profiler, "app server")
            profiler = None
        elif command == "stop":
            break
        conn.send("ok")
    for runner in reversed(runners):
        await runner.cleanup()
    await store.close()
    await bare_redis.aclose()
    conn.send("stopped")


# -- the load generator (this process) --------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latency_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    redis_cpu: float = 0.0
    client_lag_ms: list[float] = field(default_factory=list)
    last_step_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latency_ms) / self.elapsed if self.elapsed else 0.0

    def lines(self) -> list[str]:
        n = len(self.latency_ms)
        latency = self.latency_ms
        last = self.last_step_ms
        return [
            f"{self.name}: {n} requests in {self.elapsed:.2f} s = {self.rate:,.0f} requests/s",
            f"  latency p50 {percentile(latency, 0.5):.2f} ms, p99 {percentile(latency, 0.99):.2f} ms,"
            f" max {max(latency, default=float('nan')):.2f} ms;"
            f" statuses {dict(sorted(self.statuses.items()))}",
            f"  last message of a triage (the hand-off in (b)): {len(last)} requests,"
            f" p50 {percentile(last, 0.5):.2f} ms, p99 {percentile(last, 0.99):.2f} ms",
            f"  CPU per request: server {self.server_cpu / n * 1000:.2f} ms,"
            f" Redis {self.redis_cpu / n * 1000:.3f} ms;"
            f" generator event-loop lag p99 {percentile(self.client_lag_ms, 0.99):.1f} ms",
        ]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def redis_cpu(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def conversations(people: list[list[Step]], tag: str) -> Iterator[tuple[str, list[Step]]]:
    """Endless fresh conversations: a new id (web chat ids: 8 to 64 letters, digits, dashes) each."""
    for number in itertools.count():
        yield f"{tag}-{number:07d}", people[number % len(people)]


async def load(
    name: str,
    base: str,
    people: list[list[Step]],
    tag: str,
    requests: int,
    concurrency: int,
    server_pids: list[int],
    redis: Redis,
) -> Phase:
    phase = Phase(name)
    source = conversations(people, tag)
    budget = [requests]
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def client(session: aiohttp.ClientSession) -> None:
        while budget[0] > 0:
            conversation_id, steps = next(source)
            for number, step in enumerate(steps, start=1):
                if budget[0] <= 0:
                    return
                budget[0] -= 1
                body = {"text": step.text} if step.option is None else {"option": step.option}
                started = time.perf_counter()
                async with session.post(f"{base}/api/chat/{conversation_id}", json=body) as response:
                    await response.read()
                phase.latency_ms.append((time.perf_counter() - started) * 1000)
                if number == len(steps):
                    phase.last_step_ms.append(phase.latency_ms[-1])
                phase.statuses[response.status] = phase.statuses.get(response.status, 0) + 1

    stop = asyncio.Event()
    lag = asyncio.create_task(loop_lag(phase.client_lag_ms, stop))
    cpu_before, redis_before = sum(map(process_cpu, server_pids)), await redis_cpu(redis)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        phase.elapsed = time.perf_counter() - started
    phase.server_cpu = sum(map(process_cpu, server_pids)) - cpu_before
    phase.redis_cpu = await redis_cpu(redis) - redis_before
    stop.set()
    await lag
    return phase


async def command(conn: Connection, message: str) -> Any:
    conn.send(message)
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def run(url: str, requests: int, concurrency: int, rounds: int, profile: bool, processes: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {machine()}")
    redis = Redis.from_url(url)
    info = await redis.info("server")
    print(f"Redis {info['redis_version']} at {url} (same machine)")
    print(
        f"load: {concurrency} clients in parallel, {requests} requests per server and round, {rounds} rounds;"
        f" (b) served by {processes} process(es), (a) by one"
    )
    prefix = f"bench-turns-{uuid.uuid4().hex[:8]}"
    people = (await transcripts(50, channel="web")).people
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    options = ServerOptions(FieldCipher.generate_key(), uuid.uuid4().hex)
    server = context.Process(target=serve, args=(child, url, prefix, profile, options), daemon=True)
    server.start()
    replicas: list[tuple[Any, Connection]] = []
    results: list[tuple[Phase, Phase]] = []
    try:
        ports = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, parent.recv), 120)
        assert server.pid is not None
        # More app processes on the same port, started after the first has loaded the demo roster.
        for _ in range(processes - 1):
            mine, theirs = context.Pipe()
            arguments = (theirs, url, prefix, False, options.replica(ports["app"]))
            replica = context.Process(target=serve, args=arguments, daemon=True)
            replica.start()
            await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, mine.recv), 120)
            replicas.append((replica, mine))
        app_pids = [server.pid, *(replica.pid for replica, _ in replicas if replica.pid is not None)]
        bare = f"http://127.0.0.1:{ports['bare']}"
        app = f"http://127.0.0.1:{ports['app']}"
        # Warm-up: connections, lazily built models, the first hand-offs.
        await load("warm-up bare", bare, people, "warm-a", 300, concurrency, [server.pid], redis)
        await load("warm-up app", app, people, "warm-b", 300 * processes, concurrency, app_pids, redis)
        for number in range(1, rounds + 1):
            a = await load(
                "(a) bare GET+SET", bare, people, f"r{number}-a", requests, concurrency, [server.pid], redis
            )
            if profile and number == rounds:
                await command(parent, "profile")
            b = await load(
                "(b) app whole turn", app, people, f"r{number}-b", requests, concurrency, app_pids, redis
            )
            if profile and number == rounds:
                await command(parent, "unprofile")
            print(f"round {number}:")
            for text in (*a.lines(), *b.lines()):
                print(f"  {text}")
            print(f"  ratio (b)/(a) = {b.rate / a.rate:.3f}")
            results.append((a, b))
        for _, pipe in replicas:
            await command(pipe, "stop")
        await command(parent, "stop")
    finally:
        for process in [server, *(replica for replica, _ in replicas)]:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 60)
            if process.is_alive():
                process.terminate()
        deleted = await delete_prefix(url, prefix)
        print(f"cleaned up {deleted:,} keys with prefix {prefix}")
        await redis.aclose()
    a_rate = sum(a.rate for a, _ in results) / len(results)
    b_rate = sum(b.rate for _, b in results) / len(results)
    ratio = b_rate / a_rate
    verdict = "met" if ratio >= TARGET_RATIO else "NOT MET"
    print(
        f"mean of {len(results)} rounds: (a) {a_rate:,.0f} requests/s, (b) {b_rate:,.0f} turns/s,"
        f" ratio {ratio:.3f}; target ratio >= {TARGET_RATIO}: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="redis://127.0.0.1:6379/12", help="Redis URL with a spare database")
    parser.add_argument("--requests", type=int, default=5000, help="requests per server and round")
    parser.add_argument("--concurrency", type=int, default=50, help="clients in parallel")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile the app during the last round")
    parser.add_argument("--app-processes", type=int, default=1, help="processes serving (b) on one port")
    args = parser.parse_args()
    run_on_loop(  # the load generator on uvloop whatever EVENT_LOOP says: a cheaper harness
        run(args.url, args.requests, args.concurrency, args.rounds, args.profile, max(1, args.app_processes)),
        "uvloop",
    )


if __name__ == "__main__":
    main()
