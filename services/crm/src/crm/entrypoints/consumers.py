"""crm's Kafka consumers: what reception tells customer care (consumer group "crm.care")."""

from __future__ import annotations

from shared.contracts import reception
from shared.kit import EventHandlers

from ..service_layer import deliveries, walk_ins

care = EventHandlers("care")

care.on(reception.WalkInCustomerRecorded)(walk_ins.walk_in_recorded)
care.on(reception.VehicleDelivered)(deliveries.vehicle_delivered)
