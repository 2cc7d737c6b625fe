"""Rate limits at the gateway: who is counted, under which key, and what a refusal says.

The counting is the `limits` library's, in this process's memory (sliding-window counters for callers,
two per key; an exact moving window for logins and refreshes); this module is the policy. Limits are per
gateway instance: with N instances behind a balancer a user may send up to N times the rate.

- A caller with a verified token is counted per user and per dealer group; both must allow the
  request. Keys come only from verified tokens (signed by the gateway), so their number is the
  number of real users and groups.
- Login and refresh are counted per client address (login and refresh together) and, for login,
  per username. Both are chosen by anonymous callers, so each is hashed into one of
  `rate_limit_login_slots` slots: the limiter's memory for them is bounded whatever is sent. A
  refused request is counted nowhere, so it costs no memory either.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from shared.auth import Principal
from shared.errors import TooManyRequests

from ..config import GatewaySettings


@dataclass(frozen=True)
class Limit:
    """One named limit (`per_user`, ...), its rates as configured, and the setting that holds them."""

    name: str
    rates: tuple[RateLimitItem, ...]
    setting: str

    @classmethod
    def of(cls, name: str, settings: GatewaySettings, setting: str) -> Limit:
        return cls(name, tuple(parse_many(getattr(settings, setting))), setting.upper())


class RateLimits:
    def __init__(self, settings: GatewaySettings, *, now: Callable[[], float] = time.time) -> None:
        self._now = now
        # Two stores: the storage sweeps all its expired counters after each counted request, so callers'
        # requests must not pay for sweeping whatever anonymous login attempts left behind.
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        # Logins and refreshes: an exact moving window (the last N attempts' times). The sliding-window counter
        # weighs the previous window down as time passes, so three wrong passwords just before a minute turned
        # left room for a fourth guess just after it under "3/minute"; the caller limits keep the cheaper counter.
        self._anonymous = MovingWindowRateLimiter(MemoryStorage())
        self.per_user = Limit.of("per_user", settings, "rate_limit_per_user")
        self.per_group = Limit.of("per_group", settings, "rate_limit_per_group")
        self.per_address = Limit.of("per_address", settings, "rate_limit_login_per_address")
        self.per_username = Limit.of("per_username", settings, "rate_limit_login_per_username")
        self._slots = settings.rate_limit_login_slots

    async def caller(self, principal: Principal) -> None:
        """A request with a verified token: its user's and its dealer group's limits."""
        await self._take(self._limiter, [(self.per_user, principal.user_id),
                                         (self.per_group, principal.dealer_group_id)])

    async def login(self, address: str | None, username: str) -> None:
        await self._take(self._anonymous, [(self.per_address, self._slot(client_network(address))),
                                           (self.per_username, self._slot(username.strip().lower()))])

    async def refresh(self, address: str | None) -> None:
        await self._take(self._anonymous, [(self.per_address, self._slot(client_network(address)))])

    def _slot(self, value: str) -> str:
        digest = hashlib.blake2b(value.encode(), digest_size=8).digest()
        return str(int.from_bytes(digest, "big") % self._slots)

    async def _take(self, limiter: RateLimiter, checks: list[tuple[Limit, str]]) -> None:
        """Count the request against every limit, or against none: a request one limit refuses does not
        use up another's allowance (nor create its counters)."""
        for limit, key in checks:
            for rate in limit.rates:
                if not await limiter.test(rate, limit.name, key):
                    raise await self._refusal(limiter, limit, rate, key)
        for limit, key in checks:
            for rate in limit.rates:
                if not await limiter.hit(rate, limit.name, key):  # only if another request came between
                    raise await self._refusal(limiter, limit, rate, key)

    async def _refusal(self, limiter: RateLimiter, limit: Limit, rate: RateLimitItem,
                       key: str) -> TooManyRequests:
        stats = await limiter.get_window_stats(rate, limit.name, key)
        # Whole seconds after the reset, not up to it: at the reset instant itself a moving window still counts
        # its oldest attempt.
        wait = max(1, math.floor(stats.reset_time - self._now()) + 1)
        return TooManyRequests(
            f"rate limit {limit.name.replace('_', ' ')} exceeded ({rate}, {limit.setting} on this gateway "
            f"instance): retry after {wait} s", retry_after=wait, limit=limit.name, rate=str(rate))

    def counters(self) -> dict[str, int]:
        """How many counters each store holds (memory: a test and an operator's question)."""
        anonymous = self._anonymous.storage
        return {"callers": len(self._limiter.storage.storage),
                "anonymous": len(anonymous.storage) + len(anonymous.events)}


def client_network(address: str | None) -> str:
    """What counts as one client: its IPv4 address, or its IPv6 /64 (one subscriber's usual allocation, so
    stepping through its addresses gains nothing)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
