"""workshop's HTTP API: requests become commands, results become views; nothing else."""

# No `from __future__ import annotations`: `_job_route` builds routes whose annotations FastAPI reads at run time.

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from shared.kit import AuditEntry, AuditReader, Page, history
from shared.kit.figures import FiguresAnswer, Granularity, store_zone
from shared.openapi import links_to

from ..adapters import repository as repo
from ..adapters.repository import LabourOperations, Shops, WorkOrders
from ..domain.catalogue import LabourOperation
from ..domain.dispatch import Recommendation
from ..service_layer import commands as c
from ..service_layer import figures as figures_handlers
from ..service_layer import shop as shop_handlers
from ..service_layer import work_orders as handlers
from . import views
from .deps import Director, FiguresReader, Inspector, Reader, Supervisor, Washer, Worker

router = APIRouter(tags=["workshop"])
# A change to the shop answers the shop: its readers and its other settings follow on the same store.
SHOP_LINKS = links_to("/stores/{store_id}", store_id="$request.path.store_id")
Store = Annotated[str, Query(min_length=1, max_length=64)]


# -- the shop: teams, technicians, bays, shifts, capacity ------------------------------------------
@router.get("/stores/{store_id}/shop", response_model=views.ShopPublic)
async def get_shop(store_id: str, uow: Reader):
    """Teams, technicians (grade, skills), bays, shifts and the capacity of the coming two weeks."""
    return views.shop(uow, await repo.shop_of(uow, store_id, lock=False))


@router.put("/stores/{store_id}/teams/{team_id}", response_model=views.ShopPublic, openapi_extra=SHOP_LINKS)
async def set_team(store_id: str, team_id: str, body: c.SetTeam, run: Supervisor):
    return await run(shop_handlers.set_team, body.bind(store_id=store_id, team_id=team_id), view=views.shop)


@router.put("/stores/{store_id}/technicians/{technician_id}", response_model=views.ShopPublic, openapi_extra=SHOP_LINKS)
async def set_technician(store_id: str, technician_id: str, body: c.SetTechnician, run: Supervisor):
    """A technician's team, grade and skills; the id is the user id they log in with. Republishes capacity."""
    return await run(shop_handlers.set_technician, body.bind(store_id=store_id, technician_id=technician_id),
                     view=views.shop)


@router.put("/stores/{store_id}/bays/{bay_id}", response_model=views.ShopPublic, openapi_extra=SHOP_LINKS)
async def set_bay(store_id: str, bay_id: str, body: c.SetBay, run: Supervisor):
    return await run(shop_handlers.set_bay, body.bind(store_id=store_id, bay_id=bay_id), view=views.shop)


@router.put("/stores/{store_id}/shifts/{shift_id}", response_model=views.ShopPublic, openapi_extra=SHOP_LINKS)
async def set_shift(store_id: str, shift_id: str, body: c.SetShift, run: Supervisor):
    """A team's shift; capacity of the coming two weeks is recomputed and WorkshopCapacitySet published
    for every day that changed."""
    return await run(shop_handlers.set_shift, body.bind(store_id=store_id, shift_id=shift_id), view=views.shop)


@router.put("/stores/{store_id}/closed-days", response_model=views.ShopPublic, openapi_extra=SHOP_LINKS)
async def set_closed_days(store_id: str, body: c.SetClosedDays, run: Supervisor):
    """Holidays: no capacity on these days."""
    return await run(shop_handlers.set_closed_days, body.bind(store_id=store_id), view=views.shop)


# -- operation codes -----------------------------------------------------------------------------------
@router.put("/stores/{store_id}/operations/{operation_code}", response_model=LabourOperation)
async def define_operation(store_id: str, operation_code: str, body: c.DefineOperation, run: Supervisor):
    """Define or change an operation code; publishes LabourOperationDefined for reception's estimates."""
    return await run(shop_handlers.define_operation, body.bind(store_id=store_id, operation_code=operation_code),
                     view=views.operation)


@router.get("/stores/{store_id}/operations", response_model=list[LabourOperation])
async def list_operations(store_id: str, uow: Reader, page: Page):
    return await uow.repo(LabourOperations).list(store_id=store_id, page=page)


# -- the board and figures ---------------------------------------------------------------------------
@router.get("/board", response_model=views.Board)
async def board(store_id: Store, uow: Reader):
    """Every open repair order of the store with its jobs: who, status, clocked vs flat-rate hours,
    the promise and the estimate, delays and what paused jobs wait for."""
    return views.board(store_id, await repo.open_orders(uow, store_id), uow.now())


@router.get("/figures", response_model=FiguresAnswer)
async def figures(uow: FiguresReader, date_from: date, date_to: date, granularity: Granularity = Granularity.WEEK,
                  store_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """Per store and per day, ISO week or month (the stores' local dates): first-time-fix rate (一次修复率), the
    pass rates of the three checks (三检; final: 终检合格率) and technician efficiency (billed ÷ clocked hours).
    Definitions: docs/kpis.md."""
    return await figures_handlers.figures(uow, date_from=date_from, date_to=date_to, granularity=granularity,
                                          store_id=store_id)


@router.get("/figures/technicians", response_model=views.FiguresPublic)
async def technician_figures(store_id: Store, uow: Reader, date_from: date | None = None,
                             date_to: date | None = None):
    """First-time-fix rate and efficiency per technician, team and the store, over the jobs whose final
    inspection passed from `date_from` to `date_to` (both included; default the 30 days to today)."""
    today = uow.now().astimezone(store_zone(uow.settings)).date()
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=29)
    out = await figures_handlers.by_technician(uow, store_id, date_from, date_to)
    return views.FiguresPublic(store_id=store_id, date_from=date_from, date_to=date_to, **{
        k: [views.figures_row(f) for f in v.values()] for k, v in out.items()})


# -- work orders and jobs --------------------------------------------------------------------------------
@router.get("/work-orders", response_model=list[views.WorkOrderPublic],
            openapi_extra=links_to("/work-orders/{ro_id}", ro_id="0/id"))
async def work_orders(uow: Reader, page: Page,
                      repair_order_id: Annotated[list[str], Query(min_length=1, max_length=200)]):
    """The work orders of the repair orders named (`repair_order_id` repeated, up to 200), earliest promise
    first; an order the workshop has not seen, or of a store outside the caller's, is left out."""
    return [views.work_order(uow, wo) for wo in await repo.orders_by_id(uow, repair_order_id, page)]


@router.get("/work-orders/{ro_id}", response_model=views.WorkOrderPublic,
            openapi_extra=links_to("/work-orders/{ro_id}", ro_id="$request.path.ro_id", job_id="jobs/0/job_id"))
async def get_work_order(ro_id: str, uow: Reader):
    return views.work_order(uow, await uow.repo(WorkOrders).get(ro_id, lock=False))


@router.get("/work-orders/{ro_id}/history", response_model=list[AuditEntry])
async def work_order_history(ro_id: str, uow: AuditReader):
    return await history(uow, WorkOrders, ro_id)


@router.get("/shops/{shop_id}/history", response_model=list[AuditEntry], include_in_schema=False)
async def shop_history(shop_id: str, uow: AuditReader):
    return await history(uow, Shops, shop_id)


@router.get("/work-orders/{ro_id}/jobs/{job_id}/recommendation", response_model=Recommendation)
async def recommendation(ro_id: str, job_id: str, uow: Reader):
    """The technician the service proposes (skill, load, priority) and why."""
    return await handlers.recommendation(uow, ro_id, job_id)


def _job_route(path: str, handler, body_type, deps, doc: str):
    async def route(ro_id: str, job_id: str, body: body_type, run: deps):  # type: ignore[valid-type]
        return await run(handler, body.bind(repair_order_id=ro_id, job_id=job_id), view=views.work_order)
    route.__doc__ = doc
    route.__name__ = handler.__name__
    router.post(f"/work-orders/{{ro_id}}/jobs/{{job_id}}/{path}", response_model=views.WorkOrderPublic)(route)


_job_route("dispatch", handlers.dispatch, c.Dispatch, Supervisor,
           "Dispatch (派工) to a technician (their team with them); without one, to the recommended technician. "
           "Publishes JobDispatched.")
_job_route("start", handlers.start, c.StartJob, Worker, "Clock on: JobStarted (ProgressDelayed if the promise slips).")
_job_route("pause", handlers.pause, c.PauseJob, Worker,
           "Clock off with the reason (parts, approval, joint diagnosis): JobPaused, ProgressDelayed if it slips.")
_job_route("resume", handlers.resume, c.StartJob, Worker, "Clock on again after a pause.")
_job_route("complete", handlers.complete, c.CompleteJob, Worker,
           "Finish the job: refused while requested parts are not issued or the job is not in progress. "
           "Publishes JobCompleted with the clocked hours.")
_job_route("parts-requests", handlers.request_parts, c.RequestParts, Worker,
           "Ask the parts room for parts for the job: PartsRequested.")
_job_route("findings", handlers.record_finding, c.RecordFinding, Worker,
           "Report added work (增项) for the customer's decision: AdditionalWorkFound.")
_job_route("inspections", handlers.inspect, c.Inspect, Inspector,
           "One of the three checks (三检), in order: self (the technician), team leader, final (QC inspector or "
           "technical director); one person per stage. InspectionPassed, or InspectionFailed and ReworkStarted; "
           "VehicleReadyForPickup once every job passed its final (and the wash is done).")
_job_route("joint-diagnosis", handlers.joint_diagnosis, c.JointDiagnosis, Director,
           "Record a hard fault's joint diagnosis with the technical director.")


@router.post("/work-orders/{ro_id}/wash", response_model=views.WorkOrderPublic)
async def wash(ro_id: str, run: Washer):
    """The car is washed (after every final inspection passed): VehicleWashed, then VehicleReadyForPickup."""
    return await run(handlers.wash, c.Wash(repair_order_id=ro_id), view=views.work_order)
