"""Password hashing with the standard library's scrypt (memory-hard; no extra dependency needed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


@cache
def _dummy_hash() -> str:
    return hash_password(base64.b64encode(os.urandom(18)).decode())


def check_login(stored_hash: str | None, password: str, *, active: bool = True) -> bool:
    """The password check of a login, in constant work: an unknown or inactive user is checked against
    a dummy hash too, so the answer's timing does not tell which usernames exist."""
    matches = verify_password(password, stored_hash if stored_hash is not None else _dummy_hash())
    return matches and stored_hash is not None and active
