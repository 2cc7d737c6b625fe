"""What the demo dealer group is made of, generated from a size (stores, days, visits per day): its stores, people
for every role, workshop floors, parts rooms, operation codes, customers and their cars, and the plan of visits
per day. Pure and deterministic (the same size gives the same data, so loading twice finds what it made);
deploy/demo.py loads it through the gateway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

GROUP = "dg-huadong"  # 华东汽车集团
PASSWORD = "demo1234"
ADMIN = "admin.hd"  # the group's administrator and analyst (hd: 华东; a store's people end in its code)
ANALYST = "analyst.hd"


@dataclass(frozen=True)
class Size:
    stores: int = 3
    days: int = 14
    """Working days of history before today (Sundays the stores are closed and skipped)."""
    visits_per_day: int = 3
    """Per store and working day."""


SIZES = {
    "small": Size(3, 14, 3),     # ./run start --demo: a few minutes on two cores
    "large": Size(6, 40, 10),    # the benchmarks' data set
}

# store id, name, city, plate prefix, short code (in user names)
NAMED_STORES = [
    ("s-sh-pd", "上海浦东店", "上海", "沪A", "pd"), ("s-sh-mh", "上海闵行店", "上海", "沪C", "mh"),
    ("s-hz-xh", "杭州西湖店", "杭州", "浙A", "xh"), ("s-nj-gl", "南京鼓楼店", "南京", "苏A", "gl"),
    ("s-sz-yq", "苏州园区店", "苏州", "苏E", "yq"), ("s-nb-yz", "宁波鄞州店", "宁波", "浙B", "yz"),
    ("s-wx-bh", "无锡滨湖店", "无锡", "苏B", "bh"), ("s-hf-bh", "合肥包河店", "合肥", "皖A", "hf"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "涛", "明", "超", "霞", "平", "刚", "桂英",
         "建华", "秀兰", "志强", "晓东", "海燕", "文博"]
MODELS = ["帕萨特 330TSI", "途观L 380TSI", "朗逸 1.5L", "ID.4 CROZZ", "威然 380TSI", "迈腾 330TSI", "探岳 280TSI",
          "速腾 300TSI"]
INSURERS = ["中国人保", "平安保险", "太平洋保险"]
# A visit's odometer: the car's registered reading plus 40 km a day since this date (deploy/demo.py), so a day's
# visits are the same whenever the demo is loaded, and no reading goes backwards.
EPOCH, KM_PER_DAY = date(2025, 1, 1), 40

# Monday to Saturday, 08:30-17:30 with an hour's lunch: 8 technician hours a day each.
SHIFT = {"weekdays": [0, 1, 2, 3, 4, 5], "start": "08:30:00", "end": "17:30:00", "break_minutes": 60}
BINS = [("A", "01", "01", "01"), ("A", "01", "02", "03"), ("A", "02", "01", "02"), ("B", "01", "03", "01"),
        ("B", "02", "01", "01")]
SUPPLIERS = [("上汽大众配件中心", "local", "credit", 1), ("顺达汽配", "out_of_town", "cash", 3)]
# part no, name, brand, unit, retail, cost, safety stock, bin, opening stock per planned use, supplier, old part back
PARTS = [
    ("06L115562B", "机油滤清器", "VW", "pc", "68.00", "31.50", "10", "A-01-01-01", 1, 0, False),
    ("G052195M4", "机油 5W-30 (升)", "VW", "l", "78.00", "42.00", "40", "A-01-02-03", 4, 0, False),
    ("5Q0698151D", "前刹车片", "VW", "set", "620.00", "355.00", "4", "A-02-01-02", 1, 0, True),
    ("1K0615301AA", "前刹车盘", "VW", "pc", "480.00", "260.00", "2", "A-02-01-02", 1, 1, True),
    ("5Q0819653", "空调滤芯", "VW", "pc", "158.00", "71.00", "8", "B-01-03-01", 1, 1, False),
    ("BATT-70AH", "蓄电池 70Ah", "VARTA", "pc", "980.00", "610.00", "2", "B-02-01-01", 1, 1, True),
]
OPERATIONS = [  # code, description, flat-rate hours, skill, pay type, OEM code, parts kit
    ("OIL-CHG", "更换机油机滤 (保养)", "1.0", "mechanical", "customer", "01A001",
     [("G052195M4", "4"), ("06L115562B", "1")]),
    ("FIRST-SVC", "首次保养", "1.0", "mechanical", "warranty", "01A000", [("G052195M4", "4"), ("06L115562B", "1")]),
    ("BRK-PAD-F", "更换前刹车片", "1.2", "mechanical", "customer", "46A010", [("5Q0698151D", "1")]),
    ("ALIGN", "四轮定位", "0.8", "mechanical", "customer", "44A000", []),
    ("DIAG-ELEC", "电气故障诊断", "1.0", "diagnosis", "customer", "97A000", []),
    ("BATT-CHG", "更换蓄电池", "0.5", "electrical", "customer", "27A010", [("BATT-70AH", "1")]),
    ("AC-FILTER", "更换空调滤芯", "0.3", "mechanical", "customer", "87A010", [("5Q0819653", "1")]),
    ("BODY-PANEL", "钣金修复 (单面)", "3.0", "body", "insurance", None, []),
    ("PAINT-PANEL", "喷漆 (单面)", "2.5", "paint", "insurance", None, []),
]
KITS = {code: kit for code, *_, kit in OPERATIONS}
TODAY_CARS = 2  # per store, left in the workshop at the end of a load

# What a day's visits are, in turn (each store starts at another place in the round):
#   service   booked the day before, a service with its parts kit (parts reserved, issued, reconciled)
#   added     a finding approved by the customer: a second job
#   warranty  a job on the manufacturer's warranty: a claim submitted to the manufacturer, paid later
#   declined  a safety finding the customer declines, signing for it (crm offers it again a month later)
#   rework    the final check fails; the job is reworked and passes (the first-time-fix rate drops)
#   complaint a service whose follow-up call raises a complaint: assigned, resolved, closed
#   walk_in   a first visit: reception records customer and car (crm learns of them)
KINDS = ["service", "added", "complaint", "warranty", "declined", "walk_in", "rework", "service", "service"]
# The job each kind opens with (the warranty visit adds a warranty line).
FIRST_JOB = {"service": "OIL-CHG", "added": "OIL-CHG", "warranty": "OIL-CHG", "declined": "OIL-CHG",
             "rework": "BRK-PAD-F", "complaint": "AC-FILTER", "walk_in": "ALIGN"}


@dataclass(frozen=True)
class Store:
    id: str
    name: str
    city: str
    plate: str
    code: str


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[str, ...]
    stores: tuple[str, ...] = ()


@dataclass(frozen=True)
class Car:
    """A customer and their car, as customer care registers them."""

    store: str
    n: int
    customer: str
    phone: str
    company: bool
    vin_stem: str
    plate: str
    model: str
    sale_date: date
    odometer_km: int
    kind: str
    """warranty (in warranty), insurance (policy expiring within the month), lapsed (no visit since long
    past due: never in the plan), or regular."""
    insurance_expiry: date | None = None
    insurer: str | None = None


@dataclass(frozen=True)
class PlannedVisit:
    store: str
    day: date
    n: int
    kind: str
    car: Car | None
    """None for a walk-in (a car crm does not know)."""
    technician: str

    @property
    def key(self) -> str:
        """What the visit's Idempotency-Keys derive from: store, day, visit."""
        return f"{GROUP}/{self.store}/{self.day.isoformat()}/{self.n}"


def walk_in(pv: PlannedVisit, store: Store) -> Car:
    """The first-visit customer and car of a walk-in (reception records them; crm learns of them)."""
    seed = hashlib.sha256(pv.key.encode()).hexdigest().upper()  # hex digits: never I, O or Q
    return Car(store.id, -1, _person(pv.key), "186" + _digits(seed, 8), False, "LSV" + seed[:14],
               store.plate + seed[-5:], _pick(pv.key, MODELS), pv.day, 20000, "walk_in")


@dataclass
class Plan:
    size: Size
    today: date
    stores: list[Store]
    users: list[User]
    technicians: dict[str, list[tuple[str, str, str, list[str]]]]
    cars: dict[str, list[Car]]
    days: list[date] = field(default_factory=list)

    def visits(self, day: date) -> list[PlannedVisit]:
        out = []
        d = day.toordinal()  # the day's visits are the same whichever window of days a load covers
        for si, store in enumerate(self.stores):
            techs = [t[0] for t in self.technicians[store.id]][1:]  # the leader checks, the others work
            regulars = [c for c in self.cars[store.id] if c.kind != "lapsed" and c not in self._kept(store.id)]
            warranty = [c for c in regulars if c.kind == "warranty"]
            used: set[str] = set()
            for i in range(self.size.visits_per_day):
                kind = KINDS[(d * self.size.visits_per_day + i + si) % len(KINDS)]
                car = None
                if kind != "walk_in":
                    pool = warranty if kind == "warranty" and warranty else regulars
                    start = (d * self.size.visits_per_day + i) % len(pool)
                    car = next(pool[(start + k) % len(pool)] for k in range(len(pool))
                               if pool[(start + k) % len(pool)].vin_stem not in used)
                    used.add(car.vin_stem)
                out.append(PlannedVisit(store.id, day, i, kind, car, techs[i % len(techs)]))
        return out

    def _kept(self, store_id: str) -> list[Car]:
        """The cars in the workshop today (left there, in progress): never in the history's visits."""
        return [c for c in self.cars[store_id] if c.kind == "regular"][-TODAY_CARS:]

    def today_visits(self) -> list[PlannedVisit]:
        """A car or two per store in the workshop today, each with a technician of its own."""
        out = []
        for store in self.stores:
            techs = [t[0] for t in self.technicians[store.id]][1:]
            for i, car in enumerate(reversed(self._kept(store.id))):
                out.append(PlannedVisit(store.id, self.today, i, ("service", "rework")[i % 2], car, techs[-1 - i]))
        return out

    def daily_delivery(self) -> dict[str, int]:
        """What a store's parts room receives each morning: what a day's visits may use at most."""
        use: dict[str, int] = {}
        for code in ("OIL-CHG", "BRK-PAD-F", "AC-FILTER"):
            for part, qty in KITS[code]:
                use[part] = max(use.get(part, 0), int(qty) * self.size.visits_per_day)
        return use

    def part_use(self) -> dict[str, int]:
        """How much of each part the whole history uses at most (every visit's first job's kit, the
        added brake job, the today's few), for the opening stock."""
        visits = self.size.days * self.size.visits_per_day + 10
        use: dict[str, int] = {}
        for code in ("OIL-CHG", "BRK-PAD-F", "AC-FILTER"):
            for part, qty in KITS[code]:
                use[part] = use.get(part, 0) + int(qty) * visits
        return use


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n].rjust(n, "0")


def _pick(seed: str, options):
    return options[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)]


def stores(n: int) -> list[Store]:
    out = [Store(*s) for s in NAMED_STORES[:n]]
    for i in range(len(out), n):
        out.append(Store(f"s-hd-{i + 1:02d}", f"华东{i + 1}号店", "上海", "沪B", f"s{i + 1:02d}"))
    return out


def _person(seed: str) -> str:
    return _pick(seed + "s", SURNAMES) + _pick(seed + "g", GIVEN)


def people(store: Store, technicians: int, first: bool) -> tuple[list[User], list[tuple[str, str, str, list[str]]]]:
    """A store's people, one or more per role, and its technicians (id = user name, name, grade, skills)."""
    c, s = store.code, (store.id,)
    staff = [("advisor", "顾问", "advisor"), ("advisor2", "顾问", "advisor"),
             ("frontdesk", "前台主管", "front_desk_supervisor"), ("workshop", "车间主任", "workshop_supervisor"),
             ("director", "技术总监", "technical_director"), ("leader", "班组长", "team_leader"),
             ("qc", "质检", "qc_inspector"), ("parts", "配件经理", "parts_manager"),
             ("keeper", "库管员", "parts_clerk"),
             ("warranty", "索赔专员", "warranty_specialist"), ("insurance", "理赔专员", "insurance_clerk"),
             ("care", "客服", "customer_care"), ("manager", "服务经理", "service_manager"),
             ("gm", "总经理", "general_manager")]
    users = [User(f"{u}.{c}", _person(f"{u}.{c}")[0] + title, (role,), s) for u, title, role in staff]
    techs = [(f"leader.{c}", users[5].name, "senior", ["mechanical", "electrical", "diagnosis"])]
    for i in range(technicians):
        uid = f"tech.{c}" if i == 0 else f"tech{i + 1}.{c}"
        name = "钱技师" if (first and i == 0) else _person(uid)[0] + "技师"  # tech.pd: the boards' tests' 钱技师
        grade = ("senior", "mid", "junior")[i % 3]
        techs.append((uid, name, grade, ["mechanical", "electrical", "diagnosis"] if grade == "senior"
                      else ["mechanical", "electrical"] if grade == "mid" else ["mechanical"]))
        users.append(User(uid, name, ("technician",), s))
    return users, techs


def cars(store: Store, count: int, today: date) -> list[Car]:
    """A store's customers and cars: a third in warranty (sold in the last three years), some whose insurance
    runs out within the month, some lapsed (sold long ago, never seen since), the rest regulars; one in ten a
    company."""
    out = []
    for n in range(count):
        seed = f"{store.id}/{n}"
        kind = ("warranty", "regular", "insurance", "warranty", "lapsed", "regular")[n % 6]
        months = {"warranty": 8 + n % 24, "lapsed": 20 + n % 12}.get(kind, 40 + n % 30)
        sale = today - timedelta(days=30 * months + n % 28)
        company = n % 10 == 9
        name = f"{store.city}{_pick(seed, ['迅达', '华通', '安捷', '远航'])}物流有限公司" if company else _person(seed)
        stem = "LSV" + "".join(_pick(f"{seed}/{k}", "ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for k in range(14))
        insurance = today + timedelta(days=10 + n % 20) if kind == "insurance" else today + timedelta(days=120 + n)
        out.append(Car(store.id, n, name, "137" + _digits(seed + "phone", 8), company, stem,
                       store.plate + _digits(seed + "plate", 5), _pick(seed + "m", MODELS), sale,
                       3000 + n * 997 % 20000, kind, insurance, _pick(seed + "i", INSURERS)))
    return out


def history_days(today: date, days: int) -> list[date]:
    """The `days` working days (Monday to Saturday) before `today`, oldest first."""
    out, d = [], today
    while len(out) < days:
        d -= timedelta(days=1)
        if d.weekday() < 6:
            out.append(d)
    return sorted(out)


def plan(size: Size, today: date) -> Plan:
    the_stores = stores(size.stores)
    users = [User(ADMIN, "林管理员", ("group_admin",)), User(ANALYST, "陈分析师", ("group_analyst",))]
    technicians, all_cars = {}, {}
    for i, store in enumerate(the_stores):
        staff, techs = people(store, max(3, size.visits_per_day), first=i == 0)
        users += staff
        technicians[store.id] = techs
        all_cars[store.id] = cars(store, max(12, 3 * size.visits_per_day), today)
    return Plan(size, today, the_stores, users, technicians, all_cars, history_days(today, size.days))
