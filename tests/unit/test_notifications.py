"""A notification subscriber (shared/messaging/notifications.py) delivers what it can and never stops on a record:
a notification it cannot deliver is dropped, counted, and the next one goes through."""

from __future__ import annotations

from types import SimpleNamespace

from shared.contracts import workshop
from shared.kit import Notifications
from shared.messaging.envelope import Envelope, Tenant


def record(event, store: str = "s-1"):
    env = Envelope.new(event, source="workshop", tenant=Tenant("dg", store))
    return SimpleNamespace(topic=event.topic, value=env.value(), headers=env.headers())


async def test_each_record_reaches_the_handler_of_its_type_and_a_bad_one_is_dropped():
    seen: list[tuple[str, str]] = []
    boards = Notifications("boards")

    @boards.on(workshop.JobDispatched)
    async def nudge(env: Envelope, e: workshop.JobDispatched) -> None:
        if e.job_id == "boom":
            raise RuntimeError("the page is gone")
        seen.append((env.tenant.store_id, e.job_id))

    sub = boards.subscriber(SimpleNamespace(settings=SimpleNamespace(service_name="gateway")))
    assert sub.name == "gateway.boards" and sub.topics == [workshop.JOBS]
    assert [sub_.group_id for sub_ in sub.router.subscribers] == [None]  # every instance, every partition

    dispatched = workshop.JobDispatched(repair_order_id="ro", job_id="j1", team_id="t")
    assert await sub.process(record(dispatched, "s-7")) == "handled"
    assert await sub.process(record(dispatched.model_copy(update={"job_id": "boom"}))) == "failed"
    assert await sub.process(SimpleNamespace(topic=workshop.JOBS, value=b"\xff", headers=[])) == "undecodable"
    assert await sub.process(record(workshop.JobStarted(repair_order_id="ro", job_id="j1", technician_id="t1"))) \
        == "ignored"  # a type of the topic it was not told of
    assert seen == [("s-7", "j1")]
