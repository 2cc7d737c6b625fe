"""Customer-care reports: the Monday follow-up report (回访周报) and the monthly report due by
the 3rd (满意度 and 投诉处理情况), with the store's targets."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from shared.errors import DomainError

FOLLOW_UP_SUCCESS_TARGET = Decimal("0.80")
SEVERE_COMPLAINT_RATE_TARGET = Decimal("0.01")


def _ratio(n: int, d: int, places: str = "0.0001") -> Decimal | None:
    return (Decimal(n) / Decimal(d)).quantize(Decimal(places), ROUND_HALF_UP) if d else None


def report_week(week_start: date) -> tuple[date, date]:
    """A report week runs Monday to Sunday."""
    if week_start.weekday() != 0:
        raise DomainError(f"{week_start.isoformat()} is not a Monday", field="week_start")
    return week_start, week_start + timedelta(days=7)


def last_full_week(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


@dataclass(frozen=True)
class FollowUpFacts:
    advisor_id: str | None
    status: str                  # scheduled / completed / failed
    failure_reason: str | None = None


def weekly_follow_up_report(week_start: date, follow_ups: list[FollowUpFacts]) -> dict:
    """Follow-ups for the week's deliveries: scheduled, reached, success rate, failures by reason, per advisor."""
    report_week(week_start)

    def figures(items: list[FollowUpFacts]) -> dict:
        reached = sum(1 for f in items if f.status == "completed")
        failed = [f for f in items if f.status == "failed"]
        rate = _ratio(reached, len(items))
        return {
            "scheduled": len(items),
            "reached": reached,
            "failed": len(failed),
            "pending": len(items) - reached - len(failed),
            "success_rate": str(rate) if rate is not None else None,
            "failures_by_reason": dict(sorted(Counter(f.failure_reason or "unknown" for f in failed).items())),
        }

    by_advisor: dict[str, list[FollowUpFacts]] = defaultdict(list)
    for f in follow_ups:
        by_advisor[f.advisor_id or "unknown"].append(f)
    total = figures(follow_ups)
    rate = _ratio(total["reached"], total["scheduled"])
    return {
        "week_start": week_start.isoformat(),
        "week_end": (week_start + timedelta(days=6)).isoformat(),
        **total,
        "target_success_rate": str(FOLLOW_UP_SUCCESS_TARGET),
        "meets_target": None if rate is None else rate >= FOLLOW_UP_SUCCESS_TARGET,
        "per_advisor": {a: figures(items) for a, items in sorted(by_advisor.items())},
    }


def parse_month(month: str) -> tuple[date, date]:
    try:
        y, m = (int(x) for x in month.split("-"))
        first = date(y, m, 1)
    except (ValueError, TypeError):
        raise DomainError(f"{month!r} is not a month like 2026-05", field="month") from None
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt


def last_month(today: date) -> str:
    prev = today.replace(day=1) - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


@dataclass(frozen=True)
class SurveyFacts:
    satisfaction: int
    answers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ComplaintFacts:
    severity: str
    status: str
    overdue: bool = False


def monthly_report(month: str, *, visits: int, surveys: list[SurveyFacts], complaints: list[ComplaintFacts]) -> dict:
    """Last month's satisfaction and complaint resolution; severe complaints against visits (target ≤ 1%)."""
    first, nxt = parse_month(month)
    avg = (Decimal(sum(s.satisfaction for s in surveys)) / len(surveys)).quantize(Decimal("0.01"), ROUND_HALF_UP) \
        if surveys else None
    per_q: dict[str, list[int]] = defaultdict(list)
    for s in surveys:
        for q, v in s.answers.items():
            per_q[q].append(v)
    severe = sum(1 for c in complaints if c.severity == "severe")
    closed = sum(1 for c in complaints if c.status == "closed")
    severe_rate = _ratio(severe, visits)
    return {
        "month": month,
        "due_by": nxt.replace(day=3).isoformat(),
        "visits": visits,
        "satisfaction": {
            "surveys": len(surveys),
            "average": str(avg) if avg is not None else None,
            "distribution": {str(k): sum(1 for s in surveys if s.satisfaction == k) for k in range(1, 6)},
            "per_question": {q: str((Decimal(sum(v)) / len(v)).quantize(Decimal("0.01"), ROUND_HALF_UP))
                             for q, v in sorted(per_q.items())},
        },
        "complaints": {
            "opened": len(complaints),
            "by_class": {k: sum(1 for c in complaints if c.severity == k)
                         for k in ("grumble", "general", "medium", "severe")},
            "closed": closed,
            "unresolved": len(complaints) - closed,
            "overdue": sum(1 for c in complaints if c.overdue),
            "resolution_rate": str(r) if (r := _ratio(closed, len(complaints))) is not None else None,
        },
        "severe_complaint_rate": str(severe_rate) if severe_rate is not None else None,
        "target_severe_complaint_rate": str(SEVERE_COMPLAINT_RATE_TARGET),
        "meets_target": None if severe_rate is None else severe_rate <= SEVERE_COMPLAINT_RATE_TARGET,
        "period": {"from": first.isoformat(), "to": (nxt - timedelta(days=1)).isoformat()},
    }
