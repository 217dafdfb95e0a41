"""Settings, read from ACCESSION_* environment variables (and a `.env` file if present)."""

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout: alembic.ini, migrations/, templates/ and static/ are read from here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    # A file uploaded to POST /api/v1/imports may be this large (20 MB); larger is 413. The
    # upload is spooled to a temporary file past its first megabyte, never held whole.
    import_max_bytes: int = 20 * 1024 * 1024
    # An uploaded XLSX may unpack to this much XML per part (512 MiB: a sheet written by
    # openpyxl unpacks to ~16 times its compressed size, so a workbook at the upload limit
    # fits); larger is refused with 422 workbook_too_large. The sheet is read as it unpacks
    # (this bounds time, not memory); the parts held whole have tighter, fixed bounds
    # (app/imports/xlsx.py).
    import_max_unpacked_bytes: int = 512 * 1024 * 1024
    # An import stops after this long, reading and checking included (422 import_timeout,
    # nothing stored); 100,000 rows take 5-22 s on two cores (bench/README.md).
    import_timeout_seconds: float = 300.0
    # Imports running at once per worker process; more are 503 with Retry-After. Each holds a
    # spooled file (up to import_max_bytes), a thread and, for a large XLSX, a reader process
    # of up to 512 MiB.
    imports_at_once: int = 2
    # Origins allowed to call the API from a browser; none by default (CORS closed).
    cors_origins: list[str] = []
    # Failed authentications allowed per client address per minute before 429.
    auth_failures_per_minute: int = 10
    # Writes allowed per API token per minute before 429.
    writes_per_minute: int = 600
    # Answers that evaluate every candidate (Needs attention in full, the overview sorted by
    # readiness), computed per client address per minute before 429; cached answers are free.
    full_evaluations_per_minute: int = 30
    # Serve public reads from the in-memory response cache (see app/http/cache.py).
    response_cache: bool = True
    # What the response cache may hold per worker process, in bytes (bodies and headers).
    response_cache_bytes: int = 64 * 1024 * 1024
    # Responses larger than this are never held whole (not cached, not hashed for an ETag):
    # they stream from their source to the client.
    response_cache_max_item_bytes: int = 8 * 1024 * 1024
    # Open event streams allowed per client address, and per worker process in all.
    streams_per_client: int = 16
    streams_total: int = 5000
    # Set by `accession serve` for its workers: where they count open streams per address
    # together (a small SQLite file in a directory of the server's own).
    streams_shared_file: str = ""
    # Events older than this cannot be resumed from a stream: the client re-syncs instead.
    stream_retention_hours: float = 24.0
    # The site's own address, for every absolute link (Atom feed, canonical links, redirects).
    # Empty: http://HOST:PORT of `accession serve`.
    base_url: str = ""
    # Host headers accepted; others get 400. Empty: the base URL's host, localhost, 127.0.0.1.
    allowed_hosts: list[str] = []
    # A client must send its request headers within the first, and its whole body within the
    # second (slow clients hold a connection for nothing): 408 otherwise.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    # How long an Idempotency-Key is remembered; after that it may be used again.
    idempotency_key_hours: float = 24.0
    # Signs the preview links of drafts (HMAC-SHA256). Unset: a random one, which `accession
    # serve` hands to its workers, so links stop working when the server restarts and are not
    # valid on another instance. Set it (32 characters or more) to keep them across both.
    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
                                  min_length=32)
    # A self-assessed figure further from the independent one than this share of the
    # baseline-to-target distance is flagged (milestones: a stage apart); app/status/.
    assessment_divergence_share: float = Field(default=0.10, ge=0, le=10)
    # How long a draft's preview link is valid.
    preview_link_days: float = Field(default=7.0, gt=0, le=366)

    @property
    def site_url(self) -> str:
        """The site's own address, without a trailing slash: every absolute link starts so."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def accepted_hosts(self) -> list[str]:
        return self.allowed_hosts or [urlsplit(self.site_url).hostname or "", "localhost",
                                      "127.0.0.1"]


@lru_cache
def get_settings() -> Settings:
    return Settings()
