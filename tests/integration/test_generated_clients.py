"""Integrators generate typed clients from our OpenAPI documents: prove that works and the client is usable.

openapi-python-client (a tool we did not write) generates a client for every service's published
spec; the gateway's client then logs in, reads who it is, and gets a typed `Error` for a wrong
password, against a running gateway.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from gateway.users import upsert_users

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "docs" / "openapi").glob("*.json"))


def generate(spec: Path, out: Path) -> Path:
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec),
                          "--output-path", str(out), "--meta", "none", "--overwrite"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    return out


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_a_typed_client_generates_from_each_published_spec(spec: Path, tmp_path: Path):
    out = generate(spec, tmp_path / f"{spec.stem}_client")
    assert (out / "client.py").exists() and any((out / "api").iterdir())


async def test_the_generated_gateway_client_logs_in_and_reads_typed_answers(start_service, service_databases,
                                                                             tmp_path: Path):
    package = f"gw_client_{uuid.uuid4().hex[:8]}"
    generate(ROOT / "docs/openapi/gateway.json", tmp_path / package)
    sys.path.insert(0, str(tmp_path))
    try:
        client_mod = importlib.import_module(f"{package}.client")
        login = importlib.import_module(f"{package}.api.auth.login_auth_token_post")
        me = importlib.import_module(f"{package}.api.auth.me_me_get")
        models = importlib.import_module(f"{package}.models")
        user = f"advisor-{uuid.uuid4().hex[:6]}"
        await upsert_users(service_databases["gateway"], [dict(
            username=user, password="client-pw-1", dealer_group_id="dg-client", roles=["advisor"],
            store_ids=["s-1"])])
        async with start_service("gateway") as gw:
            transport = {"transport": httpx.ASGITransport(gw.app)}
            anonymous = client_mod.Client(base_url="http://gateway", httpx_args=transport)
            wrong = await login.asyncio(client=anonymous, body=models.BodyLoginAuthTokenPost(
                username=user, password="wrong"))
            assert isinstance(wrong, models.Error) and wrong.error == "Unauthorized"
            token = await login.asyncio(client=anonymous, body=models.BodyLoginAuthTokenPost(
                username=user, password="client-pw-1"))
            assert isinstance(token, models.Token) and token.expires_in > 0
            authed = client_mod.AuthenticatedClient(base_url="http://gateway", token=token.access_token,
                                                    httpx_args=transport)
            answer = await me.asyncio_detailed(client=authed)
            assert answer.status_code == 200
            assert answer.parsed.to_dict()["dealer_group_id"] == "dg-client"
    finally:
        sys.path.remove(str(tmp_path))
