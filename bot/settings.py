"""One typed settings object, read from the environment (and `.env`) in `bot.cli` only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.eventloop import EventLoopName

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    # Empty variables count as unset: docker-compose passes `${TELEGRAM_BOT_TOKEN:-}` as "".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    store_url: str = Field(
        default="sqlite:///var/triage.db",
        description="Where conversations and cases live: sqlite:///path.db (embedded default).",
    )
    dialogs_dir: Path = Field(default=REPO_ROOT / "dialogs", description="The flow and the texts.")
    nlu_data_dir: Path = Field(default=REPO_ROOT / "nlu_data", description="NLU training and lookup data.")
    model_cache_dir: Path | None = Field(
        default=REPO_ROOT / "var" / "models",
        description="Cache of trained NLU models, retrained when nlu_data/ changes; empty: no cache.",
    )
    rules_file: Path | None = Field(default=None, description="Urgency rules (default: the shipped file).")
    log_level: str = Field(default="WARNING", description="Python logging level.")

    # -- storage: encryption, keyed hashes, retention ----------------------------------------------
    store_encryption_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Comma-separated Fernet keys, the current one first; empty: data in clear (demo).",
    )
    store_hash_key: SecretStr | None = Field(
        default=None, description="Secret for the keyed hashes of phone numbers and chat ids in key names."
    )
    store_previous_hash_key: SecretStr | None = Field(
        default=None,
        description="The STORE_HASH_KEY being replaced; read only by `triage store rehash`, which moves"
        " what was filed under it to the current STORE_HASH_KEY.",
    )
    store_key_prefix: str = Field(default="triage", description="Prefix of every Redis key of this bot.")
    conversation_ttl_days: int = Field(
        default=90, ge=1, description="A conversation's state is deleted this long after its last message."
    )
    retention_abandoned_days: int = Field(
        default=30, ge=1, description="Unfinished (active) conversations idle this long are erased."
    )
    retention_unconsented_hours: int = Field(
        default=24,
        ge=1,
        description="A conversation whose person has not said yes to the consent question is erased "
        "after this long idle: what they wrote before consenting is not kept for weeks.",
    )
    retention_closed_days: int = Field(
        default=365, ge=1, description="Closed cases are anonymised this long after their last change."
    )
    retention_dead_letter_days: int = Field(
        default=7,
        ge=1,
        description="Queued messages whose processing failed again and again (Redis) are kept this"
        " long for a look, then deleted; an erasure deletes the person's at once.",
    )
    retention_delivery_days: int = Field(
        default=14,
        ge=1,
        description="Records of messages sent (for their delivery reports: no number, no text) are"
        " deleted this long after sending.",
    )
    reminder_after_hours: float = Field(
        default=3,
        ge=0,
        description="A consented conversation waiting this many hours for an answer gets one reminder"
        " (the question again); an urgent one (P1 with the place known, P0 even without) is handed off"
        " with what is known. Not on the web chat. 0: no reminder.",
    )
    retention_every_hours: int = Field(
        default=24,
        ge=0,
        description="The workers (`triage serve` on SQLite) apply the retention rules once every this"
        " many hours, in one process; 0: never (run `triage store purge` from cron instead).",
    )

    # -- server and channels (a channel is enabled when its credentials are set) -----------------
    host: str = Field(default="127.0.0.1", description="`triage serve` address.")
    port: int = Field(default=8080, description="`triage serve` port.")
    public_url: str | None = Field(default=None, description="Public https base URL, to register webhooks.")
    reorder_window_seconds: float = Field(
        default=0.3,
        description="How long to wait for an earlier message of the same person that races a later one.",
    )
    web_chat: bool = Field(default=True, description="Serve the web chat page and /api/chat.")
    access_log: bool = Field(
        default=False,
        description="Log every HTTP request (aiohttp's access log at INFO). Off: it costs about a fifth"
        " of a webhook acknowledgement, and would keep the IP addresses of people using the web chat.",
    )
    event_loop: EventLoopName = Field(
        default="uvloop",
        description="Event loop of `triage serve` and `triage worker`: uvloop (less CPU per request)"
        " or asyncio (Python's own; also used where uvloop is not installed).",
    )
    demo_volunteers: Path | None = Field(
        default=REPO_ROOT / "data" / "demo" / "volunteers.csv",
        description="Roster loaded when the store has no volunteers (the demo); empty to disable.",
    )

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_polling: bool = Field(default=False, description="Long polling instead of a webhook.")

    whatsapp_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    whatsapp_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Approved template names by purpose (JSON), for messages outside the 24-hour window.",
    )

    kannel_sendsms_url: str | None = None
    kannel_username: str | None = None
    kannel_password: SecretStr | None = None
    kannel_webhook_secret: SecretStr | None = None
    kannel_dlr_url: str | None = Field(
        default=None,
        description="Our Kannel webhook as smsbox reaches it (http://bot:8080/webhooks/kannel): "
        "Kannel then reports whether each SMS reached the phone. Unset: no delivery reports.",
    )

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    twilio_webhook_url: str | None = Field(
        default=None, description="The exact public URL Twilio posts to (its signature covers it)."
    )
    twilio_status_callbacks: bool = Field(
        default=True,
        description="Ask Twilio to report to TWILIO_WEBHOOK_URL whether each SMS was delivered.",
    )
