"""A scripted conversation through the real engine: `await convo.say("..."); convo.asking`."""

from __future__ import annotations

from bot.core.case import Case
from bot.core.conversation import ConversationState
from bot.core.messages import InboundMessage, Reply
from bot.engine.engine import Engine
from bot.storage.sqlite import SqliteStore


class Conversation:
    def __init__(
        self, engine: Engine, store: SqliteStore, *, conversation_id: str = "test:1", channel: str = "test"
    ):
        self.engine = engine
        self.store = store
        self.id = conversation_id
        self.channel = channel
        self.replies: list[Reply] = []

    async def say(self, text: str | None = None, *, option: str | None = None) -> list[Reply]:
        message = InboundMessage(conversation_id=self.id, channel=self.channel, text=text, option=option)
        self.replies = await self.engine.handle(message)
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)

    @property
    def asking(self) -> str | None:
        question = next((reply for reply in reversed(self.replies) if reply.asking), None)
        return question.asking if question else None

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    async def state(self) -> ConversationState | None:
        return await self.store.load_conversation(self.id)

    async def case(self) -> Case | None:
        cases = await self.store.cases_for_conversation(self.id)
        return cases[-1] if cases else None
