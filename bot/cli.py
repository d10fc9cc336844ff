"""The `triage` command: chat in the terminal, evaluate, check the rules."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
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

    rules = commands.add_parser("rules", help="the urgency rules jurists edit")
    rules_commands = rules.add_subparsers(title="rules commands")
    check = rules_commands.add_parser("check", help="validate a rule file and say what is wrong")
    check.add_argument("file", nargs="?", type=Path, help="default: the rule file in use")
    check.set_defaults(run=_rules_check)
    return parser


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import load_brain
    from bot.channels.render import render_plain
    from bot.core.clock import Clock, FixedClock, SystemClock
    from bot.core.messages import InboundMessage
    from bot.storage import open_store

    brain = load_brain(settings)
    store = open_store(args.store or settings.store_url)
    clock: Clock = FixedClock.parse(args.today) if args.today else SystemClock()
    engine = brain.engine(store, clock)
    conversation_id = args.conversation or f"cli:{uuid.uuid4().hex[:12]}"
    print(f"(conversation {conversation_id}; Ctrl-D to quit; resume with --conversation {conversation_id})")

    async def talk() -> None:
        if args.lang:
            state = await store.load_conversation(conversation_id)
            if state is None:
                first = InboundMessage(conversation_id=conversation_id, channel=args.channel, text=args.lang)
                await _print_replies(await engine.handle(first))
        elif args.conversation is None:
            start = InboundMessage(conversation_id=conversation_id, channel=args.channel, text="/start")
            await _print_replies(await engine.handle(start))
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
            message = InboundMessage(conversation_id=conversation_id, channel=args.channel, text=line)
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
    from bot.server import create_app

    brain = load_brain(settings)
    # The gazetteer and models live as long as the process: keep the collector off them.
    gc.collect()
    gc.freeze()
    app = create_app(settings, brain=brain, clock=SystemClock())
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"triage serve: http://{host}:{port}/ (web chat), /healthz, /metrics")
    web.run_app(app, host=host, port=port, print=None)
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


if __name__ == "__main__":
    raise SystemExit(main())
