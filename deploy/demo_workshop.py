"""Demo data of the workshop: per store a team or two with a leader, technicians with grades and skills,
bays, the week's shifts and the operation codes reception prices and books with.

Loaded through the gateway's /api/workshop/... with each store's workshop supervisor's token (as a store
would). The shifts make the capacity of the coming two weeks, which workshop publishes for reception's
bookings. PUTs of the same values change nothing, so loading twice is safe.
"""

from __future__ import annotations

import httpx

PASSWORD = "demo1234"
GROUP = "dg-huadong"

# username, name, roles, stores: the people of the workshop floor (technician ids are their user names).
USERS = [
    ("workshop.mh", "钱车间主任", ["workshop_supervisor"], ["s-sh-mh"]),
    ("workshop.xh", "孙车间主任", ["workshop_supervisor"], ["s-hz-xh"]),
    ("director.pd", "吴技术总监", ["technical_director"], ["s-sh-pd"]),
    ("leader.pd", "郑班组长", ["team_leader"], ["s-sh-pd"]),
    ("leader.body.pd", "冯钣喷组长", ["team_leader"], ["s-sh-pd"]),
    ("tech2.pd", "陈技师", ["technician"], ["s-sh-pd"]),
    ("tech3.pd", "褚技师", ["technician"], ["s-sh-pd"]),
    ("painter.pd", "卫漆工", ["technician"], ["s-sh-pd"]),
]
SUPERVISORS = {"s-sh-pd": "workshop.pd", "s-sh-mh": "workshop.mh", "s-hz-xh": "workshop.xh"}

# team id, name, leader, members: (technician id, name, grade, skills)
TEAMS = {
    "s-sh-pd": [
        ("mech-1", "机修一组", "leader.pd", [
            ("leader.pd", "郑班组长", "senior", ["mechanical", "electrical", "diagnosis"]),
            ("tech.pd", "钱技师", "senior", ["mechanical", "diagnosis"]),
            ("tech2.pd", "陈技师", "mid", ["mechanical", "electrical"]),
            ("tech3.pd", "褚技师", "junior", ["mechanical"])]),
        ("body-1", "钣喷组", "leader.body.pd", [
            ("leader.body.pd", "冯钣喷组长", "senior", ["body", "paint"]),
            ("painter.pd", "卫漆工", "mid", ["paint"])]),
    ],
    "s-sh-mh": [("mech-1", "机修组", None, [
        ("tech.mh.1", "蒋技师", "senior", ["mechanical", "electrical", "diagnosis"]),
        ("tech.mh.2", "沈技师", "mid", ["mechanical"])])],
    "s-hz-xh": [("mech-1", "机修组", None, [
        ("tech.xh.1", "韩技师", "senior", ["mechanical", "electrical", "diagnosis"]),
        ("tech.xh.2", "杨技师", "junior", ["mechanical"])])],
}
BAYS = {"s-sh-pd": [("lift-1", "lift"), ("lift-2", "lift"), ("lift-3", "lift"), ("gen-1", "general"),
                    ("align-1", "alignment"), ("booth-1", "paint_booth")],
        "s-sh-mh": [("lift-1", "lift"), ("lift-2", "lift"), ("gen-1", "general")],
        "s-hz-xh": [("lift-1", "lift"), ("lift-2", "lift"), ("gen-1", "general")]}
# Monday to Saturday, 08:30–17:30 with an hour's lunch: 8 technician hours a day each.
SHIFT = {"weekdays": [0, 1, 2, 3, 4, 5], "start": "08:30:00", "end": "17:30:00", "break_minutes": 60}

OPERATIONS = [  # code, description, flat-rate hours, skill, pay type, OEM code, parts kit (demo_parts' part nos)
    ("OIL-CHG", "更换机油机滤 (保养)", "1.0", "mechanical", "customer", "01A001",
     [("G052195M4", "4"), ("06L115562B", "1")]),
    ("FIRST-SVC", "首次保养", "1.0", "mechanical", "warranty", "01A000", [("G052195M4", "4"), ("06L115562B", "1")]),
    ("BRK-PAD-F", "更换前刹车片", "1.2", "mechanical", "customer", "46A010", [("5Q0698151D", "1")]),
    ("ALIGN", "四轮定位", "0.8", "mechanical", "customer", "44A000", []),
    ("DIAG-ELEC", "电气故障诊断", "1.0", "diagnosis", "customer", "97A000", []),
    ("BATT-CHG", "更换蓄电池", "0.5", "electrical", "customer", "27A010", [("BATT-70AH", "1")]),
    ("BODY-PANEL", "钣金修复 (单面)", "3.0", "body", "insurance", None, []),
    ("PAINT-PANEL", "喷漆 (单面)", "2.5", "paint", "insurance", None, []),
]


async def _login(http: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await http.post("/auth/token", data={"username": user, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _put(http: httpx.AsyncClient, h: dict, path: str, body: dict) -> None:
    r = await http.put(f"/api/workshop{path}", headers=h, json=body)
    if r.status_code != 200:
        raise RuntimeError(f"demo: PUT {path} answered {r.status_code}: {r.text}")


async def _store(http: httpx.AsyncClient, store: str) -> None:
    h = await _login(http, SUPERVISORS[store])
    for team_id, name, leader, members in TEAMS[store]:
        await _put(http, h, f"/stores/{store}/teams/{team_id}", {"name": name, "leader_id": leader})
        for tech, tech_name, grade, skills in members:
            await _put(http, h, f"/stores/{store}/technicians/{tech}",
                       {"name": tech_name, "team_id": team_id, "grade": grade, "skills": skills})
        await _put(http, h, f"/stores/{store}/shifts/{team_id}-day", {"team_id": team_id, **SHIFT})
    for bay, kind in BAYS[store]:
        await _put(http, h, f"/stores/{store}/bays/{bay}", {"kind": kind})
    for code, desc, hours, skill, pay, oem, kit in OPERATIONS:
        await _put(http, h, f"/stores/{store}/operations/{code}", {
            "description": desc, "flat_rate_hours": hours, "skill": skill, "default_pay_type": pay, "oem_code": oem,
            "parts_kit": [{"part_no": p, "quantity": q} for p, q in kit]})


async def load_workshop_demo(platform, http: httpx.AsyncClient) -> None:
    """Users of the workshop floor, then each store's shop and operation codes through the gateway."""
    from gateway.users import upsert_users

    await upsert_users(platform.database_url("gateway"), [
        dict(username=u, display_name=n, password=PASSWORD, dealer_group_id=GROUP, roles=r, store_ids=s)
        for u, n, r, s in USERS])
    from deploy.demo import open_demo_stores

    await open_demo_stores(http, list(SUPERVISORS))
    for store in SUPERVISORS:
        await _store(http, store)
        shop = (await http.get(f"/api/workshop/stores/{store}/shop",
                               headers=await _login(http, SUPERVISORS[store]))).json()
        hours = sum(float(d["technician_hours"]) for d in shop["coming_days"])
        print(f"demo: workshop {store}: {len(shop['technicians'])} technicians, {len(shop['bays'])} bays, "
              f"{hours:.0f} technician hours published for the coming two weeks", flush=True)
