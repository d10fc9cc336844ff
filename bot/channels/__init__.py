"""The channels, in one explicit registry; the server mounts those whose settings are present."""

from __future__ import annotations

import importlib
from typing import Protocol

import aiohttp

from bot.channels.base import Channel
from bot.settings import Settings


class ChannelFactory(Protocol):
    @classmethod
    def from_settings(cls, settings: Settings, http: aiohttp.ClientSession) -> Channel | None:
        """The channel, or None when its settings are absent (disabled)."""
        ...


# name -> "module:Class"; a module is imported only when its channel may be enabled.
CHANNELS: dict[str, str] = {
    "telegram": "bot.channels.telegram:TelegramChannel",
    "whatsapp": "bot.channels.whatsapp:WhatsAppChannel",
    "kannel": "bot.channels.kannel:KannelChannel",
    "twilio": "bot.channels.twilio:TwilioChannel",
}


# The setting without which a channel is off: its module (and its library: aiogram alone weighs
# about 135 MB of memory) is not even imported then.
ENABLED_BY: dict[str, str] = {
    "telegram": "telegram_bot_token",
    "whatsapp": "whatsapp_token",
    "kannel": "kannel_sendsms_url",
    "twilio": "twilio_account_sid",
}


def configured(name: str, settings: Settings) -> bool:
    return bool(getattr(settings, ENABLED_BY[name], None))


def load_factory(name: str) -> ChannelFactory | None:
    """The channel's class, or None when its module is not part of this build."""
    module_name, class_name = CHANNELS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    factory: ChannelFactory = getattr(module, class_name)
    return factory
