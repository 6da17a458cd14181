"""One typed settings object: env vars ``RESONANCE_*`` and an optional TOML file in the home directory."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".resonance"


class Settings(BaseSettings):
    """Defaults need no configuration: a SQLite file under ``~/.resonance/``."""

    model_config = SettingsConfigDict(env_prefix="RESONANCE_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="data directory of this space")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite file in home")
    host: str = "127.0.0.1"
    port: int = 8765
    page_size_max: int = 500

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.home / 'registry.sqlite'}"


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    toml_path = settings.home / "config.toml"
    if toml_path.is_file():
        file_values = tomllib.loads(toml_path.read_text(encoding="utf-8")).get("resonance", {})
        settings = Settings(**{**file_values, **settings.model_dump(exclude_unset=True)})
    return settings
