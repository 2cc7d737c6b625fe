"""Login sessions and their refresh tokens (one family per login).

A refresh token is a random secret shown to the client once; the gateway stores only its SHA-256
(a 256-bit random value needs no slow hash: nothing to guess). Each use spends it and gives a new
one of the same family. A spent token presented again means it was copied: the whole family (the
login session) is revoked, so the thief's copy and the owner's current token both stop working.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum


def new_refresh_token() -> tuple[str, str]:
    """(the token for the client, the hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Refresh(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    REUSED = "reused"  # spent before: revoke the family
    REVOKED = "revoked"  # the session was logged out, or its user deactivated
    EXPIRED = "expired"


def judge_refresh(*, spent_at: datetime | None, expires_at: datetime, session_revoked: bool,
                  user_active: bool, now: datetime) -> Refresh:
    if spent_at is not None:
        return Refresh.REUSED
    if session_revoked or not user_active:
        return Refresh.REVOKED
    if expires_at <= now:
        return Refresh.EXPIRED
    return Refresh.OK
