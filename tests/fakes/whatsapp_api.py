"""A fake WhatsApp Cloud API: `POST /<version>/<phone_number_id>/messages`, recording each body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Meta's error shapes (Graph API): code, HTTP status, message.
ERRORS: dict[int, tuple[int, str]] = {
    131047: (400, "Re-engagement message"),
    131026: (400, "Message undeliverable"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    130429: (400, "Rate limit hit"),
    190: (401, "Invalid OAuth access token"),
}


@dataclass
class FakeWhatsAppApi:
    token: str = "TEST-WA-TOKEN"
    phone_number_id: str = "1122334455667"
    version: str = "v21.0"
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    _ids: int = 0

    def fail_next(self, code: int, times: int = 1) -> None:
        """Answer the next `times` sends with Meta's error `code` (e.g. 131047, window closed)."""
        self.errors.extend([code] * times)

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(190)
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return _error(100, status=400, message="Unsupported post request")
        body = await request.json()
        self.messages.append(body)
        if self.errors:
            return _error(self.errors.pop(0))
        if body.get("status") == "read":
            return web.json_response({"success": True})
        self._ids += 1
        to = str(body.get("to", ""))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": f"wamid.FAKE{self._ids:06d}"}],
            }
        )

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


def _error(code: int, *, status: int | None = None, message: str | None = None) -> web.Response:
    known_status, known_message = ERRORS.get(code, (400, "Error"))
    return web.json_response(
        {
            "error": {
                "message": f"({code}) {message or known_message}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message or known_message},
                "fbtrace_id": "AFakeTrace",
            }
        },
        status=status or known_status,
    )
