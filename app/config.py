"""Settings, read from ACCESSION_* environment variables (and a `.env` file if present)."""

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESSION_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/accession.db"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    environment: Literal["development", "production", "test"] = "development"
    log_level: str = "info"
    # Database calls that wait longer than this fail fast instead of hanging a request.
    db_timeout_seconds: float = 5.0
    # Larger request bodies are refused with 413 before they are read into memory.
    max_body_bytes: int = 1024 * 1024
    # Origins allowed to call the API from a browser; none by default (CORS closed).
    cors_origins: list[str] = []
    # Failed authentications allowed per client address per minute before 429.
    auth_failures_per_minute: int = 10
    # Writes allowed per API token per minute before 429.
    writes_per_minute: int = 600
    # Serve public reads from the in-memory response cache (see app/web/cache.py).
    response_cache: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
