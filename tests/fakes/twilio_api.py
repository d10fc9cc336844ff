"""A local stand-in for Twilio's REST API: records `Messages.json` posts, fails on demand."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import encode_basic_auth, web


@dataclass(frozen=True)
class SentMessage:
    to: str
    from_: str
    body: str
    status_callback: str = ""


class FakeTwilioApi:
    """`POST /2010-04-01/Accounts/{sid}/Messages.json` with Basic auth, as Twilio answers it.

    `unsubscribed` numbers get error 21610 (they sent STOP); the next `rate_limited` requests get
    429 with `Retry-After`; `before_answer`, when set, is awaited with each message accepted
    before the answer goes (a status callback may reach the sender before the API's answer).
    Run it with `aiohttp.test_utils.TestServer(fake.app)`."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[SentMessage] = []
        self.unsubscribed: set[str] = set()
        self.rate_limited = 0
        self.before_answer: Callable[[SentMessage], Awaitable[None]] | None = None
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)

    def bodies_to(self, number: str) -> list[str]:
        return [message.body for message in self.messages if message.to == number]

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        to, from_, body = (str(form.get(name, "")) for name in ("To", "From", "Body"))
        if not to or not from_ or not body:
            return _error(400, 21604, "A 'To', 'From' and 'Body' parameter is required.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _error(429, 20429, "Too Many Requests", headers={"Retry-After": "2"})
        if to in self.unsubscribed:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        message = SentMessage(to, from_, body, str(form.get("StatusCallback", "")))
        self.messages.append(message)
        if self.before_answer is not None:
            await self.before_answer(message)
        sid = f"SM{next(self._ids):032x}"
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": from_,
                "body": body,
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
            status=201,
        )

    def _authorized(self, request: web.Request) -> bool:
        expected = encode_basic_auth(self.account_sid, self.auth_token)
        return (
            request.match_info["sid"] == self.account_sid and request.headers.get("Authorization") == expected
        )


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=headers,
    )
