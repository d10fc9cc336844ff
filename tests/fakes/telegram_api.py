"""A fake Telegram Bot API: `POST /bot<token>/<method>`, recording every call.

aiogram posts form data with nested objects JSON-encoded; the fake decodes those fields, so
tests read `calls[i].fields["reply_markup"]["inline_keyboard"]`. JSON bodies are accepted too.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 42, "is_bot": True, "first_name": "TriageBot", "username": "triage_bot"}


@dataclass
class Call:
    token: str
    method: str
    fields: dict[str, Any]


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1


@dataclass
class FakeTelegramApi:
    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    # Updates served by getUpdates (those at or after the offset; earlier ones are confirmed).
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    _new_updates: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: int = 1000

    def fail(
        self, method: str, status: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with this error."""
        self.failures.setdefault(method, []).append(Failure(status, description, retry_after, times))

    def rate_limit(self, method: str = "sendMessage", retry_after: int = 1, times: int = 1) -> None:
        self.fail(
            method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, times=times
        )

    def block(self) -> None:
        self.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", times=1_000_000)

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_updates.set()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [call.fields for call in self.calls if call.method == method]

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return _error(401, "Unauthorized")
        fields = await _fields(request)
        self.calls.append(Call(token, method, fields))
        pending = self.failures.get(method)
        if pending:
            failure = pending[0]
            failure.times -= 1
            if failure.times <= 0:
                pending.pop(0)
            return _error(failure.status, failure.description, failure.retry_after)
        if method == "sendMessage":
            self._message_ids += 1
            chat_id = int(fields["chat_id"])
            result: Any = {
                "message_id": self._message_ids,
                "date": 1732600002,
                "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
                "from": BOT_USER,
                "text": fields["text"],
            }
        elif method == "getUpdates":
            result = await self._get_updates(fields)
        elif method == "getMe":
            result = BOT_USER
        elif method in {"answerCallbackQuery", "setWebhook", "deleteWebhook"}:
            result = True
        else:
            return _error(404, "Not Found: method not found")
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(fields.get("offset") or 0)
        # An offset confirms every earlier update: Telegram forgets them.
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_updates.clear()
            timeout = min(float(fields.get("timeout") or 0), 1.0)
            try:
                await asyncio.wait_for(self._new_updates.wait(), timeout)
            except TimeoutError:
                return []
        return list(self.updates)


async def _fields(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    fields: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        if key in {"reply_markup", "allowed_updates", "entities"}:
            fields[key] = json.loads(text)
        else:
            fields[key] = text
    return fields


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return web.json_response(payload, status=status)
