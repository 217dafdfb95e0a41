"""Preview links of drafts: `/reports/{id}/preview?token=VERSION.EXPIRES.SIGNATURE`, where the
signature is an HMAC-SHA256, under the site's secret key, of the report's id, the version the
link was made for and when it expires. Whoever holds the link may read that version of that
draft until then; no row is stored for it, so a link cannot be revoked except by changing the
key (which voids them all) or by editing the draft (which voids that draft's links)."""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, Literal

from app.errors import DomainError

# Part of what is signed, so a signature made with this key for another purpose one day can
# never pass for a preview link.
PURPOSE = b"report-preview"
# Version, expiry (Unix seconds: 11 digits reach beyond year 9999, which Python cannot hold)
# and signature (32 bytes, base64url without padding).
TOKEN = re.compile(r"(\d{1,10})\.(\d{1,11})\.([A-Za-z0-9_-]{43})", re.ASCII)
MAX_TOKEN_LENGTH = 100


class PreviewRefused(DomainError):
    """A link that shows nothing (any more). `reason` picks the page's explanation:
    `invalid` (403: cut short, altered, another report's), `missing` (404), `expired` (410),
    `edited` (410: the draft changed since the link was made)."""

    STATUS = {"invalid": HTTPStatus.FORBIDDEN, "missing": HTTPStatus.NOT_FOUND,
              "expired": HTTPStatus.GONE, "edited": HTTPStatus.GONE}

    def __init__(self, reason: Literal["invalid", "missing", "expired", "edited"], detail: str,
                 **extra: Any) -> None:
        super().__init__(detail, reason=reason, **extra)
        self.reason = reason
        self.status_code = self.STATUS[reason]


@dataclass(frozen=True)
class PreviewLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PreviewGrant:
    """What an authentic token says: this report, as of this version, until then."""

    report_id: int
    version: int
    expires_at: datetime


def _signature(key: bytes, report_id: int, version: int, expires: int) -> str:
    message = b"|".join((PURPOSE, str(report_id).encode(), str(version).encode(),
                         str(expires).encode()))
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_preview(key: bytes, report_id: int, version: int, expires_at: datetime) -> str:
    """The token; `expires_at` counts to the second (what the token can hold)."""
    expires = int(expires_at.timestamp())
    return f"{version}.{expires}.{_signature(key, report_id, version, expires)}"


def preview_link(key: bytes, site_url: str, report_id: int, version: int, *, now: datetime,
                 valid_for: timedelta) -> PreviewLink:
    expires_at = datetime.fromtimestamp(int((now + valid_for).timestamp()), UTC)
    token = sign_preview(key, report_id, version, expires_at)
    return PreviewLink(f"{site_url}/reports/{report_id}/preview?token={token}", expires_at)


def read_preview(key: bytes, report_id: int, token: str) -> PreviewGrant | None:
    """The grant of a token made with this key for this report, or None for any other string
    (cut short, altered, made for another report or with another key). Expiry is the
    caller's to judge: an expired link still says which report and version it was for."""
    match = TOKEN.fullmatch(token)
    if match is None:
        return None
    version, expires = int(match[1]), int(match[2])
    expected = _signature(key, report_id, version, expires)
    if not hmac.compare_digest(expected, match[3]):
        return None
    return PreviewGrant(report_id, version, datetime.fromtimestamp(expires, UTC))
