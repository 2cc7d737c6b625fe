"""The gateway's answers for its own records."""

from __future__ import annotations

from pydantic import BaseModel
from shared.kit import UnitOfWork

from ..domain.organisation import DealerGroup, OpeningHours, Store
from ..domain.users import User


class GroupView(BaseModel):
    dealer_group_id: str
    name: str
    version: int


class StoreView(BaseModel):
    store_id: str
    dealer_group_id: str
    name: str
    brand: str
    city: str
    time_zone: str
    opening_hours: list[OpeningHours]
    version: int


class UserView(BaseModel):
    user_id: str
    dealer_group_id: str
    display_name: str
    roles: list[str]
    store_ids: list[str]
    active: bool
    version: int


def group(_: UnitOfWork | None, g: DealerGroup) -> GroupView:
    return GroupView(dealer_group_id=g.id, name=g.name, version=g.version)


def store(_: UnitOfWork | None, s: Store) -> StoreView:
    return StoreView(store_id=s.id, dealer_group_id=s.dealer_group_id, name=s.name, brand=s.brand, city=s.city,
                     time_zone=s.time_zone, opening_hours=s.opening_hours, version=s.version)


def user(_: UnitOfWork | None, u: User) -> UserView:
    return UserView(user_id=u.id, dealer_group_id=u.dealer_group_id, display_name=u.display_name, roles=u.roles,
                    store_ids=u.store_ids, active=u.active, version=u.version)
