"""Check-in rules: one open order per vehicle, the plate against the record, the highest known odometer."""

import pytest
from reception.domain.repair_order import PlateMismatch, RepairOrder, highest_odometer, plate_check
from shared.errors import Conflict, DomainError

from .test_repair_order import NOW, checked_in, opened, ready, sheet, sheet_for


def check_in(history, odometer_km=12000, last_odometer_km=None):
    return RepairOrder.check_in_vehicle(id="ro2", dealer_group_id="dg", store_id="s1", vehicle_id="v1",
                                        customer_id="c1", advisor_id="adv", sheet=sheet(odometer_km=odometer_km),
                                        last_odometer_km=last_odometer_km, history=history)


@pytest.mark.parametrize("make", [checked_in, opened])
def test_a_second_order_is_refused_while_the_first_is_checked_in_or_open(make):
    first = make()
    with pytest.raises(Conflict) as e:
        check_in([first])
    assert e.value.field == "vehicle_id" and e.value.extra["open_repair_order_id"] == "ro1"
    assert e.value.extra["open_repair_order_number"] == first.number
    assert "put the new work on that order" in e.value.message


def test_a_new_order_once_the_first_is_invoiced_delivered_or_cancelled():
    delivered = ready(opened())
    delivered.invoice(invoice_number="INV-1", sheet=sheet_for(delivered), now=NOW)
    cancelled = checked_in()
    cancelled.cancel("wrong car")
    assert check_in([delivered, cancelled]).id == "ro2"


def test_the_odometer_is_checked_against_the_highest_known_reading():
    earlier = ready(opened())  # checked in at 12 000 km
    earlier.invoice(invoice_number="INV-1", sheet=sheet_for(earlier), now=NOW)
    earlier.deliver(now=NOW, next_service_date=None, next_service_km=None, odometer_out_km=12010)
    # crm's replica still says 11 000 (it lags the delivery): reception's own reading counts
    assert highest_odometer(11000, [earlier]) == (12010, "repair order RO-1")
    with pytest.raises(DomainError) as e:
        check_in([earlier], odometer_km=12005, last_odometer_km=11000)
    assert e.value.field == "odometer_km" and e.value.extra["last_odometer_km"] == 12010
    assert "RO-1" in e.value.message
    assert check_in([earlier], odometer_km=12010, last_odometer_km=11000)
    assert highest_odometer(20000, [earlier]) == (20000, "crm's vehicle record")
    cancelled = checked_in(odometer_km=99999)
    cancelled.cancel("typo")
    assert highest_odometer(None, [cancelled]) == (None, "crm's vehicle record")


def test_a_plate_differing_from_the_record_needs_confirming_then_is_recorded():
    assert plate_check("沪A12345", "沪A12345", confirmed=False) is None
    assert plate_check("沪a·12345", "沪A12345", confirmed=False) is None  # the same plate written differently
    assert plate_check(None, "沪A12345", confirmed=False) is None
    with pytest.raises(Conflict) as e:
        plate_check("沪B99999", "沪A12345", confirmed=False)
    assert e.value.field == "plate"
    assert e.value.extra == {"plate_on_record": "沪A12345", "plate_at_check_in": "沪B99999"}
    assert plate_check("沪B99999", "沪A12345", confirmed=True) == PlateMismatch(on_record="沪A12345",
                                                                               at_check_in="沪B99999")
