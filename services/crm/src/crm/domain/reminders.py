"""Reminders (提醒) and lapsed customers (流失客户): who customer care should call, and when.

Pure rules over a vehicle's facts and a date. The daily job feeds them; each reminder
becomes a call task for a customer-care agent with the date the call is due.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

FIRST_SERVICE_MONTHS = 3          # first service (首保) after purchase: 3 months ...
FIRST_SERVICE_KM = 5000           # ... or 5,000 km, whichever comes first
CALL_DAYS_BEFORE_SERVICE = 7      # call a week before a service falls due
CALL_DAYS_BEFORE_EXPIRY = 30      # call a month before warranty or insurance runs out
TASK_HORIZON_DAYS = 7             # a task appears on the agents' list a week before its call date
LAPSED_AFTER_MONTHS = 3           # no visit 3 months past due: a lapsed customer
LAPSED_RETURN_CALL_DAYS = 7       # a lapsed customer who comes back is called 7 days later
DECLINED_WORK_CALL_DAYS = 30      # declined recommended work is offered again a month later
UNREACHABLE_DAYS = 180            # unreachable this long: not a target any more


class TaskKind(StrEnum):
    MAINTENANCE_DUE = "maintenance_due"
    FIRST_SERVICE = "first_service"
    WARRANTY_EXPIRING = "warranty_expiring"
    INSURANCE_EXPIRING = "insurance_expiring"
    LAPSED_CUSTOMER = "lapsed_customer"
    LAPSED_RETURN = "lapsed_return"
    DECLINED_WORK = "declined_work"


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Reading:
    read_on: date
    km: int


def estimate_date_for_km(readings: list[Reading], target_km: int) -> date | None:
    """When the odometer will show `target_km`, from the average daily distance of its history."""
    rs = sorted(readings, key=lambda r: (r.read_on, r.km))
    if not rs:
        return None
    last = rs[-1]
    if last.km >= target_km:
        return last.read_on
    first = rs[0]
    days = (last.read_on - first.read_on).days
    if days <= 0 or last.km <= first.km:
        return None
    per_day = (last.km - first.km) / days
    return last.read_on + timedelta(days=int((target_km - last.km) / per_day))


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: str
    consent_to_call: bool = True
    unreachable_since: date | None = None


def is_call_target(c: CustomerFacts, today: date) -> bool:
    """Customers who refused contact, or unreachable for a long time, are not called."""
    if not c.consent_to_call:
        return False
    return c.unreachable_since is None or (today - c.unreachable_since).days < UNREACHABLE_DAYS


@dataclass(frozen=True)
class VehicleFacts:
    vehicle_id: str
    customer_id: str
    store_id: str
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = None
    warranty_km: int | None = None
    insurance_expiry: date | None = None
    readings: list[Reading] = field(default_factory=list)
    last_visit_on: date | None = None
    next_service_date: date | None = None   # agreed at the last delivery or follow-up call
    next_service_km: int | None = None


@dataclass(frozen=True)
class Reminder:
    kind: TaskKind
    vehicle_id: str | None
    customer_id: str
    store_id: str
    due_on: date
    key: str        # one task per key, however often the job runs
    detail: str


def service_due(v: VehicleFacts) -> tuple[TaskKind, date] | None:
    """The next service: after a visit, by the agreed date or mileage (whichever first); never
    serviced, the first service after purchase."""
    if v.last_visit_on is not None:
        dates = [d for d in (v.next_service_date,
                             estimate_date_for_km(v.readings, v.next_service_km) if v.next_service_km else None) if d]
        return (TaskKind.MAINTENANCE_DUE, min(dates)) if dates else None
    if v.sale_date is None:
        return None
    dates = [add_months(v.sale_date, FIRST_SERVICE_MONTHS)]
    by_km = estimate_date_for_km([Reading(v.sale_date, 0), *v.readings], FIRST_SERVICE_KM)
    if by_km:
        dates.append(by_km)
    return TaskKind.FIRST_SERVICE, min(dates)


def warranty_end(v: VehicleFacts) -> date | None:
    if v.warranty_start is None or not v.warranty_years:
        return None
    end = add_months(v.warranty_start, 12 * v.warranty_years)
    if v.warranty_km:
        by_km = estimate_date_for_km([Reading(v.warranty_start, 0), *v.readings], v.warranty_km)
        if by_km and by_km < end:
            end = by_km
    return end


def _upcoming(call_on: date, event_on: date, today: date) -> bool:
    return call_on - timedelta(days=TASK_HORIZON_DAYS) <= today <= event_on


def reminders_due(v: VehicleFacts, customer: CustomerFacts, today: date) -> list[Reminder]:
    """Everything the daily job should turn into call tasks for this vehicle on `today`."""
    if not is_call_target(customer, today):
        return []
    out: list[Reminder] = []

    def add(kind: TaskKind, due_on: date, basis: date, detail: str) -> None:
        out.append(Reminder(kind, v.vehicle_id, v.customer_id, v.store_id, max(due_on, today),
                            f"{kind.value}:{v.vehicle_id}:{basis.isoformat()}", detail))

    due = service_due(v)
    if due:
        kind, on = due
        lapsed_on = add_months(on, LAPSED_AFTER_MONTHS)
        if today > lapsed_on:
            add(TaskKind.LAPSED_CUSTOMER, today, on,
                f"no visit since the service due on {on.isoformat()}: call and record why")
        elif _upcoming(on - timedelta(days=CALL_DAYS_BEFORE_SERVICE), lapsed_on, today):
            what = "first service after purchase" if kind == TaskKind.FIRST_SERVICE else "scheduled maintenance"
            add(kind, on - timedelta(days=CALL_DAYS_BEFORE_SERVICE), on, f"{what} due {on.isoformat()}")
    end = warranty_end(v)
    if end and _upcoming(end - timedelta(days=CALL_DAYS_BEFORE_EXPIRY), end, today):
        add(TaskKind.WARRANTY_EXPIRING, end - timedelta(days=CALL_DAYS_BEFORE_EXPIRY), end,
            f"warranty ends {end.isoformat()}")
    if v.insurance_expiry and _upcoming(v.insurance_expiry - timedelta(days=CALL_DAYS_BEFORE_EXPIRY),
                                        v.insurance_expiry, today):
        add(TaskKind.INSURANCE_EXPIRING, v.insurance_expiry - timedelta(days=CALL_DAYS_BEFORE_EXPIRY),
            v.insurance_expiry, f"insurance expires {v.insurance_expiry.isoformat()}: offer the renewal")
    return out


def insurance_renewal_call(*, vehicle_id: str, customer_id: str, store_id: str, insurer: str, policy_number: str,
                           expires_on: date, today: date) -> Reminder:
    """A policy claims learnt of expires soon: call a month before to offer the renewal (续保). Same key as the
    daily job's insurance reminder for that expiry, so the two never make two tasks."""
    return Reminder(TaskKind.INSURANCE_EXPIRING, vehicle_id, customer_id, store_id,
                    max(expires_on - timedelta(days=CALL_DAYS_BEFORE_EXPIRY), today),
                    f"{TaskKind.INSURANCE_EXPIRING.value}:{vehicle_id}:{expires_on.isoformat()}",
                    f"{insurer} policy {policy_number} expires {expires_on.isoformat()}: offer the renewal")


def lapsed_return_call(*, customer_id: str, vehicle_id: str, store_id: str, repair_order_id: str,
                       delivered_on: date) -> Reminder:
    """A lapsed customer came back: call them 7 days after the visit to see how it went."""
    return Reminder(TaskKind.LAPSED_RETURN, vehicle_id, customer_id, store_id,
                    delivered_on + timedelta(days=LAPSED_RETURN_CALL_DAYS),
                    f"lapsed_return:{repair_order_id}", "lapsed customer came back: ask how the visit went")


def declined_work_reminder(*, customer_id: str, vehicle_id: str, store_id: str, repair_order_id: str,
                           delivered_on: date, declined: list[str]) -> Reminder | None:
    """Recommended work the customer declined at delivery is offered again later."""
    items = [d.strip() for d in declined if d and d.strip()]
    if not items:
        return None
    return Reminder(TaskKind.DECLINED_WORK, vehicle_id, customer_id, store_id,
                    delivered_on + timedelta(days=DECLINED_WORK_CALL_DAYS),
                    f"declined_work:{repair_order_id}", "declined at delivery: " + "; ".join(items))
