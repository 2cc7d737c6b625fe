"""Turning requested jobs (operation codes or the customer's words) into priced jobs, from the replicas."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from shared.contracts.common import PayType
from shared.errors import DomainError
from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..domain.pricing import Job, PartItem


async def resolve_jobs(uow: UnitOfWork, store_id: str, requested: list[Any], rate: Decimal, *,
                       field: str = "jobs") -> list[Job]:
    """A job with an operation code takes its hours, pay type and parts kit from workshop's catalogue unless
    given; a free-text job needs its hours. Parts without a price take the parts replica's retail price."""
    jobs: list[Job] = []
    for i, r in enumerate(requested):
        code = getattr(r, "operation_code", None)
        hours = getattr(r, "flat_rate_hours", None)
        description = getattr(r, "description", None)
        pay_type = getattr(r, "pay_type", None)
        parts = [PartItem(part_no=p.part_no, quantity=p.quantity, unit_price=getattr(p, "unit_price", None))
                 for p in (getattr(r, "parts", None) or [])]
        if hours is not None and hours < 0:
            raise DomainError(f"labour hours must not be negative (got {hours})", field=f"{field}[{i}].flat_rate_hours")
        if code:
            op = await repo.labour_operation(uow, store_id, code)
            if op is None:
                raise DomainError(f"unknown operation code {code!r} at store {store_id}",
                                  field=f"{field}[{i}].operation_code")
            hours = op.flat_rate_hours if hours is None else hours
            description = description or op.description
            pay_type = pay_type or PayType(op.default_pay_type)
            if getattr(r, "parts", None) is None:
                parts = [PartItem(part_no=p["part_no"], quantity=Decimal(str(p["quantity"])),
                                  unit_price=Decimal(str(p["unit_price"])) if p.get("unit_price") is not None
                                  else None) for p in op.parts_kit]
        else:
            if not description:
                raise DomainError("a job needs an operation code or a description", field=f"{field}[{i}].description")
            if hours is None:
                raise DomainError("a free-text job needs its flat-rate hours", field=f"{field}[{i}].flat_rate_hours")
        jobs.append(Job(job_id=str(uuid.uuid4()), operation_code=code, description=description,
                        pay_type=pay_type or PayType.CUSTOMER, flat_rate_hours=hours, labour_rate=rate, parts=parts,
                        safety_related=bool(getattr(r, "safety_related", False)),
                        first_service=bool(getattr(r, "first_service", False))))
    return await price_parts(uow, store_id, jobs)


async def price_parts(uow: UnitOfWork, store_id: str, jobs: list[Job]) -> list[Job]:
    replica = await repo.parts_at(uow, store_id, sorted({p.part_no for j in jobs for p in j.parts}))
    for j in jobs:
        for k, p in enumerate(j.parts):
            known = replica.get(p.part_no)
            if known is not None:
                j.parts[k] = p.model_copy(update={
                    "unit_price": p.unit_price if p.unit_price is not None else known.retail_price,
                    "description": p.description or known.description})
    return jobs
