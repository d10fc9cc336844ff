"""The real app around one channel, for the end-to-end tests of each channel."""

from __future__ import annotations

from aiohttp import web

from bot.app import Brain
from bot.channels.base import Channel
from bot.core.clock import FixedClock
from bot.server import create_app
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore


def app_with_channel(
    name: str, channel: Channel, brain: Brain, clock: FixedClock, store: SqliteStore, reorder: float = 0.0
) -> web.Application:
    """Inline processing, unless `reorder` asks to wait for racing messages (then drain the inbox)."""
    settings = Settings(store_url="sqlite:///:memory:", reorder_window_seconds=reorder)
    return create_app(
        settings,
        brain=brain,
        clock=clock,
        store=store,
        channels={name: channel},
        process_inline=reorder == 0,
    )
