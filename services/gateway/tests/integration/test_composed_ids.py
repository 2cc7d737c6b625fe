from __future__ import annotations

from shared.auth import Role


async def test_an_id_with_control_characters_is_escaped_not_a_server_error(start_service, token):
    """Found by the fuzzer: `GET /api/repair-orders/%1F/status` put the raw character into the services' URLs."""
    async with start_service("gateway", compose_timeout_seconds=0.5) as gw:
        r = await gw.client.get("/api/repair-orders/%1F/status", headers=token(Role.ADVISOR, stores=["s-1"]))
        # No backend runs here: the answer still comes, partial, naming them (before the fix: a 500).
        assert r.status_code == 200, r.text
        assert r.json()["partial"] and "reception" in r.json()["unavailable"], r.text
