from __future__ import annotations

from datetime import UTC, datetime

import pytest
from gateway.adapters.repository import Stores, Users
from gateway.domain.organisation import Store, StoreDetails
from gateway.domain.users import User, check_may_grant, check_stores_of_group, check_user_scope
from gateway.service_layer import organisation as handlers
from gateway.service_layer.commands import ChangeUser, CreateUser, UserCommand
from pydantic import ValidationError
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import DomainError, Forbidden
from shared.kit import InMemoryUnitOfWork

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def actor(*roles: Role, stores=(), group="dg-1") -> Principal:
    return Principal(user_id="me", name="me", dealer_group_id=group, roles=frozenset(roles),
                     store_ids=frozenset(stores))


ADMIN = actor(Role.GROUP_ADMIN)
MANAGER = actor(Role.SERVICE_MANAGER, stores=["s-1"])


def test_a_store_level_user_needs_a_store():
    with pytest.raises(DomainError) as e:
        check_user_scope(["advisor"], [])
    assert e.value.field == "store_ids"


def test_a_group_role_needs_no_store_and_unknown_roles_are_refused():
    check_user_scope(["group_analyst"], [])
    check_user_scope(["advisor"], ["s-1"])
    with pytest.raises(DomainError) as e:
        check_user_scope(["emperor"], ["s-1"])
    assert e.value.field == "roles"


def test_stores_must_be_records_of_the_group():
    check_stores_of_group(["s-1"], ["s-1", "s-2"])
    with pytest.raises(DomainError) as e:
        check_stores_of_group(["s-1", "s-9"], ["s-1"])
    assert e.value.status_code == 422 and "s-9" in e.value.message and e.value.field == "store_ids"


@pytest.mark.parametrize("who, group, roles, stores, field", [
    (ADMIN, "dg-2", ["advisor"], ["s-1"], "dealer_group_id"),  # another group, even for its admin
    (MANAGER, "dg-2", ["advisor"], ["s-1"], "dealer_group_id"),
    (MANAGER, "dg-1", ["advisor"], ["s-2"], "store_ids"),  # a store it does not hold
    (MANAGER, "dg-1", ["group_analyst"], [], "roles"),  # a group role
    (MANAGER, "dg-1", ["service_manager"], ["s-1"], "roles"),  # its own rank
    (actor(Role.ADVISOR, stores=["s-1"]), "dg-1", ["advisor"], ["s-1"], None),  # not an administrator
])
def test_who_may_grant_what(who, group, roles, stores, field):
    with pytest.raises(Forbidden) as e:
        check_may_grant(who, dealer_group_id=group, roles=roles, store_ids=stores)
    assert e.value.field == field


def test_the_group_admin_grants_anything_in_its_group_and_a_manager_its_own_stores():
    check_may_grant(ADMIN, dealer_group_id="dg-1", roles=["group_admin"], store_ids=[])
    check_may_grant(MANAGER, dealer_group_id="dg-1", roles=["advisor", "technician"], store_ids=["s-1"])


def test_store_details_refuse_unknown_time_zones_and_inverted_hours():
    StoreDetails(name="n", brand="b", city="c", time_zone="Europe/Berlin",
                 opening_hours=[{"day": "sat", "opens": "09:00", "closes": "12:00"}])
    with pytest.raises(ValidationError):
        StoreDetails(name="n", brand="b", city="c", time_zone="../../etc/passwd")
    with pytest.raises(ValidationError):
        StoreDetails(name="n", brand="b", city="c",
                     opening_hours=[{"day": "mon", "opens": "18:00", "closes": "08:00"}])
    with pytest.raises(ValidationError):
        StoreDetails(name="n", brand="b", city="c",
                     opening_hours=[{"day": "funday", "opens": "8:00", "closes": "9:00"}])


async def uow_with_stores(who: Principal, *stores: str) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), actor=ADMIN)
    for s in stores:
        await uow.repo(Stores).add(Store.open(dealer_group_id="dg-1", store_id=s, details=StoreDetails(
            name=s, brand="Audi", city="上海")))
    return uow.as_actor(who)


async def test_a_manager_changes_only_users_wholly_inside_its_stores():
    uow = await uow_with_stores(ADMIN, "s-1", "s-2")
    both = User.create(username="both", dealer_group_id="dg-1", display_name="b", roles=["advisor"],
                       store_ids=["s-1", "s-2"])
    await uow.repo(Users).add(both)
    mine = User.create(username="mine", dealer_group_id="dg-1", display_name="m", roles=["advisor"], store_ids=["s-1"])
    await uow.repo(Users).add(mine)
    as_manager = uow.as_actor(MANAGER)
    with pytest.raises(Forbidden):
        await handlers.deactivate_user(as_manager, UserCommand(user_id="both"))
    with pytest.raises(Forbidden):  # moving its user to a store it does not hold
        await handlers.change_user(as_manager, ChangeUser(user_id="mine", version=1, store_ids=["s-2"]))
    changed = await handlers.change_user(as_manager, ChangeUser(user_id="mine", version=1, roles=[Role.TECHNICIAN]))
    assert changed.roles == ["technician"] and changed.version == 2
    # the audit trail names the manager and the change
    assert uow.audit_log[-1]["actor_id"] == "me" and uow.audit_log[-1]["changes"] == {"roles[0]": ["advisor",
                                                                                                   "technician"]}


async def test_a_store_role_without_a_store_is_refused_even_for_the_group_admin():
    uow = await uow_with_stores(ADMIN, "s-1")
    with pytest.raises(DomainError) as e:
        User.create(username="x", dealer_group_id="dg-1", display_name="x", roles=["advisor"], store_ids=[])
    assert e.value.field == "store_ids"
    with pytest.raises(DomainError) as e:
        await handlers.change_user(uow, ChangeUser(user_id="nobody", version=1))
    assert e.value.status_code == 404
    with pytest.raises(ValidationError):  # too short a password
        CreateUser(username="x", password="short", roles=[Role.ADVISOR], store_ids=["s-1"])


async def test_only_the_group_admin_opens_stores_not_the_service_manager():
    from gateway.service_layer.commands import OpenStore

    uow = await uow_with_stores(MANAGER, "s-1")
    with pytest.raises(Forbidden):
        await handlers.open_store(uow, OpenStore(store_id="s-2", name="n", brand="b", city="c"))
    store = await handlers.open_store(uow.as_actor(ADMIN), OpenStore(store_id="s-2", name="n", brand="b", city="c"))
    assert store.store_id == "s-2" and store.time_zone == "Asia/Shanghai"


# -- events every service keeps (gateway.organisation, gateway.sessions) ---------------------------
def test_opening_and_changing_a_store_publish_the_whole_store():
    from shared.contracts.organisation import StoreChanged, StoreOpened

    details = StoreDetails(name="浦东店", brand="Audi", city="上海", time_zone="Asia/Shanghai",
                           opening_hours=[{"day": "mon", "opens": "08:30", "closes": "18:00"}])
    store = Store.open(dealer_group_id="dg-1", store_id="s-pd", details=details)
    opened = store.events[-1]
    assert isinstance(opened, StoreOpened) and opened.store_id == "s-pd" and opened.brand == "Audi"
    assert opened.opening_hours[0].model_dump(mode="json") == {"day": "mon", "opens": "08:30:00", "closes": "18:00:00"}
    store.change(details.model_copy(update={"time_zone": "Asia/Urumqi"}))
    assert isinstance(store.events[-1], StoreChanged) and store.events[-1].time_zone == "Asia/Urumqi"


def test_a_users_access_changes_are_published_and_other_changes_are_not():
    user = User.create(username="adv", dealer_group_id="dg-1", display_name="A", roles=["advisor"], store_ids=["s-1"])
    user.change(display_name="Anna")
    assert user.events == []  # the name is not in the token's checks
    user.change(store_ids=["s-1", "s-2"])
    user.deactivate()
    user.deactivate()  # already inactive: nothing new
    user.reactivate()
    assert [type(e).__name__ for e in user.events] == ["UserAccessChanged", "UserDeactivated", "UserReactivated"]
    assert user.events[0].store_ids == ["s-1", "s-2"] and user.events[1].active is False


def test_opening_hours_are_local_times_without_an_offset():
    from gateway.domain.organisation import OpeningHours

    with pytest.raises(ValidationError):  # was a TypeError comparing naive and aware times: a 500
        OpeningHours(day="mon", opens="08:00+01:00", closes="18:00")
    assert OpeningHours(day="mon", opens="08:00", closes="18:00").model_dump(mode="json")["opens"] == "08:00:00"
