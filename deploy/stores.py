"""Open a dealer group's stores through the gateway's store API, then wait until every service knows them.

A backend refuses a person's record for a store it does not know (422 naming store_id), and learns of a
store from the gateway's StoreOpened event; so whoever loads data opens the stores first and waits for
`GET /api/stores/{id}/reach` to answer `everywhere` (the demo loaders and the end-to-end platform do).
"""

from __future__ import annotations

import asyncio

import httpx

HOURS = [{"day": d, "opens": "08:30", "closes": "18:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat")]


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await http.post("/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def open_stores(http: httpx.AsyncClient, admin: dict[str, str], stores: dict[str, dict], *,
                      timeout: float = 60.0) -> None:
    """`stores`: store id -> name, brand, city (time zone and hours default). A store that exists is left
    as it is (409), so loading twice changes nothing."""
    for store_id, details in stores.items():
        body = {"time_zone": "Asia/Shanghai", "opening_hours": HOURS, **details, "store_id": store_id}
        r = await http.post("/org/stores", headers=admin, json=body)
        if r.status_code not in (201, 409):
            raise RuntimeError(f"opening store {store_id}: {r.status_code} {r.text}")
    await wait_until_known(http, admin, list(stores), timeout=timeout)


async def wait_until_known(http: httpx.AsyncClient, headers: dict[str, str], store_ids: list[str], *,
                           timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    for store_id in store_ids:
        while True:
            r = await http.get(f"/api/stores/{store_id}/reach", headers=headers)
            if r.status_code == 200 and r.json()["everywhere"]:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"store {store_id} is not known everywhere after {timeout:.0f} s: {r.text}")
            await asyncio.sleep(0.1)
