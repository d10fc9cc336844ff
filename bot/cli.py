"""The `triage` command: chat in the terminal, evaluate, check the rules."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import logsafe
from bot.settings import Settings

if TYPE_CHECKING:
    from actions.desk import HandoffDesk, Invitation
    from actions.volunteers import Volunteer
    from bot.app import Brain
    from bot.core.clock import Clock
    from bot.core.messages import Address, Reply
    from bot.core.ports import ConversationStore, RecordStore

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logsafe.configure(settings.log_level)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        code: int = args.run(args, settings)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triage", description="Triage bot for people without a prefecture appointment."
    )
    commands = parser.add_subparsers(title="commands")

    chat = commands.add_parser("chat", help="talk with the bot in this terminal")
    chat.add_argument("--lang", help="start in this language (fr, en, ar, es) instead of detecting it")
    chat.add_argument(
        "--channel",
        default="test",
        choices=["test", "sms", "telegram", "whatsapp", "web"],
        help="render replies as this channel would (sms: numbered menus and short texts)",
    )
    chat.add_argument("--today", help="fix the clock: 2026-11-26 or an ISO timestamp")
    chat.add_argument("--store", help="STORE_URL for this chat (default: the STORE_URL setting)")
    chat.add_argument("--conversation", help="resume this conversation id (default: a new one)")
    chat.set_defaults(run=_chat)

    evaluate = commands.add_parser("eval", help="run conversation and understanding files (spec §5)")
    evaluate.add_argument("files", nargs="+", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(run=_eval)

    serve = commands.add_parser(
        "serve", help="run the HTTP service: channel webhooks, web chat, /healthz, /metrics"
    )
    serve.add_argument("--host", help="address to listen on (default: the HOST setting, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: the PORT setting, 8080)")
    serve.set_defaults(run=_serve)

    store = commands.add_parser("store", help="maintenance of the store (STORE_URL)")
    store_commands = store.add_subparsers(title="store commands")
    rotate = store_commands.add_parser(
        "rotate-keys", help="re-encrypt everything with the first of STORE_ENCRYPTION_KEYS"
    )
    rotate.set_defaults(run=_store_rotate_keys)
    rehash = store_commands.add_parser(
        "rehash",
        help="move what was filed under STORE_PREVIOUS_HASH_KEY to STORE_HASH_KEY (with the service stopped)",
    )
    rehash.set_defaults(run=_store_rehash)
    purge = store_commands.add_parser("purge", help="apply the retention periods now (run it daily)")
    purge.set_defaults(run=_store_purge)

    _add_volunteer_commands(commands)

    telegram = commands.add_parser("telegram", help="set-up with Telegram (TELEGRAM_BOT_TOKEN)")
    telegram_commands = telegram.add_subparsers(title="telegram commands")
    webhook = telegram_commands.add_parser(
        "set-webhook",
        help="tell Telegram to post updates to <PUBLIC_URL>/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET",
    )
    webhook.add_argument("--url", help="the public https base URL (default: the PUBLIC_URL setting)")
    webhook.set_defaults(run=_telegram_set_webhook)

    worker = commands.add_parser("worker", help="process queued messages and timers (STORE_URL=redis://...)")
    worker.add_argument(
        "--reclaim-idle-ms", type=int, default=30_000, help="take over entries idle this long"
    )
    worker.add_argument(
        "--nice",
        type=_niceness,
        default=0,
        metavar="N",
        help="lower this worker's CPU priority as `nice -n N` does (0..19), below `triage serve`'s:"
        " acknowledging webhooks comes first, processing may lag (see README)",
    )
    worker.set_defaults(run=_worker)

    rules = commands.add_parser("rules", help="the urgency rules jurists edit")
    rules_commands = rules.add_subparsers(title="rules commands")
    check = rules_commands.add_parser("check", help="validate a rule file and say what is wrong")
    check.add_argument("file", nargs="?", type=Path, help="default: the rule file in use")
    check.set_defaults(run=_rules_check)
    return parser


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import load_brain
    from bot.channels.render import render_plain
    from bot.core.clock import FixedClock, SystemClock
    from bot.core.messages import Address, InboundMessage
    from bot.storage import open_store

    brain = load_brain(settings)
    store = open_store(args.store or settings.store_url, settings)
    clock: Clock = FixedClock.parse(args.today) if args.today else SystemClock()
    conversation_id = args.conversation or f"cli:{uuid.uuid4().hex[:12]}"
    print(f"(conversation {conversation_id}; Ctrl-D to quit; resume with --conversation {conversation_id})")
    print("(answer as a volunteer of the demo roster with: /as VOLUNTEER_ID OUI CASEID)")
    person = Address(channel=args.channel, recipient="terminal")

    async def talk() -> None:
        desk = await _demo_desk(brain, store, clock, settings)
        engine = brain.engine(store, clock, desk)
        if args.lang:
            state = await store.load_conversation(conversation_id)
            if state is None:
                first = InboundMessage(
                    conversation_id=conversation_id, channel=args.channel, text=args.lang, sender=person
                )
                await _print_replies(await engine.handle(first))
        elif args.conversation is None:
            start = InboundMessage(
                conversation_id=conversation_id, channel=args.channel, text="/start", sender=person
            )
            await _print_replies(await engine.handle(start))
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
            await desk.tick()
            if line.startswith("/as "):
                await _print_replies(await _as_volunteer(desk, line))
                continue
            message = InboundMessage(
                conversation_id=conversation_id, channel=args.channel, text=line, sender=person
            )
            await _print_replies(await engine.handle(message))
        await store.close()

    async def _print_replies(replies: Sequence[object]) -> None:
        from bot.core.messages import Reply

        for reply in replies:
            assert isinstance(reply, Reply)
            print(render_plain(reply, args.channel))
            print()

    asyncio.run(talk())
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import load_brain
    from bot.evaluation import EvalFileError, evaluate_files, report_json

    brain = load_brain(settings)
    try:
        report = asyncio.run(evaluate_files(args.files, brain))
    except EvalFileError as exc:
        print(f"triage eval: {exc}", file=sys.stderr)
        return 2
    print(report_json(report) if args.json else report.as_text())
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import gc

    from aiohttp import web

    from bot.app import load_brain
    from bot.core.clock import SystemClock
    from bot.eventloop import loop_factory
    from bot.server import create_app

    brain = load_brain(settings)
    # The gazetteer and models live as long as the process: keep the collector off them.
    gc.collect()
    gc.freeze()
    app = create_app(settings, brain=brain, clock=SystemClock())
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"triage serve: http://{host}:{port}/ (web chat), /healthz, /metrics")
    access_log = logging.getLogger("aiohttp.access") if settings.access_log else None
    try:
        web.run_app(
            app,
            host=host,
            port=port,
            print=None,
            access_log=access_log,
            loop=loop_factory(settings.event_loop)(),
        )
    except OSError as problem:
        if problem.errno != errno.EADDRINUSE:
            raise
        print(
            f"triage serve: {host}:{port} is already in use (another `triage serve` or `make demo` "
            "still running?). Stop it, or choose another port with --port or PORT.",
            file=sys.stderr,
        )
        return 1
    return 0


def _store_rotate_keys(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import open_store

    async def run() -> int:
        store = open_store(settings.store_url, settings)
        try:
            return await store.rotate_keys()
        finally:
            await store.close()

    print(f"triage store rotate-keys: {asyncio.run(run())} value(s) re-encrypted with the current key.")
    return 0


def _store_rehash(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import open_store

    previous = settings.store_previous_hash_key.get_secret_value() if settings.store_previous_hash_key else ""
    current = settings.store_hash_key.get_secret_value() if settings.store_hash_key else ""
    if not previous or not current or previous == current:
        print(
            "triage store rehash: set STORE_PREVIOUS_HASH_KEY to the old key and STORE_HASH_KEY to the new"
            " one (two different secrets)",
            file=sys.stderr,
        )
        return 2

    async def run() -> tuple[int, int]:
        from actions.desk import rebind_addresses
        from bot.app import desk_address_key

        store = open_store(settings.store_url, settings)
        try:
            moved = await store.rehash(previous.encode("utf-8"))
            # The desk's hashes of volunteer addresses derive from the hash key too.
            address_key = desk_address_key(settings)
            assert address_key is not None  # STORE_HASH_KEY is set (checked above)
            return moved, await rebind_addresses(store, address_key)
        finally:
            await store.close()

    moved, bound = asyncio.run(run())
    print(
        f"triage store rehash: {moved} entries moved to the current STORE_HASH_KEY;"
        f" {bound} volunteer addresses bound again."
    )
    return 0


def _telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    import aiohttp

    from bot.channels.telegram import register_webhook

    if args.url:
        settings = settings.model_copy(update={"public_url": args.url})

    async def run() -> str:
        async with aiohttp.ClientSession() as http:
            return await register_webhook(settings, http)

    try:
        url = asyncio.run(run())
    except ValueError as problem:  # a setting is missing: say which
        print(f"triage telegram set-webhook: {problem}", file=sys.stderr)
        return 2
    except Exception as problem:  # Telegram refused (bad token, not https...): its own words
        print(f"triage telegram set-webhook: Telegram refused: {problem}", file=sys.stderr)
        return 1
    print(f"triage telegram set-webhook: Telegram now posts updates to {url}")
    return 0


def _store_purge(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from bot.core.clock import SystemClock
    from bot.retention import RetentionReport, apply_retention
    from bot.storage import open_store

    async def run() -> RetentionReport:
        store = open_store(settings.store_url, settings)
        try:
            keep = dt.timedelta(days=settings.retention_delivery_days)
            return await apply_retention(store, SystemClock().now(), keep)
        finally:
            await store.close()

    report = asyncio.run(run())
    print(f"triage store purge: {report.summary()}.")
    return 0 if report.complete else 1


def _niceness(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 19:
        raise argparse.ArgumentTypeError("a niceness from 0 (normal) to 19 (lowest priority)")
    return value


def lower_priority(increment: int) -> int:
    """Make this process nicer by `increment` (only ever lower: no privilege needed); the new niceness.

    Providers wait for our webhook acknowledgement (Telegram retries, Meta wants a fast 200) but not
    for processing: on shared cores the scheduler should give `triage serve` the CPU first. Only
    processes of one scheduling group compete by niceness (one session's autogroup, one cgroup):
    containers and systemd units need CPU weights instead (docker-compose.yml, README)."""
    import os

    return os.nice(increment)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    import aiohttp

    from bot.app import load_brain
    from bot.core.clock import SystemClock
    from bot.eventloop import loop_factory, running_loop_name
    from bot.queue import RedisQueue, Worker
    from bot.service import assemble, build_channels
    from bot.storage import open_store
    from bot.storage.redis import RedisStore

    store = open_store(settings.store_url, settings)
    if not isinstance(store, RedisStore):
        print("triage worker: needs STORE_URL=redis://... (with SQLite, `triage serve` processes itself)")
        return 2
    niceness = lower_priority(args.nice)
    brain = load_brain(settings)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with aiohttp.ClientSession() as http:
            clock = SystemClock()
            service = await assemble(settings, brain, store, clock, build_channels(settings, http, store))
            queue = RedisQueue(
                store.client, prefix=settings.store_key_prefix, cipher=store.cipher.bytes_cipher()
            )
            worker = Worker(
                queue,
                handler=service.handle,
                outbox=service.outbox,
                locks=store,
                reclaim_idle_ms=args.reclaim_idle_ms,
            )
            print(
                f"triage worker {worker.name}: processing (nice {niceness}, {running_loop_name()} loop)",
                flush=True,
            )
            # Every worker runs the hand-off timers too: each expiry is claimed by one of them.
            ticker = asyncio.create_task(service.tick_forever(stop))
            await worker.run(stop)
            await ticker
        await store.close()

    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(work())
    return 0


def _rules_check(args: argparse.Namespace, settings: Settings) -> int:
    from actions.urgency import DEFAULT_RULES_PATH, check_rules

    path = args.file or settings.rules_file or DEFAULT_RULES_PATH
    problems = check_rules(path)
    if problems:
        print(f"{path}: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"{path}: the rules are valid.")
    return 0


# -- volunteers and routing (issue #4) ------------------------------------------------------------


def _add_volunteer_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    volunteers = commands.add_parser("volunteers", help="the volunteer roster kept in the store (STORE_URL)")
    sub = volunteers.add_subparsers(title="volunteers commands")
    load = sub.add_parser("import", help="check a CSV or YAML roster and make it the roster (all or nothing)")
    load.add_argument("file", type=Path)
    load.set_defaults(run=_volunteers_import)
    dump = sub.add_parser("export", help="write the roster to a .csv, .yml or .yaml file")
    dump.add_argument("file", type=Path)
    dump.set_defaults(run=_volunteers_export)
    listing = sub.add_parser("list", help="the roster, with live open cases and registered channels")
    listing.set_defaults(run=_volunteers_list)
    invite = sub.add_parser("invite", help="a one-time code (valid 7 days) a volunteer sends to register")
    invite.add_argument("--volunteer", required=True, metavar="ID", help="the volunteer's id in the roster")
    invite.set_defaults(run=_volunteers_invite)

    route = commands.add_parser("route", help="whom a case would be offered to (spec §4), from files")
    route.add_argument("--volunteers", required=True, type=Path, help="a roster file (.csv, .yml, .yaml)")
    route.add_argument("--case", required=True, type=Path, help="a case file (YAML or JSON): slots, urgency")
    route.add_argument("--today", help="the clock for the urgency: 2026-11-26 or an ISO timestamp")
    route.add_argument("--json", action="store_true", help="print the decision as one JSON object")
    route.set_defaults(run=_route)


async def _roster_key(store: RecordStore, settings: Settings) -> bytes:
    from actions.desk import stored_address_key
    from bot.app import desk_address_key

    return desk_address_key(settings) or await stored_address_key(store)


def _volunteers_import(args: argparse.Namespace, settings: Settings) -> int:
    from actions.desk import replace_roster
    from actions.volunteers import VolunteerFileError, load_volunteers
    from bot.storage import open_store
    from bot.understanding.places import default_gazetteer

    try:
        volunteers = load_volunteers(args.file, locator=default_gazetteer())
    except VolunteerFileError as exc:
        print(f"triage volunteers import: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"triage volunteers import: {exc}", file=sys.stderr)
        return 2

    async def run() -> tuple[int, int, int]:
        store = open_store(settings.store_url, settings)
        try:
            change = await replace_roster(store, volunteers, await _roster_key(store, settings))
        finally:
            await store.close()
        return len(change.added), len(change.updated), len(change.removed)

    added, updated, removed = asyncio.run(run())
    print(
        f"triage volunteers import: {len(volunteers)} volunteer(s) in the roster "
        f"({added} new, {updated} changed, {removed} removed)."
    )
    return 0


def _volunteers_export(args: argparse.Namespace, settings: Settings) -> int:
    from actions.desk import load_roster
    from actions.volunteers import dump_volunteers
    from bot.storage import open_store

    async def run() -> list[Volunteer]:
        store = open_store(settings.store_url, settings)
        try:
            return await load_roster(store)
        finally:
            await store.close()

    volunteers = asyncio.run(run())
    try:
        dump_volunteers(volunteers, args.file)
    except (ValueError, OSError) as exc:
        print(f"triage volunteers export: {exc}", file=sys.stderr)
        return 2
    print(f"triage volunteers export: {len(volunteers)} volunteer(s) written to {args.file}.")
    return 0


def _volunteers_list(args: argparse.Namespace, settings: Settings) -> int:
    from actions.desk import RECORD_CONTACT, live_loads, load_roster
    from bot.storage import open_store

    async def run() -> tuple[list[Volunteer], dict[str, int], dict[str, list[str]]]:
        store = open_store(settings.store_url, settings)
        try:
            roster = await load_roster(store)
            loads = await live_loads(store, roster)
            contacts = {
                str(c["volunteer_id"]): sorted({str(a["channel"]) for a in c["addresses"]})
                for c in await store.list_records(RECORD_CONTACT)
            }
        finally:
            await store.close()
        return roster, loads, contacts

    roster, loads, contacts = asyncio.run(run())
    if not roster:
        print("No volunteer in the store: import a roster with `triage volunteers import FILE`.")
        return 0
    # Contact details are not printed: only which channels a volunteer can be reached on.
    header = (
        "id",
        "name",
        "association",
        "departments",
        "languages",
        "skills",
        "load",
        "active",
        "reached on",
    )
    rows = [header]
    for v in roster:
        reached = contacts.get(v.id) or [
            name for name, value in (("telegram", v.telegram_chat_id), ("sms", v.phone)) if value
        ]
        rows.append(
            (
                v.id,
                v.name,
                v.association,
                " ".join(v.departments) or "(national)",
                " ".join(v.languages),
                " ".join(v.skills) + (" lawyer" if v.lawyer else ""),
                f"{loads.get(v.id, 0)}/{v.capacity}",
                "yes" if v.active else "no",
                ("registered: " if v.id in contacts else "") + (" ".join(reached) or "unreachable"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _volunteers_invite(args: argparse.Namespace, settings: Settings) -> int:
    from actions.desk import create_invitation
    from bot.core.clock import PARIS, SystemClock
    from bot.storage import open_store

    async def run() -> Invitation:
        store = open_store(settings.store_url, settings)
        try:
            return await create_invitation(store, args.volunteer, SystemClock().now())
        finally:
            await store.close()

    try:
        invitation = asyncio.run(run())
    except KeyError:
        print(f"triage volunteers invite: no volunteer {args.volunteer!r} in the roster", file=sys.stderr)
        return 1
    until = invitation.expires_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    print(f"Invitation code for {args.volunteer}: {invitation.code} (single use, valid until {until})")
    print("The volunteer sends it to the bot from the phone or chat to link:")
    print(f"  Telegram: /start {invitation.code.replace('-', '')}")
    print(f"  SMS or WhatsApp: INSCRIPTION {invitation.code}")
    return 0


_CASE_FILE_IGNORED = frozenset({"rule", "handed_off", "id"})


def _read_case_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """The slots and the optional urgency level of a case file (spec §5.1 `expect` keys + commune)."""
    import yaml

    from bot.core.case import Slots

    data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML reads JSON too
    if not isinstance(data, dict):
        raise ValueError("expected keys and values (language, prefecture, document, ...)")
    unknown = sorted(set(data) - set(Slots.model_fields) - _CASE_FILE_IGNORED - {"urgency"})
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)}")
    slots: dict[str, Any] = {}
    for name, value in data.items():
        if name in Slots.model_fields:
            # A date with a tolerance, as in evaluation files: {date: "2026-12-31", tolerance_days: 3}.
            slots[name] = value["date"] if isinstance(value, dict) and "date" in value else value
    for code in ("prefecture", "commune"):
        if isinstance(slots.get(code), int):
            slots[code] = f"{slots[code]:02d}" if code == "prefecture" else f"{slots[code]:05d}"
    urgency = data.get("urgency")
    return slots, None if urgency is None else str(urgency)


def _route(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from pydantic import ValidationError

    from actions.routing import RoutingCase, load_handoff_rules, route_case
    from actions.urgency import load_rules
    from actions.volunteers import VolunteerFileError, load_volunteers
    from bot.core.case import URGENCY_LEVELS, Slots
    from bot.core.clock import FixedClock, SystemClock
    from bot.understanding.places import default_gazetteer

    gazetteer = default_gazetteer()
    try:
        volunteers = load_volunteers(args.volunteers, locator=gazetteer)
        values, level = _read_case_file(args.case)
        slots = Slots.model_validate(values)
    except VolunteerFileError as exc:
        print(f"triage route: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, ValidationError) as exc:
        print(f"triage route: {args.case}: {exc}", file=sys.stderr)
        return 2
    if slots.prefecture is None and slots.commune is not None:
        commune = gazetteer.commune(slots.commune)
        slots = slots.model_copy(update={"prefecture": commune.department if commune else None})
    now = (FixedClock.parse(args.today) if args.today else SystemClock()).now()
    rule = None
    if level is None:
        decision = load_rules(settings.rules_file).evaluate(slots, now, slots.language or "fr")
        level, rule = decision.level, decision.rule
    elif level not in URGENCY_LEVELS:
        print(
            f"triage route: {args.case}: urgency must be one of {', '.join(URGENCY_LEVELS)}", file=sys.stderr
        )
        return 2
    case = RoutingCase.model_validate(
        {
            "language": slots.language or "fr",
            "prefecture": slots.prefecture,
            "commune": slots.commune,
            "urgency": level,
            "removal_order": slots.removal_order,
        }
    )
    routing = route_case(case, volunteers, gazetteer, rules=load_handoff_rules())
    if args.json:
        print(json.dumps(routing.to_json_dict(), ensure_ascii=False))
        return 0
    print(
        f"Case: {level}{f' ({rule})' if rule else ''}, language {case.language}, "
        f"département {case.prefecture or 'unknown'}"
    )
    if routing.choice is None:
        print("Offer to: nobody -> escalate to the coordinators")
    for position, ranked in enumerate(routing.ranking[:10]):
        km = "? km" if ranked.km is None else f"{ranked.km:.1f} km"
        covers = "covers" if ranked.covers else "does not cover"
        label = "Offer to" if position == 0 and routing.choice else "    then"
        print(f"{label}: {ranked.id} ({covers} {case.prefecture}, {km}, {ranked.open_cases} open)")
    if len(routing.ranking) > 10:
        print(f"    ... and {len(routing.ranking) - 10} more")
    if routing.interpreter_needed:
        print("Interpreter needed: nobody eligible speaks the language")
    print(f"Excluded: {len(routing.excluded)}")
    for exclusion in routing.excluded:
        print(f"  {exclusion.id}: {exclusion.reason}")
    return 0


class _TerminalOutbox:
    """`triage chat`: what the bot sends out of turn (to volunteers, to you) is printed."""

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        who = "you" if address.recipient == "terminal" else f"{address.channel} {address.recipient}"
        for reply in replies:
            buttons = "".join(f" [{option.label}: {option.id}]" for option in reply.options)
            print(f"\n--- to {who} ---\n{reply.text}{buttons}\n")


async def _demo_desk(brain: Brain, store: ConversationStore, clock: Clock, settings: Settings) -> HandoffDesk:
    from bot.app import build_desk, desk_address_key

    return await build_desk(brain, store, _TerminalOutbox(), clock, address_key=desk_address_key(settings))


async def _as_volunteer(desk: HandoffDesk, line: str) -> list[Reply]:
    """`/as VOLUNTEER_ID text`: write to the bot as that volunteer of the roster."""
    from bot.core.messages import Reply

    parts = line.split(maxsplit=2)
    volunteer = await desk.volunteer(parts[1]) if len(parts) >= 2 else None
    addresses = await desk.addresses(volunteer) if volunteer else []
    if not addresses:
        return [Reply(text="(usage: /as VOLUNTEER_ID text, for a volunteer of the roster with a contact)")]
    text = parts[2] if len(parts) == 3 else ""
    option = text if ":" in text and " " not in text else None
    return await desk.volunteer_message(addresses[0], None if option else text, option)


if __name__ == "__main__":
    raise SystemExit(main())
