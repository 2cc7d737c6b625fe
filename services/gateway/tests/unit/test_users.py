from __future__ import annotations

import pytest
from gateway.domain.users import check_user_scope
from shared.errors import DomainError


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
