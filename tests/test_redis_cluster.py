"""The production path on a real Redis Cluster (three primaries, `cluster_url` in conftest.py):
`triage serve` and `triage worker` processes with `STORE_URL=redis+cluster://...`, the queue, the
lock, the hand-off. The store contract runs there too (test_store_contract.py).

A cluster refuses a script or a transaction whose keys are in different hash slots; every one of
these paths sends some, so a key outside its hash tag fails here and nowhere else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import uuid
from pathlib import Path

import aiohttp

from bot.core.conversation import ConversationState
from bot.core.messages import InboundMessage
from bot.queue import RedisQueue
from bot.storage.crypto import FieldCipher
from bot.storage.redis import RedisStore
from tests.test_multiprocess import (
    BOBIGNY_TRIAGE,
    KEY,
    _wait_healthy,
    env_for,
    free_port,
    start,
    stop,
    wait_until,
)

HASH_KEY = b"test-hash-key"  # env_for's STORE_HASH_KEY


def cluster_store(url: str, prefix: str) -> RedisStore:
    return RedisStore.from_url(url, prefix=prefix, cipher=FieldCipher([KEY]), hash_key=HASH_KEY)


async def test_two_servers_complete_a_triage_and_hand_it_off_on_a_cluster(
    cluster_url: str, tmp_path: Path
) -> None:
    prefix = f"test-cluster-{uuid.uuid4().hex[:10]}"
    ports = [free_port() for _ in range(2)]
    servers = [
        start(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env_for(prefix, STORE_URL=cluster_url),
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
                port = ports[turn % 2]  # each message to the other process
                url = f"http://127.0.0.1:{port}/api/chat/cluster-1"
                async with http.post(url, json={"text": text}) as response:
                    assert response.status == 200, (await response.text())[:300]
                    last = await response.json()
    finally:
        for server in servers:
            stop(server)
    final = " ".join(reply["text"] for reply in last["replies"])  # type: ignore[index]
    assert "transmise" in final, final
    store = cluster_store(cluster_url, prefix)
    try:
        cases = await store.cases_for_conversation("web:cluster-1")
        assert len(cases) == 1
        assert (cases[0].slots.prefecture, cases[0].urgency.rule) == ("93", "expired_unprotected")
        assert cases[0].status == "offered", "offered to a volunteer of the demo roster"
    finally:
        await store.close()


async def test_a_worker_process_takes_queued_messages_from_a_cluster(
    cluster_url: str, tmp_path: Path
) -> None:
    prefix = f"test-cluster-{uuid.uuid4().hex[:10]}"
    store = cluster_store(cluster_url, prefix)
    queue = RedisQueue(store.client, prefix=prefix, cipher=store.cipher.bytes_cipher())
    conversation = "sms:+33600000009"
    texts = ["Bonjour, je n'ai pas de rendez-vous", "oui", "je suis à Lyon"]
    accepted = [
        await queue.accept(
            InboundMessage(conversation_id=conversation, channel="sms", text=text, message_id=f"c-{number}")
        )
        for number, text in enumerate(texts)
    ]
    duplicate = InboundMessage(conversation_id=conversation, channel="sms", text="oui", message_id="c-1")
    assert accepted == [True, True, True]
    assert await queue.accept(duplicate) is False, "a duplicate delivery is not queued again"
    worker = start(
        [sys.executable, "-m", "bot.cli", "worker"],
        env_for(prefix, STORE_URL=cluster_url),
        tmp_path / "worker.log",
    )
    try:

        def all_processed() -> bool:
            state = asyncio.run(_load(cluster_url, prefix, conversation))
            return state is not None and len(state.processed_ids) == len(texts)

        await asyncio.to_thread(wait_until, all_processed, 90, "the worker to process the three messages")
    finally:
        stop(worker)
    state = await store.load_conversation(conversation)
    assert state is not None
    assert state.processed_ids == ["c-0", "c-1", "c-2"], "in order, each once"
    assert (state.slots.consent, state.slots.prefecture) == (True, "69")
    assert (await store.client.xpending(queue.stream, "workers"))["pending"] == 0, "all acknowledged"
    await store.close()
    log = (tmp_path / "worker.log").read_text()
    assert "processing" in log and "Traceback" not in log, log[-2000:]


async def _load(url: str, prefix: str, conversation: str) -> object:
    store = cluster_store(url, prefix)
    try:
        return await store.load_conversation(conversation)
    finally:
        await store.close()


async def test_turns_redirected_by_moved_finish_when_every_connection_is_taken(cluster_url: str) -> None:
    """A resharding or a failover moves a slot: Redis answers MOVED, and redis-py resends the
    redirected part of a pipeline while the pipeline still holds its connection slot. With all
    slots taken, a client that made that resend wait for a second slot hung for good."""
    prefix = f"test-cluster-{uuid.uuid4().hex[:10]}"
    store = RedisStore.from_url(cluster_url, prefix=prefix, max_connections=5)
    client = store.client
    await client.initialize()  # type: ignore[attr-defined]
    # Make the client believe the active index's slot is on another node: its next writes there
    # get MOVED from the real server, as after a resharding.
    index = f"{prefix}:idx:active"
    nodes = client.nodes_manager  # type: ignore[attr-defined]
    slot = client.keyslot(index)  # type: ignore[attr-defined]
    right = nodes.slots_cache[slot][0]
    nodes.slots_cache[slot] = [next(node for node in client.get_primaries() if node.name != right.name)]  # type: ignore[attr-defined]
    people = [f"telegram:{800_000 + number}" for number in range(50)]

    async def turn(conversation_id: str) -> None:
        async with store.conversation_lock(conversation_id):
            await store.save_conversation(state_for(conversation_id))

    try:
        await asyncio.wait_for(asyncio.gather(*(turn(person) for person in people)), 30)
        loaded = await asyncio.gather(*(store.load_conversation(person) for person in people))
        assert [found.id if found else None for found in loaded] == people
    finally:
        await store.close()


def state_for(conversation_id: str) -> ConversationState:
    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    return ConversationState(id=conversation_id, channel="telegram", created_at=now, updated_at=now)
