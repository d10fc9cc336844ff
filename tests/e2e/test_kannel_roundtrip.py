"""SMS through a real Kannel: fakesmsc plays the phone, bearerbox and smsbox carry the messages.

phone (fakesmsc) → bearerbox (fake SMSC) → smsbox sms-service → POST /webhooks/kannel → engine →
smsbox sendsms → bearerbox → the phone. Kannel runs with deploy/kannel/kannel.conf rendered on free
loopback ports; its logs are in the test's tmp directory and shown when a test fails.

CI installs Kannel (`apt-get install kannel kannel-extras`); without it these tests fail.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import random
import re
import signal
import socket
import string
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import Brain
from bot.channels.base import ChannelSendError
from bot.channels.kannel import KannelChannel, _with_secret
from bot.channels.sms import measure
from bot.core.clock import FixedClock
from bot.core.messages import Address, Reply
from bot.server import RUNTIME, create_app
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "kannel" / "kannel.conf"
BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")

SHORT_CODE = "12345"
PHONE = "33612345678"
VOLUNTEER = "+33600000005"  # Démo Emma of the demo roster, Bobigny: reachable by SMS only
SECRET = "kannelWebhookSecret42"
USERNAME, PASSWORD = "bot", "botpass-for-tests"
TIMEOUT = 20.0


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range. A port bound to 0 and released
    comes from that range, where any outgoing connection (a Redis client, another test) may take
    it as its source port before Kannel binds it: bearerbox then fails with "Address already in
    use" (seen once in a full run)."""
    low = int(EPHEMERAL_RANGE.read_text().split()[0]) if EPHEMERAL_RANGE.exists() else 0
    for _ in range(100):
        port = random.randint(20000, low - 1) if low > 20001 else 0
        if port in _HANDED_OUT:
            continue  # a gateway's four ports and its webhook's are drawn apart (seen: one drawn twice)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            found: int = probe.getsockname()[1]
            _HANDED_OUT.add(found)
            return found
    raise RuntimeError("no free loopback port below the ephemeral range")


# Ports this test process handed out: never twice, as none is bound until Kannel starts.
_HANDED_OUT: set[int] = set()


async def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{tail(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail(f"{what} does not listen on {port}:\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- the gateway ----------------------------------------------------------------------------------


@dataclass
class KannelGateway:
    """bearerbox + smsbox on free loopback ports, with the project's configuration."""

    workdir: Path
    admin_port: int = field(default_factory=free_port)
    smsbox_port: int = field(default_factory=free_port)
    smsc_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def render(self, webhook_port: int) -> Path:
        values = {
            "KANNEL_ADMIN_PORT": str(self.admin_port),
            "KANNEL_ADMIN_PASSWORD": "admin-for-tests",
            "KANNEL_SMSBOX_PORT": str(self.smsbox_port),
            "KANNEL_FAKESMSC_PORT": str(self.smsc_port),
            "KANNEL_SENDSMS_PORT": str(self.sendsms_port),
            "KANNEL_SENDER": SHORT_CODE,
            "KANNEL_USERNAME": USERNAME,
            "KANNEL_PASSWORD": PASSWORD,
            "KANNEL_WEBHOOK_SECRET": SECRET,
            "BOT_WEBHOOK_HOST": f"127.0.0.1:{webhook_port}",
            "KANNEL_LOG_DIR": str(self.workdir),
        }
        config = self.workdir / "kannel.conf"
        config.write_text(string.Template(TEMPLATE.read_text()).substitute(values))
        return config

    async def start(self, webhook_port: int) -> None:
        config = self.render(webhook_port)
        bearerbox = self._spawn(BEARERBOX, config, "bearerbox")
        await wait_for_port(self.smsbox_port, bearerbox, "bearerbox", self.workdir / "bearerbox.out")
        await wait_for_port(self.admin_port, bearerbox, "bearerbox", self.workdir / "bearerbox.out")
        # smsbox gives up at once if bearerbox is not listening yet: start it only now.
        smsbox = self._spawn(SMSBOX, config, "smsbox")
        await wait_for_port(self.sendsms_port, smsbox, "smsbox", self.workdir / "smsbox.out")
        await self.wait_status(r"smsbox:\S*, IP 127\.0\.0\.1 .*on-line", "smsbox connected to bearerbox")

    def _spawn(self, binary: Path, config: Path, name: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / f"{name}.out").open("wb")
        process = subprocess.Popen(
            [str(binary), "-v", "1", str(config)], cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        self.processes.append(process)
        return process

    async def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password=admin-for-tests"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return await response.text()

    async def wait_status(self, pattern: str, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                text = await self.status()
                if re.search(pattern, text):
                    return
            await asyncio.sleep(0.05)
        pytest.fail(f"Kannel: {what} not seen in status.txt:\n{text}\n{self.logs()}")

    def stop(self) -> None:
        # smsbox first (it holds the HTTP queues), then bearerbox; bearerbox takes ~10 s to stop
        # gracefully, so it gets 2 s and is then killed: the test's run is over anyway.
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{tail(self.workdir / name)}"
            for name in ("bearerbox.log", "smsbox.log", "access.log", "phone.log")
        )


# -- the phone ------------------------------------------------------------------------------------

GOT = re.compile(r"Got message \d+: <(.*)>$")
MT_LINE = re.compile(r"(\S+) (\S+) ((?:text|data|ucs-2|udh) .*)$")


@dataclass
class Sms:
    sender: str
    receiver: str
    text: str
    coding: str  # "text" (7-bit), "ucs-2" or "data"


def _decode_data(raw: bytes) -> tuple[str, str]:
    """The fake SMSC url-encodes UCS-2 and 8-bit data the same way ("+" for a 0x20 byte):
    UTF-16BE text shows as 00/06-led byte pairs (Latin and Arabic letters)."""
    if len(raw) % 2 == 0 and raw and (b"\x00" in raw[0::2] or set(raw[0::2]) <= {0x06}):
        return raw.decode("utf-16-be", errors="replace"), "ucs-2"
    try:
        return raw.decode("utf-8"), "data"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "data"


class Phone:
    """`fakesmsc` in interactive mode: lines written to its stdin are SMS from phones, and what
    the SMSC delivers shows up in its log as "Got message N: <from to type data>"."""

    def __init__(self, gateway: KannelGateway) -> None:
        self.gateway = gateway
        self.received: list[Sms] = []
        self._parts: dict[tuple[str, int], dict[int, bytes]] = {}
        self._log = (gateway.workdir / "phone.log").open("a", encoding="utf-8")
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            str(FAKESMSC),
            "-H",
            "127.0.0.1",
            "-r",
            str(self.gateway.smsc_port),
            "-m",
            "-1",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        await self.gateway.wait_status(r"FAKE\[FAKE\].*\(online", "the fake SMSC client connected")

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            decoded = line.decode("utf-8", errors="replace").rstrip("\n")
            self._log.write(decoded + "\n")
            self._log.flush()
            got = GOT.search(decoded)
            if got is None:
                continue
            line_match = MT_LINE.match(got.group(1))
            if line_match:
                self._take(line_match.group(1), line_match.group(2), line_match.group(3))
            elif self.received and self.received[-1].coding == "text":
                # The fake SMSC writes 7-bit text raw, so a newline in an SMS splits its line in
                # two (a real SMSC carries it): glue the rest back.
                self.received[-1].text += "\n" + got.group(1)
                self._changed.set()

    def _take(self, sender: str, receiver: str, rest: str) -> None:
        kind, _, data = rest.partition(" ")
        if kind == "udh":  # one part of a concatenated SMS: "udh <udh> [data] <data>"
            udh_text, _, payload = data.partition(" ")
            payload = payload.removeprefix("data ")
            udh = unquote_to_bytes(udh_text)
            reference, total, sequence = udh[3], udh[4], udh[5]
            parts = self._parts.setdefault((receiver, reference), {})
            parts[sequence] = unquote_to_bytes(payload.replace("+", " "))
            if len(parts) < total:
                return
            del self._parts[(receiver, reference)]
            text, coding = _decode_data(b"".join(parts[n] for n in sorted(parts)))
        elif kind == "ucs-2":
            text, coding = unquote_to_bytes(data.replace("+", " ")).decode("utf-16-be"), "ucs-2"
        elif kind == "data":
            text, coding = _decode_data(unquote_to_bytes(data.replace("+", " ")))
        else:
            text, coding = data, "text"
        self.received.append(Sms(sender, receiver, text, coding))
        self._changed.set()

    async def send(self, text: str, sender: str = PHONE) -> None:
        """An SMS from `sender`: 7-bit when plain ASCII, else UCS-2 (as a phone would)."""
        assert self.process is not None and self.process.stdin is not None
        if text.isascii():
            line = f"{sender} {SHORT_CODE} text {text}\n"
        else:
            line = f"{sender} {SHORT_CODE} ucs2 {quote(text.encode('utf-16-be'))}\n"
        self.process.stdin.write(line.encode())
        await self.process.stdin.drain()

    def inbox(self, number: str = PHONE) -> list[str]:
        return [sms.text for sms in self.received if sms.receiver == number]

    async def wait_for(self, count: int, number: str = PHONE, settle: float = 0.3) -> list[str]:
        """Wait until `number` has received `count` SMS in all (and nothing more comes quickly)."""
        deadline = time.monotonic() + TIMEOUT
        while len(self.inbox(number)) < count:
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(
                    f"the phone got {self.inbox(number)}, expected {count} SMS\n{self.gateway.logs()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        await asyncio.sleep(settle)
        return self.inbox(number)

    async def wait_for_all(self, count: int) -> None:
        """Wait until the SMSC has delivered `count` SMS in all, whatever the number."""
        deadline = time.monotonic() + TIMEOUT
        while len(self.received) < count:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the phones got {len(self.received)} SMS, expected {count}\n{self.gateway.logs()}"
                )
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)
        self._log.close()


# -- the bot, Kannel and the phone together ---------------------------------------------------------


@dataclass
class Rig:
    gateway: KannelGateway
    phone: Phone
    channel: KannelChannel
    app: web.Application
    server: TestServer
    store: SqliteStore

    async def turn(self, text: str, sender: str = PHONE) -> list[str]:
        """The phone sends `text`; returns the SMS the bot answered with (waits for all of them)."""
        before_phone = len(self.phone.inbox(sender))
        before_all = len(self.phone.received)
        before_bot = self.channel.ledger.messages_total
        await self.phone.send(text, sender)
        deadline = time.monotonic() + TIMEOUT
        while self.channel.ledger.messages_total == before_bot:
            if time.monotonic() > deadline:
                pytest.fail(f"the bot sent nothing for a message\n{self.gateway.logs()}")
            await asyncio.sleep(0.02)
        # A turn may send several SMS: wait until the bot has been quiet for a moment.
        await self.app[RUNTIME].inbox.drain()
        sent = 0
        while sent != self.channel.ledger.messages_total - before_bot:
            sent = self.channel.ledger.messages_total - before_bot
            await asyncio.sleep(0.25)
        # Some may go to a volunteer's phone (an offer by SMS): wait for all, keep this phone's.
        await self.phone.wait_for_all(before_all + sent)
        return self.phone.inbox(sender)[before_phone:]


def require_kannel() -> None:
    missing = [str(path) for path in (BEARERBOX, SMSBOX, FAKESMSC) if not path.exists()]
    if missing:
        pytest.fail(
            "Kannel is not installed (missing " + ", ".join(missing) + "): "
            "apt-get install -y kannel kannel-extras (CI does it in .ci/run)"
        )


@pytest.fixture
async def rig(
    tmp_path: Path, brain: Brain, clock: FixedClock, store: SqliteStore, request: pytest.FixtureRequest
) -> AsyncIterator[Rig]:
    require_kannel()
    reorder = float(getattr(request, "param", 0.0))
    workdir = tmp_path / "kannel"
    workdir.mkdir()
    gateway = KannelGateway(workdir)
    async with aiohttp.ClientSession() as http:
        channel = KannelChannel(
            sendsms_url=gateway.sendsms_url,
            username=USERNAME,
            password=PASSWORD,
            webhook_secret=SECRET,
            http=http,
            records=store,
            clock=clock,
        )
        settings = Settings(store_url="sqlite:///:memory:", reorder_window_seconds=reorder)
        app = create_app(
            settings,
            brain=brain,
            clock=clock,
            store=store,
            http=http,
            channels={"kannel": channel},
            process_inline=reorder == 0,
        )
        server = TestServer(app, host="127.0.0.1", port=free_port())
        await server.start_server()
        phone = Phone(gateway)
        try:
            assert server.port is not None
            await gateway.start(server.port)
            await phone.start()
            yield Rig(gateway, phone, channel, app, server, store)
        finally:
            await phone.stop()
            gateway.stop()
            await server.close()


# -- tests ------------------------------------------------------------------------------------------


async def test_an_sms_from_a_phone_is_answered_on_that_phone(rig: Rig) -> None:
    answers = await rig.turn("Bonjour, je n'ai pas de rendez-vous")
    assert answers[-1].endswith("\n1 Oui\n2 Non"), answers
    assert "SUPPRIMER" in answers[-1]
    assert {sms.coding for sms in rig.phone.received} <= {"text", "data"}  # the GSM-7 SMS variants
    assert all(sms.sender == SHORT_CODE for sms in rig.phone.received)
    state = await rig.store.load_conversation(f"sms:+{PHONE}")
    assert state is not None and state.channel == "sms" and state.asking == "consent"
    assert state.sender == Address(channel="kannel", recipient=PHONE)

    # The numbered menu: "1" is the first option.
    answers = await rig.turn("1")
    assert "habitez" in answers[-1]
    state = await rig.store.load_conversation(f"sms:+{PHONE}")
    assert state is not None and state.slots.consent is True
    # Every SMS sent is recorded, without its text.
    records = await rig.store.list_records("sms_sent")
    assert len(records) == rig.channel.ledger.messages_total
    assert {record["encoding"] for record in records} == {"gsm7"}

    # STOP reaches the engine as typed: it asks before erasing anything.
    answers = await rig.turn("STOP")
    assert "effacer" in answers[-1]
    answers = await rig.turn("1")
    assert await rig.store.load_conversation(f"sms:+{PHONE}") is None, answers


async def whole_french_triage(rig: Rig) -> list[str]:
    """The person answers every question by SMS ("fr-expired-bobigny"); the bot's last answers."""
    conversations = yaml.safe_load((ROOT / "tests" / "eval" / "fr_conversations.yml").read_text())
    spec = next(c for c in conversations["conversations"] if c["id"] == "fr-expired-bobigny")
    conversation_id = f"sms:+{PHONE}"
    answers = await rig.turn(spec["opening"])
    for _ in range(30):
        state = await rig.store.load_conversation(conversation_id)
        assert state is not None
        if state.status != "active" or state.asking is None:
            break
        # When the bot checks an answer, take its first proposal, by number.
        answer = "1" if state.pending is not None else spec["answers"].get(state.asking, "/skip")
        answers = await rig.turn(answer)
    state = await rig.store.load_conversation(conversation_id)
    assert state is not None and state.status == "handed_off", (state, answers)
    return answers


async def test_a_whole_french_triage_over_sms(rig: Rig) -> None:
    conversation_id = f"sms:+{PHONE}"
    await whole_french_triage(rig)
    case = (await rig.store.cases_for_conversation(conversation_id))[-1]
    assert case.slots.prefecture == "93"
    assert case.urgency is not None and case.urgency.level == "P1"
    # The SMS budget of a whole triage (scripts/bench_sms.py measures it over every conversation).
    # The person's SMS only: the offer to an SMS volunteer of the demo roster goes by Kannel too.
    costs = [measure(text) for text in rig.phone.inbox()]
    assert sum(cost.segments for cost in costs) <= 15, [(cost.encoding, cost.segments) for cost in costs]
    assert {cost.encoding for cost in costs} == {"gsm7"}


async def test_arabic_goes_both_ways_as_ucs2(rig: Rig) -> None:
    answers = await rig.turn("السلام عليكم، ليس لدي موعد في المحافظة")
    assert answers
    assert any("\u0600" <= ch <= "\u06ff" for ch in answers[-1]), answers
    assert all(sms.encoding == "ucs2" for sms in rig.channel.last_sent)
    state = await rig.store.load_conversation(f"sms:+{PHONE}")
    assert state is not None and state.slots.language == "ar"


async def test_text_that_is_not_gsm7_arrives_intact(rig: Rig) -> None:
    """With coding=0 Kannel turned ô into "?" (protocols.md §3.7): UCS-2 keeps every letter."""
    text = "Vos symptômes ? Êtes-vous sûr·e ? « oui » ou « non » 😀"
    await rig.channel.send(Address(channel="kannel", recipient=PHONE), [Reply(text=text)])
    [received] = await rig.phone.wait_for(1)
    assert received == text
    assert [sms.encoding for sms in rig.channel.last_sent] == ["ucs2"]

    long_text = "Votre dossier est noté. " * 12  # 288 GSM-7 characters: 2 concatenated parts
    await rig.channel.send(Address(channel="kannel", recipient=PHONE), [Reply(text=long_text)])
    received_all = await rig.phone.wait_for(2)
    assert received_all[-1] == long_text.strip()
    assert [(sms.encoding, sms.segments) for sms in rig.channel.last_sent] == [("gsm7", 2)]


# -- the webhook's guards, with Kannel's own requests imitated -----------------------------------


def kannel_headers(secret: str | None = SECRET, sender: str = PHONE) -> dict[str, str]:
    headers = {
        "Content-Type": 'text/plain; charset="UTF-8"',
        "User-Agent": "Kannel/1.4.5",
        "X-Kannel-From": sender,
        "X-Kannel-To": SHORT_CODE,
        "X-Kannel-SMSC": "FAKE",
        "X-Kannel-Coding": "0",
        "X-Kannel-Service": "default",
    }
    if secret is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"kannel:{secret}".encode()).decode()
    return headers


async def post_like_kannel(
    rig: Rig, text: str, message_id: str, ts: int, secret: str | None = SECRET
) -> aiohttp.ClientResponse:
    url = rig.server.make_url(f"/webhooks/kannel?id={message_id}&ts={ts}")
    async with aiohttp.ClientSession() as session:
        response = await session.post(url, data=text.encode(), headers=kannel_headers(secret))
        await response.read()
        return response


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-secret", 403), ("", 401)])
async def test_requests_without_the_secret_are_refused_and_store_nothing(
    rig: Rig, secret: str | None, status: int
) -> None:
    response = await post_like_kannel(
        rig, "Bonjour", "0f6c2a4e-0000-4000-8000-000000000001", 1795700245, secret
    )
    assert response.status == status
    assert await rig.store.load_conversation(f"sms:+{PHONE}") is None
    await asyncio.sleep(0.3)
    assert rig.phone.received == []


async def test_the_acknowledgement_is_an_empty_text_response(rig: Rig) -> None:
    response = await post_like_kannel(rig, "Bonjour", "0f6c2a4e-0000-4000-8000-000000000002", 1795700245)
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert response.content_length == 0


async def test_an_empty_sms_gets_the_only_text_answer(rig: Rig) -> None:
    response = await post_like_kannel(rig, "", "0f6c2a4e-0000-4000-8000-00000000000e", 1795700245)
    assert response.status == 200
    answers = await rig.phone.wait_for(1)
    assert any("texte" in answer for answer in answers), answers


async def test_kannels_retry_of_one_message_is_processed_once(rig: Rig) -> None:
    message_id = "0f6c2a4e-0000-4000-8000-000000000003"
    first = await post_like_kannel(rig, "Bonjour, je n'ai pas de rendez-vous", message_id, 1795700245)
    answered = await rig.phone.wait_for(1)
    again = await post_like_kannel(rig, "Bonjour, je n'ai pas de rendez-vous", message_id, 1795700245)
    assert (first.status, again.status) == (200, 200)
    await asyncio.sleep(0.5)
    assert rig.phone.inbox() == answered
    state = await rig.store.load_conversation(f"sms:+{PHONE}")
    assert state is not None and state.processed_ids == [message_id]


@pytest.mark.parametrize("rig", [0.3], indirect=True)
async def test_two_sms_arriving_in_reverse_order_are_handled_in_order(rig: Rig) -> None:
    # smsbox calls the webhook concurrently: the later SMS ("1") can arrive first.
    later = await post_like_kannel(rig, "1", "0f6c2a4e-0000-4000-8000-00000000000b", 1795700250)
    earlier = await post_like_kannel(
        rig, "Bonjour, je n'ai pas de rendez-vous", "0f6c2a4e-0000-4000-8000-00000000000a", 1795700245
    )
    assert (later.status, earlier.status) == (200, 200)
    await rig.app[RUNTIME].inbox.drain()
    state = await rig.store.load_conversation(f"sms:+{PHONE}")
    assert state is not None and state.slots.consent is True
    answers = await rig.phone.wait_for(rig.channel.ledger.messages_total)
    assert "habitez" in answers[-1]


async def wait_for_status(rig: Rig, status: str) -> list[dict[str, object]]:
    """The SMS ledger's records once every one of them has `status` (Kannel reports it)."""
    deadline = time.monotonic() + TIMEOUT
    records: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        records = await rig.store.list_records("sms_sent")
        if records and all(record.get("status") == status for record in records):
            return records
        await asyncio.sleep(0.05)
    pytest.fail(f"the SMS records are {records}, expected all {status}\n{rig.gateway.logs()}")


async def test_kannel_reports_that_each_sms_reached_the_phone(rig: Rig) -> None:
    """With KANNEL_DLR_URL, smsbox fetches our dlr-url once the fake SMSC delivered the SMS."""
    assert rig.server.port is not None
    rig.channel.dlr_url = _with_secret(f"http://127.0.0.1:{rig.server.port}/webhooks/kannel", SECRET)
    address = Address(channel="kannel", recipient=PHONE)
    await rig.channel.send(address, [Reply(text="Bonjour")])
    await rig.channel.send(address, [Reply(text="x" * 400)])  # three parts, one report
    await rig.phone.wait_for(2)
    records = await wait_for_status(rig, "delivered")
    assert len(records) == 2 and all("status_at" in record for record in records)
    # Kannel's own logs (deploy/kannel/kannel.conf) keep neither the number nor the text.
    logged = "".join(
        (rig.gateway.workdir / name).read_text(errors="replace") for name in ("bearerbox.log", "smsbox.log")
    )
    assert PHONE not in logged and "Bonjour" not in logged
    async with aiohttp.ClientSession() as session, session.get(rig.server.make_url("/metrics")) as metrics:
        page = await metrics.text()
    assert 'triage_delivery_reports_total{channel="kannel",status="delivered"} 2.0' in page


async def get_like_kannel_dlr(rig: Rig, query: str, secret: str | None = SECRET) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.get(
            rig.server.make_url(f"/webhooks/kannel?{query}"), headers=kannel_headers(secret)
        )
        await response.read()
        return response


async def test_delivery_reports_are_checked_and_change_only_their_own_record(rig: Rig) -> None:
    await rig.channel.send(Address(channel="kannel", recipient=PHONE), [Reply(text="Bonjour")])
    [record] = await rig.store.list_records("sms_sent")
    assert record["status"] == "accepted"  # no KANNEL_DLR_URL: no report asked for
    [sms] = rig.channel.last_sent
    assert sms.reference is not None
    reference = sms.reference
    # Without or with a wrong secret: refused, nothing changes.
    for secret, status in ((None, 401), ("wrong-secret", 403)):
        response = await get_like_kannel_dlr(rig, f"dlr={reference}&status=2", secret)
        assert response.status == status
    assert (await rig.store.get_record("sms_sent", reference) or {})["status"] == "accepted"
    # Unknown references, garbage, unknown kinds: 200 (Kannel must not retry), nothing stored.
    for query in (
        "dlr=20261206T101010-0123456789ab&status=1",
        "dlr=../../x&status=1",
        f"dlr={reference}&status=zz",
    ):
        response = await get_like_kannel_dlr(rig, query)
        assert response.status == 200
    assert len(await rig.store.list_records("sms_sent")) == 1
    assert (await rig.store.get_record("sms_sent", reference) or {})["status"] == "accepted"
    # The phone was off for too long (2): failed, and a later "delivered" does not undo it.
    assert (await get_like_kannel_dlr(rig, f"dlr={reference}&status=2")).status == 200
    assert (await get_like_kannel_dlr(rig, f"dlr={reference}&status=1")).status == 200
    stored = await rig.store.get_record("sms_sent", reference)
    assert stored is not None and stored["status"] == "failed" and stored["detail"] == "dlr 2"
    # A GET without a query is still not a webhook.
    assert (await get_like_kannel_dlr(rig, "")).status == 405


async def test_an_sms_to_the_person_not_delivered_is_told_to_their_volunteer(rig: Rig) -> None:
    """The volunteer accepts by SMS, the person's phone is off for days: Kannel reports the news
    SMS failed, and the volunteer is told by SMS, without the person's number or words."""
    await whole_french_triage(rig)
    (case,) = await rig.store.cases_for_conversation(f"sms:+{PHONE}")
    assert case.status == "offered" and case.offers[-1].volunteer_id == "demo-93-01", case
    await rig.phone.wait_for(1, VOLUNTEER)
    assert case.id in rig.phone.inbox(VOLUNTEER)[-1]
    summary = await rig.turn(f"OUI {case.id}", sender=VOLUNTEER)
    assert any("Bobigny" in text for text in summary), summary  # the full summary, once accepted
    news = rig.phone.inbox()[-1]
    assert "Démo Emma" in news  # the person is told who helps
    about_the_case = [
        sms.reference
        for sms in rig.channel.ledger.sent
        if sms.reference
        and (await rig.store.get_record("sms_sent", sms.reference) or {}).get("case_id") == case.id
    ]
    assert len(about_the_case) == 1  # the news to the person; not the bot's own questions

    before = len(rig.phone.inbox(VOLUNTEER))
    assert (await get_like_kannel_dlr(rig, f"dlr={about_the_case[0]}&status=2")).status == 200
    notice = (await rig.phone.wait_for(before + 1, VOLUNTEER))[-1]
    assert case.id in notice and "pas pu" in notice
    assert PHONE not in notice and "Bobigny" not in notice
    stored = await rig.store.get_case(case.id)
    assert stored is not None and stored.status == "accepted"
    assert [(d["channel"], d["ok"]) for d in stored.deliveries] == [("sms", False)]
    # Kannel repeating its report (or reporting another part) tells nobody again.
    assert (await get_like_kannel_dlr(rig, f"dlr={about_the_case[0]}&status=2")).status == 200
    await asyncio.sleep(0.5)
    assert len(rig.phone.inbox(VOLUNTEER)) == before + 1


def test_the_template_renders_every_placeholder(tmp_path: Path) -> None:
    rendered = KannelGateway(tmp_path).render(webhook_port=8080).read_text()
    assert "${" not in rendered
    assert 'post-url = "http://kannel:' + SECRET + "@127.0.0.1:8080/webhooks/kannel?id=%I&ts=%T" in rendered
    # Kannel groups end at the first blank line: every group's keys must follow it directly.
    groups = [block for block in rendered.split("\n\n") if "group = " in block]
    assert [re.search(r"^group = (\S+)", g, re.MULTILINE).group(1) for g in groups] == [  # type: ignore[union-attr]
        "core",
        "smsc",
        "smsbox",
        "sendsms-user",
        "sms-service",
    ]


async def test_sendsms_refusals_are_final_and_an_unreachable_kannel_is_retryable(rig: Rig) -> None:
    async with aiohttp.ClientSession() as http:
        wrong = KannelChannel(
            sendsms_url=rig.gateway.sendsms_url,
            username=USERNAME,
            password="not-the-password",
            webhook_secret=SECRET,
            http=http,
        )
        with pytest.raises(ChannelSendError) as refused:
            await wrong.send(Address(channel="kannel", recipient=PHONE), [Reply(text="Bonjour")])
        assert refused.value.retryable is False
        assert "403" in str(refused.value)
        down = KannelChannel(
            sendsms_url=f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms",
            username=USERNAME,
            password=PASSWORD,
            webhook_secret=SECRET,
            http=http,
        )
        with pytest.raises(ChannelSendError) as unreachable:
            await down.send(Address(channel="kannel", recipient=PHONE), [Reply(text="Bonjour")])
        assert unreachable.value.retryable is True
    assert wrong.ledger.messages_total == 0 and down.ledger.messages_total == 0


async def test_kannel_is_enabled_only_with_all_its_settings() -> None:
    async with aiohttp.ClientSession() as http:
        assert KannelChannel.from_settings(Settings(), http) is None
        partial = Settings(kannel_sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms")
        assert KannelChannel.from_settings(partial, http) is None
        complete = Settings(
            kannel_sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
            kannel_username=USERNAME,
            kannel_password=PASSWORD,
            kannel_webhook_secret=SECRET,
        )
        channel = KannelChannel.from_settings(complete, http)
        assert channel is not None and channel.name == "kannel"
