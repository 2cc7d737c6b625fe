"""workshop's consumer groups: reception's repair orders (the queue, added work, closing) and parts'
issues (a job completes only with its parts issued). Handlers are `(uow, event)`; the inbox makes
each delivery count once."""

from __future__ import annotations

from shared.contracts import parts, reception
from shared.kit import EventHandlers

from ..service_layer import facts

repair_orders = EventHandlers("repair-orders")
parts_issues = EventHandlers("parts-issues")

repair_orders.on(reception.RepairOrderOpened)(facts.repair_order_opened)
repair_orders.on(reception.AdditionalWorkApproved)(facts.added_work_approved)
repair_orders.on(reception.AdditionalWorkDeclined)(facts.added_work_declined)
repair_orders.on(reception.VehicleDelivered, reception.RepairOrderCancelled)(facts.order_closed)
parts_issues.on(parts.PartsIssued, parts.PartsReturned)(facts.parts_moved)

EVENTS: list[EventHandlers] = [repair_orders, parts_issues]
