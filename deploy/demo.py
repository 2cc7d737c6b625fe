"""Demo data: a dealer group with three stores, a user per role, customers and vehicles.

Loaded through the gateway's public API (as a store would), so it also proves the path works.
Safe to run twice: every command carries an Idempotency-Key and duplicates are recognised.
"""

from __future__ import annotations

import asyncio

import httpx

GROUP = "dg-huadong"  # 华东汽车集团
STORES = {"s-sh-pd": "上海浦东店", "s-sh-mh": "上海闵行店", "s-hz-xh": "杭州西湖店"}
CITIES = {"s-sh-pd": "上海", "s-sh-mh": "上海", "s-hz-xh": "杭州"}
PASSWORD = "demo1234"
ADMIN = "admin"

USERS = [
    (ADMIN, "林管理员", ["group_admin"], []),
    ("advisor.pd", "张顾问", ["advisor"], ["s-sh-pd"]),
    ("advisor.mh", "李顾问", ["advisor"], ["s-sh-mh"]),
    ("frontdesk.pd", "王主管", ["front_desk_supervisor"], ["s-sh-pd"]),
    ("workshop.pd", "赵车间主任", ["workshop_supervisor"], ["s-sh-pd"]),
    ("tech.pd", "钱技师", ["technician"], ["s-sh-pd"]),
    ("qc.pd", "孙质检", ["qc_inspector"], ["s-sh-pd"]),
    ("parts.pd", "周配件经理", ["parts_manager"], ["s-sh-pd"]),
    ("warranty.pd", "吴索赔专员", ["warranty_specialist"], ["s-sh-pd"]),
    ("care.pd", "郑客服", ["customer_care"], ["s-sh-pd"]),
    ("care.mh", "王客服", ["customer_care"], ["s-sh-mh"]),
    ("care.xh", "何客服", ["customer_care"], ["s-hz-xh"]),
    ("manager.pd", "冯服务经理", ["service_manager", "general_manager"], ["s-sh-pd"]),
    ("analyst", "陈分析师", ["group_analyst"], []),
]

CUSTOMERS = [
    # name, phone, store, vin stem (check digit filled in), plate, model, sale date
    ("王伟", "13800138001", "s-sh-pd", "LSVAU2180N2183290", "沪A12345", "帕萨特 330TSI", "2024-05-12"),
    ("李娜", "13900139002", "s-sh-pd", "LSVCC6F40M2093412", "沪B67890", "途观L 380TSI", "2023-09-02"),
    ("张敏", "13700137003", "s-sh-mh", "LSVNV2182P2201873", "沪C24680", "朗逸 1.5L", "2025-01-20"),
    ("刘洋", "13600136004", "s-hz-xh", "LSVAE4187R2012345", "浙A13579", "ID.4 CROZZ", "2025-06-30"),
    ("上海迅达物流有限公司", "02161234567", "s-sh-pd", "LSVUZ6B29L2055667", "沪D11223", "威然 380TSI", "2022-11-08"),
]


class HonoursRetryAfter(httpx.AsyncBaseTransport):
    """The gateway's rate limits answer a burst with 429 and Retry-After; a well-behaved client (this loader
    sends far faster than a person) waits as told and sends the request again. Bodies here are bytes, so
    sending again is safe; commands carry an Idempotency-Key besides."""

    def __init__(self, attempts: int = 20) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._attempts = attempts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self._attempts):
            response = await self._inner.handle_async_request(request)
            if response.status_code != 429:
                return response
            await response.aclose()
            try:
                wait = float(response.headers.get("Retry-After", "1"))
            except ValueError:  # the HTTP-date form, which our gateway does not send
                wait = 1.0
            await asyncio.sleep(min(wait, 60))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def gateway_client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=10, transport=HonoursRetryAfter())


async def open_demo_stores(http: httpx.AsyncClient, store_ids: list[str]) -> None:
    """The group administrator opens the stores at the gateway; every service knows them before data comes."""
    from deploy.stores import login, open_stores

    await open_stores(http, await login(http, ADMIN, PASSWORD),
                      {s: {"name": STORES[s], "brand": "Volkswagen", "city": CITIES[s]} for s in store_ids})
    print(f"demo: stores {', '.join(store_ids)} known to every service", flush=True)


async def load_demo(platform) -> None:
    from gateway.users import upsert_users
    from shared.vin import with_check_digit

    await upsert_users(platform.database_url("gateway"), [
        dict(username=u, display_name=n, password=PASSWORD, dealer_group_id=GROUP, roles=r, store_ids=s)
        for u, n, r, s in USERS])
    print(f"demo: {len(USERS)} users in group {GROUP} (password {PASSWORD!r})", flush=True)
    gw = platform.url("gateway")
    async with gateway_client(gw) as http:
        await open_demo_stores(http, list(STORES))
        agents = {}  # each store's customer-care agent registers that store's customers
        for store, user in (("s-sh-pd", "care.pd"), ("s-sh-mh", "care.mh"), ("s-hz-xh", "care.xh")):
            tok = (await http.post("/auth/token", data={"username": user, "password": PASSWORD})).json()
            agents[store] = {"Authorization": f"Bearer {tok['access_token']}"}
        vins = []
        for i, (name, phone, store, vin, plate, model, sold) in enumerate(CUSTOMERS, 1):
            h = agents[store]
            kind = "company" if "公司" in name else "person"
            r = await http.post("/api/crm/customers", headers=h | {"Idempotency-Key": f"demo-customer-{phone}"},
                                json={"store_id": store, "kind": kind, "name": name, "phones": [phone]})
            if r.status_code == 409:
                cid = r.json()["existing_customer_id"]
            else:
                r.raise_for_status()
                cid = r.json()["id"]
            vin = with_check_digit(vin)
            r = await http.post("/api/crm/vehicles", headers=h | {"Idempotency-Key": f"demo-vehicle-{vin}"}, json={
                "store_id": store, "vin": vin, "owner_customer_id": cid, "plate": plate, "model": model,
                "sale_date": sold, "warranty_years": 3, "warranty_km": 100000, "odometer_km": 8000 * i})
            if r.status_code not in (201, 409):
                r.raise_for_status()
            vins.append(vin)
            print(f"demo: customer {i}/{len(CUSTOMERS)} {name} with {plate}", flush=True)
        for _ in range(100):  # reception learns of them over Kafka
            seen = [(await http.get("/api/reception/vehicles", params={"vin": v}, headers=h)).status_code == 200
                    for v in vins]
            if all(seen):
                break
            await asyncio.sleep(0.2)
        print(f"demo: reception knows {sum(seen)}/{len(vins)} vehicles", flush=True)
        await __import__("deploy.demo_parts", fromlist=["x"]).load_parts_demo(http, PASSWORD)
        await __import__("deploy.demo_workshop", fromlist=["_"]).load_workshop_demo(platform, http)
