"""Handlers: the dealer group, its stores, and its users (shared.kit: a unit of work, then the command)."""

from __future__ import annotations

import asyncio

from shared.auth import Role
from shared.clock import SystemClock
from shared.errors import Conflict, Forbidden
from shared.kit import UnitOfWork
from sqlalchemy import select

from ..adapters.orm import UserRow
from ..adapters.repository import DealerGroups, Stores, Users
from ..domain.organisation import DealerGroup, Store, StoreDetails
from ..domain.passwords import hash_password
from ..domain.users import User, check_may_grant, check_stores_of_group
from . import sessions
from .commands import ChangeStore, ChangeUser, CreateUser, OpenStore, RenameGroup, UserCommand


def _group_admin(uow: UnitOfWork) -> None:
    """The group and its stores are the group administrator's alone (the service manager, who may do
    everything in its stores, does not found stores)."""
    if Role.GROUP_ADMIN not in uow.actor.roles:
        raise Forbidden("only a group administrator changes the dealer group and its stores")


async def rename_group(uow: UnitOfWork, cmd: RenameGroup) -> DealerGroup:
    """The caller's group record (made on first use: groups made before the records existed)."""
    _group_admin(uow)
    groups = uow.repo(DealerGroups)
    group = await groups.find(uow.actor.dealer_group_id)
    if group is None:
        group = DealerGroup.found(dealer_group_id=uow.actor.dealer_group_id, name=cmd.name)
        await groups.add(group)
        return group
    group.check_version(cmd.version)
    group.rename(cmd.name)
    await groups.save(group)
    return group


def _details(cmd: OpenStore | ChangeStore) -> StoreDetails:
    return StoreDetails.model_validate(cmd.model_dump(include=set(StoreDetails.model_fields)))


async def open_store(uow: UnitOfWork, cmd: OpenStore) -> Store:
    _group_admin(uow)
    stores = uow.repo(Stores)
    if await stores.find(cmd.store_id, lock=False) is not None:
        raise Conflict(f"store {cmd.store_id} exists", field="store_id")
    store = Store.open(dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id, details=_details(cmd))
    await stores.add(store)
    return store


async def change_store(uow: UnitOfWork, cmd: ChangeStore) -> Store:
    _group_admin(uow)
    store = await uow.repo(Stores).get(cmd.store_id)
    store.check_version(cmd.version)
    store.change(_details(cmd))
    await uow.repo(Stores).save(store)
    return store


async def create_user(uow: UnitOfWork, cmd: CreateUser) -> User:
    group = cmd.dealer_group_id or uow.actor.dealer_group_id
    roles = [r.value for r in cmd.roles]
    check_may_grant(uow.actor, dealer_group_id=group, roles=roles, store_ids=cmd.store_ids)
    check_stores_of_group(cmd.store_ids, await uow.repo(Stores).ids())
    taken = await uow.session.execute(select(UserRow.id).where(UserRow.id == cmd.username))
    if taken.first() is not None:  # usernames are global: login names no group
        raise Conflict(f"username {cmd.username} is taken", field="username")
    user = User.create(username=cmd.username, dealer_group_id=group, display_name=cmd.display_name or cmd.username,
                       roles=roles, store_ids=cmd.store_ids)
    await uow.repo(Users).add(user, password_hash=await asyncio.to_thread(hash_password, cmd.password),
                              created_at=uow.now())
    return user


async def change_user(uow: UnitOfWork, cmd: ChangeUser) -> User:
    """New roles or stores reach the user's next refresh; tokens with the old ones are refused by the
    gateway from now on (sessions.check_token)."""
    user = await uow.repo(Users).get(cmd.user_id)
    user.check_managed_by(uow.actor)
    user.check_version(cmd.version)
    roles = [r.value for r in cmd.roles] if cmd.roles is not None else None
    check_may_grant(uow.actor, dealer_group_id=user.dealer_group_id, roles=roles or user.roles,
                    store_ids=cmd.store_ids if cmd.store_ids is not None else user.store_ids)
    if cmd.store_ids is not None:
        check_stores_of_group(cmd.store_ids, await uow.repo(Stores).ids())
    user.change(display_name=cmd.display_name, roles=roles, store_ids=cmd.store_ids)
    await uow.repo(Users).save(user)
    return user


async def deactivate_user(uow: UnitOfWork, cmd: UserCommand) -> User:
    """Deactivation revokes every session of the user: its refresh tokens and access tokens stop."""
    user = await uow.repo(Users).get(cmd.user_id)
    user.check_managed_by(uow.actor)
    user.deactivate()
    await uow.repo(Users).save(user)
    # Security time is real time (tokens are issued and checked by it), whatever the business clock says.
    await sessions.revoke_user_sessions(uow.session, uow.publish, user.id, SystemClock().now(),
                                        reason="user deactivated")
    return user


async def reactivate_user(uow: UnitOfWork, cmd: UserCommand) -> User:
    user = await uow.repo(Users).get(cmd.user_id)
    user.check_managed_by(uow.actor)
    user.reactivate()
    await uow.repo(Users).save(user)
    return user
