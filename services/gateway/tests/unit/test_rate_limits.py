"""The gateway's rate-limit policy on an injected clock: who is counted, what a refusal names and when to
retry, and that anonymous callers cannot grow the limiter's memory."""

from __future__ import annotations

import asyncio

import limits.aio.storage.memory
import limits.aio.strategies
import pytest
from gateway.adapters.rate_limits import RateLimits, client_network
from gateway.config import Settings
from shared.auth import Principal, Role
from shared.errors import TooManyRequests


class FakeTime:
    """The clock: the policy is given `.time`, and the `limits` memory storage and strategies read it too
    (they read `time.time()`; the library takes no clock)."""

    def __init__(self, at: float = 1_800_000_000.25) -> None:
        self.at = at

    def time(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(limits.aio.storage.memory, "time", fake)
    monkeypatch.setattr(limits.aio.strategies, "time", fake)
    return fake


def policy(clock: FakeTime, **settings) -> RateLimits:
    return RateLimits(Settings(**settings), now=clock.time)


def user(name: str, group: str = "dg-1") -> Principal:
    return Principal(user_id=name, name=name, dealer_group_id=group, roles=frozenset({Role.ADVISOR}),
                     store_ids=frozenset({"s-1"}))


async def sent(n: int, call) -> int:
    """How many of n calls were let through before the first refusal."""
    for i in range(n):
        try:
            await call()
        except TooManyRequests:
            return i
    return n


async def refusal(call) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as refused:
        await call()
    return refused.value


async def test_the_defaults_let_a_user_send_a_burst_of_20_in_a_second_then_429_with_retry_after(clock):
    limiter, advisor = policy(clock), user("adv-1")
    assert await sent(20, lambda: limiter.caller(advisor)) == 20
    refused = await refusal(lambda: limiter.caller(advisor))
    assert refused.status_code == 429
    assert refused.body()["limit"] == "per_user" and refused.body()["rate"] == "20 per 1 second"
    assert "RATE_LIMIT_PER_USER" in refused.message
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2 and refused.body()["retry_after"] == wait
    clock.advance(wait)
    await limiter.caller(advisor)  # waiting as told is enough


async def test_a_steady_pace_under_the_rate_is_never_refused(clock):
    limiter, advisor = policy(clock), user("adv-1")
    for _ in range(600):  # a minute at 10 a second: a busy front desk's app
        await limiter.caller(advisor)
        clock.advance(0.1)


async def test_users_of_one_group_share_its_limit_and_another_group_is_not_affected(clock):
    limiter = policy(clock, rate_limit_per_user="5/second", rate_limit_per_group="8/second")
    assert await sent(5, lambda: limiter.caller(user("a"))) == 5
    assert await sent(5, lambda: limiter.caller(user("b"))) == 3  # the group's 8 are used up
    refused = await refusal(lambda: limiter.caller(user("c")))
    assert refused.body()["limit"] == "per_group" and "RATE_LIMIT_PER_GROUP" in refused.message
    assert await sent(5, lambda: limiter.caller(user("x", group="dg-2"))) == 5


async def test_a_refused_request_uses_up_no_other_allowance(clock):
    limiter = policy(clock, rate_limit_per_user="5/second", rate_limit_per_group="8/second")
    assert await sent(50, lambda: limiter.caller(user("a"))) == 5  # 45 refused by a's own limit ...
    assert await sent(5, lambda: limiter.caller(user("b"))) == 3  # ... took nothing of the group's


async def test_several_rates_in_one_setting_all_hold(clock):
    limiter = policy(clock, rate_limit_per_user="5/second;12/minute")
    assert await sent(10, lambda: limiter.caller(user("a"))) == 5
    clock.advance(2)
    assert await sent(10, lambda: limiter.caller(user("a"))) == 5
    clock.advance(2)
    assert await sent(10, lambda: limiter.caller(user("a"))) == 2
    refused = await refusal(lambda: limiter.caller(user("a")))
    assert refused.body()["rate"] == "12 per 1 minute" and int(refused.headers["Retry-After"]) > 2


async def test_password_guessing_is_stopped_per_username_from_any_address(clock):
    limiter = policy(clock)
    addresses = [f"203.0.113.{i}" for i in range(20)]
    assert await sent(20, lambda: limiter.login(addresses.pop(), "Alice")) == 10
    refused = await refusal(lambda: limiter.login("198.51.100.7", "alice "))  # same user, spelled otherwise
    assert refused.body()["limit"] == "per_username" and 1 <= int(refused.headers["Retry-After"]) <= 61
    await limiter.login("198.51.100.7", "bob")  # others still log in
    clock.advance(int(refused.headers["Retry-After"]))
    await limiter.login("198.51.100.7", "alice")


async def test_one_address_is_limited_across_usernames_and_refreshes(clock):
    limiter = policy(clock, rate_limit_login_per_address="6/minute")
    names = iter(f"user-{i}" for i in range(10))
    assert await sent(4, lambda: limiter.login("203.0.113.9", next(names))) == 4
    assert await sent(4, lambda: limiter.refresh("203.0.113.9")) == 2
    refused = await refusal(lambda: limiter.login("203.0.113.9", next(names)))
    assert refused.body()["limit"] == "per_address" and "RATE_LIMIT_LOGIN_PER_ADDRESS" in refused.message
    await limiter.refresh("203.0.113.10")


async def test_an_ipv6_client_counts_by_its_64(clock):
    limiter = policy(clock, rate_limit_login_per_address="3/minute")
    assert await sent(5, lambda: limiter.refresh(f"2001:db8:1:2::{clock.at % 7:.0f}")) == 3
    await limiter.refresh("2001:db8:1:3::1")  # the next /64 is another client
    assert client_network("::ffff:203.0.113.5") == "203.0.113.5"
    assert client_network(None) == "unknown"


async def test_anonymous_callers_cannot_grow_the_limiters_memory(clock):
    limiter = policy(clock, rate_limit_login_slots=16)
    most = 0
    for i in range(3000):  # thousands of addresses and usernames over 5 minutes, as a spraying attacker sends
        try:
            await limiter.login(f"10.{i // 250}.{i % 250}.1", f"guess-{i}")
        except TooManyRequests:
            pass
        clock.advance(0.1)
        await asyncio.sleep(0)  # the storage sweeps expired counters in a task
        most = max(most, limiter.counters()["anonymous"])
    # two limits x 16 slots (each slot's window holds at most its limit's last attempts), whatever was sent
    assert 16 < most <= 2 * 16
    # and a flood that is refused adds nothing
    await sent(20, lambda: limiter.login("10.0.0.1", "victim"))
    before = limiter.counters()
    for _ in range(500):
        with pytest.raises(TooManyRequests):
            await limiter.login("10.0.0.1", "victim")
    assert limiter.counters() == before


def test_a_mistyped_rate_stops_the_gateway_at_start():
    with pytest.raises(ValueError, match="fortnight"):
        Settings(rate_limit_per_user="20/fortnight")


async def test_wrong_passwords_just_before_a_minute_turns_leave_no_extra_guess_just_after_it(clock):
    limiter = policy(clock, rate_limit_login_per_username="3/minute")
    clock.at = 1_800_000_000 - 1.0  # a second before the minute turns
    assert await sent(3, lambda: limiter.login("10.0.0.1", "wang")) == 3
    clock.advance(2)  # just after it
    refused = await refusal(lambda: limiter.login("10.0.0.2", "wang"))
    assert refused.body()["limit"] == "per_username" and int(refused.headers["Retry-After"]) == 59
    clock.advance(59)  # as told: a minute after the first guesses
    await limiter.login("10.0.0.3", "wang")
