"""Stores behind one interface (bot.core.ports.ConversationStore), chosen by `STORE_URL`."""

from __future__ import annotations

from bot.core.ports import ConversationStore


class StoreUrlError(ValueError):
    """`STORE_URL` names a store this build does not know."""


def open_store(url: str) -> ConversationStore:
    """`sqlite:///relative/or/absolute.db`, `sqlite:///:memory:`."""
    if url.startswith("sqlite:///"):
        from bot.storage.sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"))
    raise StoreUrlError(f"unsupported STORE_URL scheme: {url.split(':', 1)[0]!r} (use sqlite:///path.db)")
