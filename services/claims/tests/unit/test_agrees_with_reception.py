"""reception's settlement and claims agree: what reception invoices to the manufacturer for a repair order
equals the claim's amount before decision (the same rounding, line by line)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from claims.domain.warranty_claim import WarrantyClaim, claim_amount
from reception.domain.pricing import Job, PartItem, settle
from shared.contracts.common import PayType

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_claim_amount_is_what_the_settlement_charges_the_manufacturer():
    jobs = [
        Job(job_id="j-1", description="gearbox whine", pay_type=PayType.WARRANTY, flat_rate_hours=Decimal("2.35"),
            labour_rate=Decimal("287.5"), parts=[PartItem(part_no="GB-1", quantity=Decimal("1"),
                                                          unit_price=Decimal("1999.995")),
                                                 PartItem(part_no="SEAL-2", quantity=Decimal("3"),
                                                          unit_price=Decimal("12.333"))]),
        Job(job_id="j-2", description="sensor", pay_type=PayType.WARRANTY, flat_rate_hours=Decimal("0.333"),
            labour_rate=Decimal("301"), parts=[]),
        Job(job_id="j-3", description="oil change", pay_type=PayType.CUSTOMER, flat_rate_hours=Decimal("1"),
            labour_rate=Decimal("300"), parts=[PartItem(part_no="OIL", quantity=Decimal(4), unit_price=Decimal(68))]),
    ]
    sheet = settle(jobs, [], tax_rate=Decimal("0.13"), first_service_free=False)
    contract_jobs = [j.to_contract() for j in jobs]  # what RepairOrderOpened carries
    warranty = [j for j in contract_jobs if j.pay_type is PayType.WARRANTY]
    assert claim_amount(warranty) == sheet.totals_by_pay_type["warranty"]
    claim = WarrantyClaim.open(id="c", dealer_group_id="dg", store_id="s", claim_number="WC-1", repair_order_id="ro",
                               repair_order_number="RO-1", vehicle_id="v", vin="LSVAU2180N2183294", odometer_km=1,
                               jobs=warranty, now=NOW, today=NOW.date())
    assert claim.amount == sheet.totals_by_pay_type["warranty"]
