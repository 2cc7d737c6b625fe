"""crm's Kafka consumers: what reception and claims tell customer care (consumer group "crm.care")."""

from __future__ import annotations

from shared.contracts import claims, reception
from shared.kit import EventHandlers

from ..service_layer import call_tasks, deliveries, walk_ins

care = EventHandlers("care")

care.on(reception.WalkInCustomerRecorded)(walk_ins.walk_in_recorded)
care.on_batch(reception.VehicleDelivered)(deliveries.vehicles_delivered)
care.on(claims.InsuranceRenewalDue)(call_tasks.insurance_renewal_due)
