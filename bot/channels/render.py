"""Plain-text rendering of neutral replies, for the terminal and for SMS (numbered menus)."""

from __future__ import annotations

from bot.core.messages import Reply


def numbered_menu(reply: Reply) -> str:
    """SMS has no buttons: "1 Oui / 2 Non"; the engine reads "1" back as the first option."""
    if not reply.options:
        return reply.text
    menu = "\n".join(f"{index} {option.label}" for index, option in enumerate(reply.options, start=1))
    return f"{reply.text}\n{menu}"


def buttons_as_text(reply: Reply) -> str:
    """How a terminal shows buttons: [1 Oui] [2 Non]; typing the number or the label picks one."""
    if not reply.options:
        return reply.text
    buttons = "  ".join(f"[{index} {option.label}]" for index, option in enumerate(reply.options, start=1))
    return f"{reply.text}\n{buttons}"


def render_plain(reply: Reply, channel: str) -> str:
    return numbered_menu(reply) if channel == "sms" else buttons_as_text(reply)
