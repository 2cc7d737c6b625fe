"""claims's repositories (shared.kit.Repository) and read queries. Never commits: the unit of work does."""

from __future__ import annotations

from shared.kit import Repository, UnitOfWork
from sqlalchemy import select

from ..domain.eligibility import VehicleCover
from ..domain.insurance_claim import InsuranceClaim
from ..domain.warranty_claim import WarrantyClaim
from .orm import InsuranceClaimRow, RepairOrderReplica, VehicleReplica, WarrantyClaimRow


class WarrantyClaims(Repository[WarrantyClaim]):
    table = WarrantyClaimRow.__table__
    aggregate = WarrantyClaim
    id_field = "claim_id"

    def columns(self, c: WarrantyClaim) -> dict:
        return {"claim_number": c.claim_number, "repair_order_id": c.repair_order_id, "state": c.state.value,
                "outstanding": c.outstanding, "return_parts_by": c.return_parts_by,
                "parts_shipped": c.parts_shipped is not None}

    async def by_number(self, claim_number: str) -> WarrantyClaim | None:
        """The claim the manufacturer names (locked), in the acting dealer group."""
        t = self.table
        row = (await self.uow.session.execute(
            select(t.c.id).where(t.c.claim_number == claim_number))).scalar_one_or_none()
        return None if row is None else await self.find(row)


class InsuranceClaims(Repository[InsuranceClaim]):
    table = InsuranceClaimRow.__table__
    aggregate = InsuranceClaim
    id_field = "claim_id"

    def columns(self, c: InsuranceClaim) -> dict:
        return {"vehicle_id": c.vehicle_id, "repair_order_id": c.repair_order_id, "insurer": c.insurer,
                "state": c.state.value, "outstanding": c.outstanding, "policy_expiry": c.policy_expiry}


async def vehicle_cover(uow: UnitOfWork, vehicle_id: str) -> tuple[VehicleReplica | None, VehicleCover | None]:
    """crm's vehicle record as claims keeps it, and its warranty terms (None when not replicated yet)."""
    v = await uow.session.get(VehicleReplica, vehicle_id)
    if v is None or v.dealer_group_id != uow.actor.dealer_group_id:
        return None, None
    return v, VehicleCover(sale_date=v.sale_date, warranty_start=v.warranty_start, warranty_years=v.warranty_years,
                           warranty_km=v.warranty_km)


async def repair_order(uow: UnitOfWork, repair_order_id: str) -> RepairOrderReplica | None:
    ro = await uow.session.get(RepairOrderReplica, repair_order_id)
    return ro if ro is not None and ro.dealer_group_id == uow.actor.dealer_group_id else None
