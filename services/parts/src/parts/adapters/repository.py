"""parts's repositories (shared.kit.Repository) and read queries. Never commits: the unit of work does."""

from __future__ import annotations

from typing import Any

from shared.kit import Repository

from ..domain.counts import StockCount
from ..domain.demand import Demand
from ..domain.issuing import IssueSlip, RepairOrderCopy
from ..domain.purchasing import PurchaseOrder, PurchasePlan, Receipt
from ..domain.stock import Bin, Part, Supplier
from ..domain.write_offs import WriteOff
from . import orm


class Parts(Repository[Part]):
    table = orm.PartRow.__table__
    aggregate = Part
    id_field = "part_no"

    def columns(self, p: Part) -> dict[str, Any]:
        return {"part_no": p.part_no, "bin_id": p.bin_id}


class Bins(Repository[Bin]):
    table = orm.BinRow.__table__
    aggregate = Bin
    id_field = "bin_id"

    def columns(self, b: Bin) -> dict[str, Any]:
        return {"code": b.location.code}


class Suppliers(Repository[Supplier]):
    table = orm.SupplierRow.__table__
    aggregate = Supplier
    id_field = "supplier_id"
    store_scoped = False  # a group's suppliers serve all its stores
    real_store = False  # its store_id is the creator's first store, or "group"


class RepairOrderCopies(Repository[RepairOrderCopy]):
    table = orm.RepairOrderCopyRow.__table__
    aggregate = RepairOrderCopy
    id_field = "repair_order_id"

    def columns(self, ro: RepairOrderCopy) -> dict[str, Any]:
        return {"open": ro.open}


class Demands(Repository[Demand]):
    table = orm.DemandRow.__table__
    aggregate = Demand
    id_field = "reference_id"

    def columns(self, d: Demand) -> dict[str, Any]:
        return {"state": d.state.value}


class IssueSlips(Repository[IssueSlip]):
    table = orm.IssueSlipRow.__table__
    aggregate = IssueSlip
    id_field = "slip_id"

    def columns(self, s: IssueSlip) -> dict[str, Any]:
        return {"repair_order_id": s.repair_order_id, "state": s.state.value}


class StockCounts(Repository[StockCount]):
    table = orm.StockCountRow.__table__
    aggregate = StockCount
    id_field = "count_id"

    def columns(self, c: StockCount) -> dict[str, Any]:
        return {"state": c.state.value}


class WriteOffs(Repository[WriteOff]):
    table = orm.WriteOffRow.__table__
    aggregate = WriteOff
    id_field = "write_off_id"

    def columns(self, w: WriteOff) -> dict[str, Any]:
        return {"state": w.state.value, "quarter": w.quarter}


class PurchasePlans(Repository[PurchasePlan]):
    table = orm.PurchasePlanRow.__table__
    aggregate = PurchasePlan
    id_field = "plan_id"

    def columns(self, p: PurchasePlan) -> dict[str, Any]:
        return {"state": p.state.value}


class PurchaseOrders(Repository[PurchaseOrder]):
    table = orm.PurchaseOrderRow.__table__
    aggregate = PurchaseOrder
    id_field = "purchase_order_id"

    def columns(self, o: PurchaseOrder) -> dict[str, Any]:
        return {"state": o.state.value, "supplier_id": o.supplier_id}


class Receipts(Repository[Receipt]):
    table = orm.ReceiptRow.__table__
    aggregate = Receipt
    id_field = "receipt_id"

    def columns(self, r: Receipt) -> dict[str, Any]:
        return {"state": r.state.value}
