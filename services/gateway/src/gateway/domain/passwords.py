"""Password hashing with argon2id (argon2-cffi, the reference implementation's binding).

Hashes written before argon2 are the standard library's scrypt (`scrypt$salt$digest`); they still
verify, and `needs_rehash` tells the login to replace them with argon2 once the password is known.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, the library's current RFC 9106 low-memory parameters
_N, _R, _P = 2**14, 8, 1  # the legacy scrypt parameters


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return hmac.compare_digest(digest, expected)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """A legacy scrypt hash, or an argon2 hash made with weaker parameters than today's."""
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return hash_password(base64.b64encode(os.urandom(18)).decode())


def check_login(stored_hash: str | None, password: str, *, active: bool = True) -> bool:
    """The password check of a login, in constant work: an unknown or inactive user is checked against
    a dummy hash too, so the answer's timing does not tell which usernames exist."""
    matches = verify_password(password, stored_hash if stored_hash is not None else _dummy_hash())
    return matches and stored_hash is not None and active
