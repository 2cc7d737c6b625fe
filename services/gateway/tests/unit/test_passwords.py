from __future__ import annotations

import base64
import hashlib
import os

import pytest
from argon2 import PasswordHasher
from gateway.domain import passwords
from gateway.domain.passwords import check_login, hash_password, needs_rehash, verify_password


@pytest.fixture
def argon2_calls(monkeypatch) -> list[int]:
    calls: list[int] = []

    class Counting(PasswordHasher):
        def verify(self, *args, **kw):
            calls.append(1)
            return super().verify(*args, **kw)

    passwords._dummy_hash()  # made once per process, before counting starts
    monkeypatch.setattr(passwords, "_HASHER", Counting())
    return calls


def test_an_unknown_user_costs_the_same_hashing_as_a_wrong_password(argon2_calls):
    known = hash_password("right password")
    argon2_calls.clear()
    assert not check_login(None, "guess")
    unknown = len(argon2_calls)
    argon2_calls.clear()
    assert not check_login(known, "guess")
    assert unknown == len(argon2_calls) == 1


def test_the_right_password_of_an_active_user_logs_in_and_an_inactive_one_does_not():
    stored = hash_password("right password")
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert check_login(stored, "right password")
    assert not check_login(stored, "right password", active=False)


def legacy_scrypt(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def test_an_old_scrypt_hash_still_verifies_and_asks_to_be_rehashed():
    old = legacy_scrypt("old password")
    assert verify_password("old password", old) and not verify_password("wrong", old)
    assert needs_rehash(old)


def test_a_garbled_hash_never_verifies():
    assert not verify_password("x", "scrypt$not-base64")
    assert not verify_password("x", "nonsense")
