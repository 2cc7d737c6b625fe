from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.domain.sessions import Refresh, hash_refresh_token, judge_refresh, new_refresh_token

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def test_a_refresh_token_is_random_and_stored_only_as_its_hash():
    token, digest = new_refresh_token()
    other, _ = new_refresh_token()
    assert token != other and len(token) >= 43
    assert digest == hash_refresh_token(token) and token not in digest and len(digest) == 64


def test_an_unspent_token_of_a_live_session_refreshes():
    assert judge_refresh(spent_at=None, expires_at=LATER, session_revoked=False, user_active=True,
                         now=NOW) is Refresh.OK


def test_a_spent_token_is_a_reuse_whatever_else_holds():
    # reuse wins over every other refusal: it is what revokes the family
    for revoked in (False, True):
        assert judge_refresh(spent_at=NOW, expires_at=NOW, session_revoked=revoked, user_active=False,
                             now=LATER) is Refresh.REUSED


def test_revoked_sessions_deactivated_users_and_expired_tokens_are_refused():
    assert judge_refresh(spent_at=None, expires_at=LATER, session_revoked=True, user_active=True,
                         now=NOW) is Refresh.REVOKED
    assert judge_refresh(spent_at=None, expires_at=LATER, session_revoked=False, user_active=False,
                         now=NOW) is Refresh.REVOKED
    assert judge_refresh(spent_at=None, expires_at=NOW, session_revoked=False, user_active=True,
                         now=NOW) is Refresh.EXPIRED
