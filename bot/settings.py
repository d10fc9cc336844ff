"""One typed settings object, read from the environment (and `.env`) in `bot.cli` only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

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
