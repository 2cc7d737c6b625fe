"""Domain refusals. Plain exceptions, so domain code stays free of HTTP; the app maps them to 4xx."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the command. 422 unless a subclass says otherwise."""

    status_code = 422
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"detail": self.message, "error": type(self).__name__}
        if self.field:
            out["field"] = self.field
        out.update(self.extra)
        return out


class Unauthorized(DomainError):
    """No valid credentials: the caller must log in (again)."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    """The caller is known but may not do this: a missing role, or a store outside its scope."""

    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class InvalidTransition(Conflict):
    """The state machine does not allow this command in the current state."""

    def __init__(self, aggregate: str, state: str, command: str) -> None:
        super().__init__(f"{aggregate} is {state}: cannot {command}", current_state=state, command=command)


class StaleVersion(Conflict):
    def __init__(self, aggregate: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{aggregate} was changed by someone else (you had version {expected}, it is now {actual})",
            expected_version=expected, current_version=actual,
        )


class TooManyRequests(DomainError):
    """A rate limit refused the request; `Retry-After` says in how many seconds to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.headers = {"Retry-After": str(retry_after)}
