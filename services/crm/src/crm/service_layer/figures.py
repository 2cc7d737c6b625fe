"""Customer care's figures (KPIs) on the figures contract: gather the facts, let domain/figures.py count."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, periods, span, store_zone, stores_in_scope
from sqlalchemy import and_, or_

from ..adapters import repository as repo
from ..adapters.orm import ComplaintRow, FollowUpRow
from ..adapters.repository import Complaints, FollowUps, Vehicles
from ..domain.figures import ComplaintFact, FollowUpFact, VehicleHistory, Visit, care_figures


async def figures(uow: UnitOfWork, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Every period from the one holding `date_from` to the one holding `date_to`, in the stores' local dates."""
    starts = periods(date_from, date_to, granularity)
    tz = store_zone(uow.settings)
    lo, hi = span(starts, granularity, tz)
    f, c = FollowUpRow, ComplaintRow
    follow_ups = await uow.repo(FollowUps).list(or_(and_(f.delivered_at >= lo, f.delivered_at < hi),
                                                    and_(f.completed_at >= lo, f.completed_at < hi)),
                                                store_id=store_id)
    complaints = await uow.repo(Complaints).list(c.opened_at >= lo, c.opened_at < hi, store_id=store_id)
    agreed = await repo.agreed_service_dates(uow)  # the date agreed on the follow-up call wins
    visits: dict[str, list[Visit]] = defaultdict(list)
    for row in await repo.visits_before(uow, hi):
        visits[row.vehicle_id].append(Visit(row.store_id, row.delivered_at,
                                            agreed.get(row.repair_order_id) or row.next_service_date,
                                            row.next_service_km))
    readings = await repo.group_readings(uow)
    vehicles = [VehicleHistory(v.id, v.store_id, v.sale_date, readings.get(v.id, []), visits.get(v.id, []))
                for v in await uow.repo(Vehicles).list(store_id=store_id)]
    delivered = [x for vs in visits.values() for x in vs if x.delivered_at >= lo]
    stores = stores_in_scope(uow.actor, store_id, [x.store_id for x in [*follow_ups, *complaints, *delivered,
                                                                        *vehicles]])
    out = care_figures(
        stores=stores, starts=starts, granularity=granularity, tz=tz, today=uow.now().astimezone(tz).date(),
        follow_ups=[FollowUpFact(x.store_id, x.delivered_at, x.status.value, x.completed_at, x.satisfaction)
                    for x in follow_ups],
        complaints=[ComplaintFact(x.store_id, x.opened_at, x.severity.value) for x in complaints],
        visits=delivered, vehicles=vehicles)
    return FiguresAnswer(service="crm", granularity=granularity, date_from=date_from, date_to=date_to, figures=out)
