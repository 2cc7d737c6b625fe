from __future__ import annotations

import hashlib

import pytest
from gateway.domain import passwords
from gateway.domain.passwords import check_login, hash_password


@pytest.fixture
def scrypt_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    passwords._dummy_hash()  # made once per process, before counting starts
    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return calls


def test_an_unknown_user_costs_the_same_hashing_as_a_wrong_password(scrypt_calls):
    known = hash_password("right password")
    scrypt_calls.clear()
    assert not check_login(None, "guess")
    unknown = len(scrypt_calls)
    scrypt_calls.clear()
    assert not check_login(known, "guess")
    assert unknown == len(scrypt_calls) == 1


def test_the_right_password_of_an_active_user_logs_in_and_an_inactive_one_does_not():
    stored = hash_password("right password")
    assert check_login(stored, "right password")
    assert not check_login(stored, "right password", active=False)
