"""Reminders (提醒) and lapsed customers (流失客户) as plain rules over a vehicle's facts and a date."""

from datetime import date, timedelta

from crm.domain.reminders import (
    CustomerFacts,
    Reading,
    TaskKind,
    VehicleFacts,
    declined_work_reminder,
    estimate_date_for_km,
    lapsed_return_call,
    reminders_due,
)

C = CustomerFacts("c-1")


def vehicle(**kw) -> VehicleFacts:
    return VehicleFacts(**(dict(vehicle_id="v-1", customer_id="c-1", store_id="s-001") | kw))


def kinds(v, today, customer=C):
    return {r.kind: r for r in reminders_due(v, customer, today)}


def test_mileage_is_estimated_from_the_odometer_history():
    rs = [Reading(date(2026, 1, 1), 10000), Reading(date(2026, 3, 2), 16000)]  # 100 km a day
    assert estimate_date_for_km(rs, 20000) == date(2026, 4, 11)
    assert estimate_date_for_km(rs[:1], 20000) is None  # one reading says nothing about use


def test_maintenance_is_due_by_date_or_by_mileage_whichever_comes_first():
    v = vehicle(last_visit_on=date(2026, 1, 1), next_service_date=date(2026, 7, 1), next_service_km=20000,
                readings=[Reading(date(2026, 1, 1), 10000), Reading(date(2026, 3, 2), 16000)])
    # by mileage: 20,000 km around 11 April; call a week before
    assert TaskKind.MAINTENANCE_DUE not in kinds(v, date(2026, 3, 26))
    r = kinds(v, date(2026, 3, 28))[TaskKind.MAINTENANCE_DUE]
    assert r.due_on == date(2026, 4, 4) and "2026-04-11" in r.detail
    slow = vehicle(last_visit_on=date(2026, 1, 1), next_service_date=date(2026, 7, 1), next_service_km=20000,
                   readings=[Reading(date(2026, 1, 1), 10000), Reading(date(2026, 3, 2), 10600)])
    assert kinds(slow, date(2026, 6, 20))[TaskKind.MAINTENANCE_DUE].due_on == date(2026, 6, 24)


def test_first_service_after_purchase():
    v = vehicle(sale_date=date(2026, 1, 10))
    r = kinds(v, date(2026, 4, 1))[TaskKind.FIRST_SERVICE]
    assert r.due_on == date(2026, 4, 3)  # three months after the sale, minus a week
    assert kinds(v, date(2026, 3, 1)) == {}


def test_warranty_and_insurance_expiring():
    v = vehicle(warranty_start=date(2023, 6, 1), warranty_years=3, insurance_expiry=date(2026, 6, 15))
    got = kinds(v, date(2026, 5, 1))
    assert got[TaskKind.WARRANTY_EXPIRING].due_on == date(2026, 5, 2)  # a month before it ends
    assert TaskKind.INSURANCE_EXPIRING not in got  # on the list a week before the call date, not earlier
    assert kinds(v, date(2026, 5, 10))[TaskKind.INSURANCE_EXPIRING].due_on == date(2026, 5, 16)
    assert TaskKind.INSURANCE_EXPIRING not in kinds(v, date(2026, 6, 16))  # already lapsed: nothing to renew


def test_no_visit_three_months_past_due_is_a_lapsed_customer():
    v = vehicle(last_visit_on=date(2025, 10, 1), next_service_date=date(2026, 1, 1))
    assert TaskKind.LAPSED_CUSTOMER not in kinds(v, date(2026, 4, 1))
    got = kinds(v, date(2026, 4, 2))
    assert got[TaskKind.LAPSED_CUSTOMER].due_on == date(2026, 4, 2)
    assert TaskKind.MAINTENANCE_DUE not in got


def test_customers_who_refused_or_are_long_unreachable_are_not_called():
    v = vehicle(insurance_expiry=date(2026, 6, 15))
    assert kinds(v, date(2026, 5, 10), CustomerFacts("c-1", consent_to_call=False)) == {}
    assert kinds(v, date(2026, 5, 10), CustomerFacts("c-1", unreachable_since=date(2025, 10, 1))) == {}
    assert kinds(v, date(2026, 5, 10), CustomerFacts("c-1", unreachable_since=date(2026, 4, 1)))  # not long yet


def test_a_returning_lapsed_customer_is_called_seven_days_later():
    r = lapsed_return_call(customer_id="c-1", vehicle_id="v-1", store_id="s-001", repair_order_id="ro-9",
                           delivered_on=date(2026, 4, 20))
    assert r.kind == TaskKind.LAPSED_RETURN and r.due_on == date(2026, 4, 27)


def test_declined_work_becomes_a_later_reminder():
    r = declined_work_reminder(customer_id="c-1", vehicle_id="v-1", store_id="s-001", repair_order_id="ro-9",
                               delivered_on=date(2026, 4, 20), declined=["front brake pads 3mm", " "])
    assert r.kind == TaskKind.DECLINED_WORK and r.due_on == date(2026, 4, 20) + timedelta(days=30)
    assert "front brake pads" in r.detail
    assert declined_work_reminder(customer_id="c-1", vehicle_id="v-1", store_id="s", repair_order_id="ro",
                                  delivered_on=date(2026, 4, 20), declined=[]) is None


def test_the_same_reminder_has_the_same_key_every_day():
    v = vehicle(insurance_expiry=date(2026, 6, 15))
    a = kinds(v, date(2026, 5, 10))[TaskKind.INSURANCE_EXPIRING]
    b = kinds(v, date(2026, 5, 20))[TaskKind.INSURANCE_EXPIRING]
    assert a.key == b.key


def test_an_insurance_renewal_from_claims_is_the_same_task_as_the_daily_jobs():
    from datetime import date as day

    from crm.domain.reminders import TaskKind, insurance_renewal_call

    r = insurance_renewal_call(vehicle_id="v-1", customer_id="c-1", store_id="s-1", insurer="平安", policy_number="P-9",
                               expires_on=day(2027, 3, 31), today=day(2027, 2, 1))
    assert (r.kind, r.due_on, r.key) == (TaskKind.INSURANCE_EXPIRING, day(2027, 3, 1),
                                         "insurance_expiring:v-1:2027-03-31")
    late = insurance_renewal_call(vehicle_id="v-1", customer_id="c-1", store_id="s-1", insurer="平安",
                                  policy_number="P-9", expires_on=day(2027, 3, 31), today=day(2027, 3, 20))
    assert late.due_on == day(2027, 3, 20) and "平安" in late.detail
