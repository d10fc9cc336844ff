"""The HTTP service over real HTTP: health, metrics, the web chat API, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from actions.desk import create_invitation
from bot.app import Brain
from bot.core.clock import FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import Address, InboundMessage
from bot.server import RUNTIME, create_app
from bot.service import assemble
from bot.settings import Settings
from bot.storage import Retention
from bot.storage.sqlite import SqliteStore

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, brain: Brain, store: SqliteStore, clock: FixedClock
) -> TestClient[web.Request, web.Application]:
    settings = Settings(store_url="sqlite:///:memory:", reorder_window_seconds=0)
    app = create_app(settings, brain=brain, clock=clock, store=store, channels={}, process_inline=True)
    return await aiohttp_client(app)


async def test_healthz_and_metrics(client: TestClient[web.Request, web.Application]) -> None:
    health = await client.get("/healthz")
    assert health.status == 200
    assert (await health.json())["status"] == "ok"
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    assert "triage_messages_received" in await metrics.text()


async def test_web_chat_runs_a_conversation(
    client: TestClient[web.Request, web.Application], store: SqliteStore
) -> None:
    first = await client.post(
        "/api/chat/abcd-1234-efgh", json={"text": "Bonjour, je n'ai pas de rendez-vous"}
    )
    assert first.status == 200
    body = await first.json()
    assert body["replies"][-1]["options"][0] == {"id": "yes", "label": "Oui, d'accord"}
    chosen = await client.post("/api/chat/abcd-1234-efgh", json={"option": "yes"})
    replies = (await chosen.json())["replies"]
    assert "habitez" in replies[-1]["text"]
    state = await store.load_conversation("web:abcd-1234-efgh")
    assert state is not None and state.slots.consent is True


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/chat/short", {"text": "x"}),
        ("/api/chat/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9", {"text": "x"}),  # éééééééé
        ("/api/chat/%C2%B2%C2%B2%C2%B2%C2%B2%C2%B2%C2%B2%C2%B2%C2%B2", {"text": "x"}),  # ²²²²²²²²
        ("/api/chat/abcd-1234-efgh", ["not", "an", "object"]),
        ("/api/chat/abcd-1234-efgh", {"text": "a", "option": "b"}),
        ("/api/chat/abcd-1234-efgh", {"text": 42}),
        ("/api/chat/abcd-1234-efgh", {}),
    ],
)
async def test_bad_web_chat_requests_get_400_and_store_nothing(
    client: TestClient[web.Request, web.Application], store: SqliteStore, path: str, payload: object
) -> None:
    response = await client.post(path, json=payload)
    assert response.status == 400
    assert "error" in await response.json()
    assert await store.load_conversation("web:abcd-1234-efgh") is None


async def test_malformed_json_gets_400(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post(
        "/api/chat/abcd-1234-efgh", data=b"\xff\x00{", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_unknown_channel_webhook_is_404(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post("/webhooks/carrier-pigeon", data=b"{}")
    assert response.status == 404


def test_serve_says_when_its_port_is_taken(tmp_path: Path) -> None:
    """A demo left running holds the port: `triage serve` says so instead of a traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "STORE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"[" * 2000 + b"]" * 2000, {"Content-Type": "application/json"}),  # RecursionError
        (b'{"text": "x"}', {"Content-Type": "application/json; charset=x-bogus"}),  # LookupError
        (b"not gzip at all", {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
    ],
)
async def test_bodies_that_cannot_be_read_get_400_not_500(
    client: TestClient[web.Request, web.Application], store: SqliteStore, body: bytes, headers: dict[str, str]
) -> None:
    response = await client.post("/api/chat/abcd-1234-efgh", data=body, headers=headers)
    assert response.status == 400
    assert await store.load_conversation("web:abcd-1234-efgh") is None


async def test_serve_applies_the_retention_rules_by_itself(tmp_path: Path) -> None:
    """Nobody has to remember a cron job: `triage serve` on the embedded store (the workers on
    Redis) applies the retention rules when it starts, then once a day."""
    db = tmp_path / "store.db"
    store = SqliteStore(db, retention=Retention())
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    abandoned = ConversationState(
        id="sms:+33612345678", channel="sms", created_at=long_ago, updated_at=long_ago
    )
    abandoned.slots.consent = True
    await store.save_conversation(abandoned)
    await store.put_record("sms_sent", "20261101T100000-0123456789ab", {"sent_at": long_ago.isoformat()})
    await store.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "STORE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "INFO",
    }
    said = ""
    with subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env=env, stderr=subprocess.PIPE, text=True,
    ) as server:  # fmt: skip
        assert server.stderr is not None
        watchdog = threading.Timer(60, server.kill)  # a server that never says it fails, not hangs
        watchdog.start()
        try:
            said = next((line for line in server.stderr if "retention applied" in line), "")
        finally:
            watchdog.cancel()
            server.terminate()
            server.communicate(timeout=30)
    assert "1 abandoned conversation(s) erased" in said, said
    assert "1 delivery record(s) deleted" in said
    store = SqliteStore(db, retention=Retention())
    assert await store.load_conversation("sms:+33612345678") is None
    assert await store.record_items("sms_sent") == []
    await store.close()


async def test_the_retention_job_can_be_switched_off(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """RETENTION_EVERY_HOURS=0: for those who run `triage store purge` from cron."""
    off = await assemble(Settings(retention_every_hours=0), brain, store, clock, {})
    assert off.retention is None
    daily = await assemble(Settings(), brain, store, clock, {})
    assert daily.retention is not None and daily.retention.every == dt.timedelta(hours=24)


def _demo_phone(volunteer_id: str) -> str:
    with (Path(__file__).resolve().parents[1] / "data" / "demo" / "volunteers.csv").open() as roster:
        return next(row["phone"] for row in csv.DictReader(roster) if row["id"] == volunteer_id)


async def test_a_web_chat_person_reads_what_the_volunteer_writes(
    aiohttp_client: ClientFactory, brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """The web chat has no provider to push through: the volunteer's acceptance and messages wait
    until the page asks (GET), given again until it says it showed them. Before, they were dropped
    ("no enabled channel web to send to") and a web-chat person never learnt who would help."""
    settings = Settings(store_url="sqlite:///:memory:", reorder_window_seconds=0)
    app = create_app(settings, brain=brain, clock=clock, store=store, channels={}, process_inline=True)
    client = await aiohttp_client(app)
    chat = "/api/chat/abcd-1234-efgh"
    for text in ("Bonjour, je suis au CRA de Vincennes depuis hier", "oui"):
        assert (await client.post(chat, json={"text": text})).status == 200
    assert (await client.post(chat, json={"text": "Paris"})).status == 200
    assert (await (await client.get(chat)).json()) == {"replies": []}
    case = (await store.cases_for_conversation("web:abcd-1234-efgh"))[-1]
    phone = _demo_phone(case.offers[-1].volunteer_id)
    volunteer = Address(channel="sms", recipient=phone)
    handler = app[RUNTIME].handler

    async def volunteer_says(text: str) -> None:
        await handler(
            InboundMessage(conversation_id=f"sms:{phone}", channel="sms", text=text, sender=volunteer)
        )

    await volunteer_says(f"OUI {case.id}")
    waiting = (await (await client.get(chat)).json())["replies"]
    assert len(waiting) == 1 and "Démo" in waiting[0]["text"]
    assert (await (await client.get(chat)).json())["replies"] == waiting  # not shown yet: again
    await volunteer_says(f"MSG {case.id} Je vous appelle à 14h")
    after = (await (await client.get(f"{chat}?seen={waiting[0]['id']}")).json())["replies"]
    assert [reply["text"] for reply in after] == ["Démo Bilal (bénévole) : Je vous appelle à 14h"]
    assert (await client.get(f"{chat}?seen=not-an-id")).status == 400
    assert (await client.get(f"{chat}?seen={waiting[0]['id']},x")).status == 400
    assert (await client.get("/api/chat/short")).status == 400
    # Erased with the rest.
    await volunteer_says(f"MSG {case.id} Rappel")
    await client.post(chat, json={"text": "SUPPRIMER"})
    await client.post(chat, json={"text": "oui"})
    assert (await (await client.get(chat)).json()) == {"replies": []}


async def test_the_web_chat_cannot_register_a_volunteer(
    client: TestClient[web.Request, web.Application], store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a code review: "/start CODE" typed in the web chat made the page a volunteer's
    address, where offers and summaries would have gone."""
    invitation = await create_invitation(store, "demo-paris-01", clock.now())
    response = await client.post("/api/chat/abcd-1234-efgh", json={"text": f"/start {invitation.code}"})
    assert response.status == 200
    said = " ".join(reply["text"] for reply in (await response.json())["replies"])
    assert "bénévole inscrit" not in said and "Code inconnu" not in said
    assert await store.list_records("volunteer_contact") == []
