"""Demo data for the parts room of 上海浦东店: bins at four-part locations (四号定位), two suppliers, and
parts with prices, costs, safety stock and opening stock. Loaded through the gateway as the parts manager
would; safe to run twice (Idempotency-Key on every command, an existing record answers 409)."""

from __future__ import annotations

import hashlib

import httpx

STORE = "s-sh-pd"

BINS = [("A", "01", "01", "01"), ("A", "01", "02", "03"), ("A", "02", "01", "02"), ("B", "01", "03", "01")]
SUPPLIERS = [("上汽大众配件中心(上海)", "local", "credit", 1), ("杭州顺达汽配", "out_of_town", "cash", 3)]
# part no, name, brand, unit, retail, cost, safety, bin, opening, supplier index, old part handed in
PARTS = [
    ("06L115562B", "机油滤清器", "VW", "pc", "68.00", "31.50", "10", "A-01-01-01", "40", 0, False),
    ("G052195M4", "机油 5W-30 (升)", "VW", "l", "78.00", "42.00", "40", "A-01-02-03", "160", 0, False),
    ("5Q0698151D", "前刹车片", "VW", "set", "620.00", "355.00", "4", "A-02-01-02", "6", 0, True),
    ("1K0615301AA", "前刹车盘", "VW", "pc", "480.00", "260.00", "2", "A-02-01-02", "3", 1, True),
    ("5Q0819653", "空调滤芯", "VW", "pc", "158.00", "71.00", "8", "B-01-03-01", "5", 1, False),
]


async def load_parts_demo(http: httpx.AsyncClient, password: str) -> None:
    from deploy.demo import open_demo_stores

    await open_demo_stores(http, [STORE])
    tok = (await http.post("/auth/token", data={"username": "parts.pd", "password": password})).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}

    async def post(path: str, key: str, body: dict) -> httpx.Response:
        # Header values are ASCII: a supplier's Chinese name goes into the key as its hash.
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        r = await http.post(f"/api/parts{path}", headers=h | {"Idempotency-Key": f"demo-parts-{digest}"}, json=body)
        if r.status_code not in (200, 201, 409):
            r.raise_for_status()
        return r

    for room, rack, shelf, pos in BINS:
        await post("/bins", f"bin-{room}{rack}{shelf}{pos}", {"store_id": STORE, "store_room": room, "rack": rack,
                                                              "shelf": shelf, "position": pos})
    suppliers = []
    for i, (name, locality, payment, days) in enumerate(SUPPLIERS):  # header values are ASCII: no name in the key
        r = await post("/suppliers", f"supplier-{i}", {"name": name, "locality": locality, "payment": payment,
                                                           "lead_time_days": days})
        suppliers.append(r.json().get("id"))
    for no, name, brand, unit, retail, cost, safety, bin_code, qty, sup, exchange in PARTS:
        await post("/parts", f"part-{no}", {
            "store_id": STORE, "part_no": no, "name": name, "brand": brand, "unit": unit, "retail_price": retail,
            "safety_stock": safety, "bin_code": bin_code, "opening_quantity": qty, "opening_cost": cost,
            "supplier_id": suppliers[sup], "exchange_required": exchange})
    print(f"demo: parts room of {STORE}: {len(PARTS)} parts in {len(BINS)} bins, {len(SUPPLIERS)} suppliers",
          flush=True)
