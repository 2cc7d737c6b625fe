"""Follow-up calls (回访) as plain rules: windows, retries, the ≥3-attempt rule, failure reasons."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from crm.domain.call_windows import STANDARD_WINDOWS, next_window_start, parse_contact_window, window_of
from crm.domain.follow_up import Attempt, AttemptOutcome, FollowUp, FollowUpStatus
from shared.contracts.crm import FollowUpAttempted, FollowUpCompleted, FollowUpFailed, FollowUpScheduled
from shared.errors import Conflict, DomainError, InvalidTransition

SH = ZoneInfo("Asia/Shanghai")


def local(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SH)


def scheduled(window=None, delivered=None):
    return FollowUp.schedule(dealer_group_id="dg", store_id="s-001", repair_order_id="ro-1", customer_id="c-1",
                             vehicle_id="v-1", advisor_id="adv-7",
                             delivered_at=delivered or local(2026, 6, 1, 16, 30), contact_window=window, tz=SH)


def test_a_delivery_schedules_a_call_one_to_three_days_later_in_good_windows():
    f = scheduled()
    assert f.due_from == local(2026, 6, 2, 9, 0)
    assert f.due_to == local(2026, 6, 4, 19, 0)
    [e] = f.events
    assert isinstance(e, FollowUpScheduled) and e.advisor_id == "adv-7"


def test_a_customer_window_is_used_when_they_gave_one():
    f = scheduled(window="19:00-20:30")
    assert f.due_from == local(2026, 6, 2, 19, 0) and f.due_to == local(2026, 6, 4, 20, 30)


def test_a_call_outside_every_window_is_refused():
    f = scheduled()
    with pytest.raises(DomainError) as e:
        f.record_attempt(called_at=local(2026, 6, 2, 12, 15), outcome=AttemptOutcome.NO_ANSWER,
                         now=local(2026, 6, 2, 12, 16), contact_window=None, tz=SH)
    assert e.value.field == "called_at" and "09:00-11:30" in e.value.message and "14:00-19:00" in e.value.message
    assert f.attempts == [] and f.version == 1


def test_the_customers_own_window_counts_as_allowed():
    f = scheduled(window="20:00-21:00")
    f.record_attempt(called_at=local(2026, 6, 2, 20, 30), outcome=AttemptOutcome.NO_ANSWER,
                     now=local(2026, 6, 2, 21, 0), contact_window="20:00-21:00", tz=SH)
    assert f.attempts[0].window == "customer-1"


def test_no_answer_is_retried_in_a_different_window():
    f = scheduled()
    f.record_attempt(called_at=local(2026, 6, 2, 9, 30), outcome=AttemptOutcome.NO_ANSWER,
                     now=local(2026, 6, 2, 9, 31), contact_window=None, tz=SH)
    attempted = f.events[-1]
    assert isinstance(attempted, FollowUpAttempted)
    assert attempted.next_attempt_at == local(2026, 6, 2, 14, 0)  # the afternoon window, not the morning again
    with pytest.raises(DomainError, match="different window") as e:  # the same morning again
        f.record_attempt(called_at=local(2026, 6, 2, 11, 0), outcome=AttemptOutcome.NO_ANSWER,
                         now=local(2026, 6, 2, 11, 1), contact_window=None, tz=SH)
    assert e.value.field == "called_at" and len(f.attempts) == 1
    f.record_attempt(called_at=local(2026, 6, 2, 15, 0), outcome=AttemptOutcome.NO_ANSWER,
                     now=local(2026, 6, 2, 15, 1), contact_window=None, tz=SH)
    f.record_attempt(called_at=local(2026, 6, 3, 10, 0), outcome=AttemptOutcome.NO_ANSWER,  # tomorrow morning
                     now=local(2026, 6, 3, 10, 1), contact_window=None, tz=SH)
    assert [a.window for a in f.attempts] == ["morning", "afternoon", "morning"]
    assert [a.call_window for a in f.attempts] == [(date(2026, 6, 2), "morning"), (date(2026, 6, 2), "afternoon"),
                                                   (date(2026, 6, 3), "morning")]


def test_no_answer_fails_only_after_three_attempts():
    f = scheduled()
    calls = [local(2026, 6, 2, 9, 30), local(2026, 6, 2, 15, 0)]
    for at in calls:
        f.record_attempt(called_at=at, outcome=AttemptOutcome.NO_ANSWER, now=at, contact_window=None, tz=SH)
    with pytest.raises(DomainError) as e:
        f.fail("no_answer", now=local(2026, 6, 2, 16, 0))
    assert e.value.field == "reason" and "at least 3" in e.value.message
    assert f.status == FollowUpStatus.SCHEDULED
    at = local(2026, 6, 3, 10, 0)
    f.record_attempt(called_at=at, outcome=AttemptOutcome.NO_ANSWER, now=at, contact_window=None, tz=SH)
    f.fail("no_answer", now=at)
    assert f.status == FollowUpStatus.FAILED
    failed = f.events[-1]
    assert isinstance(failed, FollowUpFailed) and failed.advisor_id == "adv-7" and failed.attempts == 3


@pytest.mark.parametrize("outcome", ["wrong_number", "details_mismatch", "refused"])
def test_wrong_number_mismatch_or_refusal_fail_at_once(outcome):
    f = scheduled()
    at = local(2026, 6, 2, 10, 0)
    f.record_attempt(called_at=at, outcome=AttemptOutcome(outcome), now=at, contact_window=None, tz=SH)
    assert f.status == FollowUpStatus.FAILED and f.failure_reason.value == outcome
    assert isinstance(f.events[-1], FollowUpFailed) and f.events[-1].reason == outcome


@pytest.mark.parametrize("reason", ["busy", "customer_driving", "call_back_later", ""])
def test_other_reasons_cannot_fail_a_follow_up(reason):
    f = scheduled()
    with pytest.raises(DomainError) as e:
        f.fail(reason, now=local(2026, 6, 2, 10, 0))
    assert e.value.field == "reason" and "wrong_number" in e.value.message
    assert f.status == FollowUpStatus.SCHEDULED


def test_a_failed_follow_up_is_retried_after_the_details_are_corrected():
    f = scheduled()
    at = local(2026, 6, 2, 10, 0)
    f.record_attempt(called_at=at, outcome=AttemptOutcome.WRONG_NUMBER, now=at, contact_window=None, tz=SH)
    with pytest.raises(InvalidTransition) as e:
        f.record_attempt(called_at=at, outcome=AttemptOutcome.NO_ANSWER, now=at, contact_window=None, tz=SH)
    assert e.value.extra["current_state"] == "failed"
    f.retry_after_correction(now=local(2026, 6, 3, 12, 0), contact_window=None, tz=SH)
    assert f.status == FollowUpStatus.SCHEDULED and f.round == 2 and f.due_from == local(2026, 6, 3, 14, 0)
    assert isinstance(f.events[-1], FollowUpScheduled)
    assert f.unanswered_attempts() == 0  # a new round counts its own attempts


def test_completing_records_satisfaction_and_the_next_service_date():
    f = scheduled()
    at = local(2026, 6, 2, 14, 30)
    f.complete(called_at=at, now=at, contact_window=None, tz=SH, satisfaction=4, answers={"explained": 5},
               comments="fine", next_service_date=date(2026, 12, 1))
    assert f.status == FollowUpStatus.COMPLETED and f.satisfaction == 4
    assert isinstance(f.events[-1], FollowUpCompleted) and f.events[-1].next_service_date == date(2026, 12, 1)
    with pytest.raises(InvalidTransition):
        f.fail("refused", now=at)


@pytest.mark.parametrize("kw,field", [({"satisfaction": 6}, "satisfaction"), ({"answers": {"q": 0}}, "answers"),
                                      ({"next_service_date": None}, "next_service_date")])
def test_completing_with_bad_survey_data_is_refused(kw, field):
    f = scheduled()
    at = local(2026, 6, 2, 14, 30)
    args = dict(called_at=at, now=at, contact_window=None, tz=SH, satisfaction=5, answers={}, comments=None,
                next_service_date=date(2026, 12, 1)) | kw
    with pytest.raises(DomainError) as e:
        f.complete(**args)
    assert e.value.field == field and f.status == FollowUpStatus.SCHEDULED


def test_a_call_cannot_be_dated_in_the_future():
    f = scheduled()
    with pytest.raises(DomainError, match="future"):
        f.record_attempt(called_at=local(2026, 6, 2, 10, 0), outcome=AttemptOutcome.NO_ANSWER,
                         now=local(2026, 6, 2, 9, 0), contact_window=None, tz=SH)


def test_windows_are_read_in_store_time_not_utc():
    at_utc = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert window_of(at_utc, list(STANDARD_WINDOWS), SH).name == "morning"
    assert next_window_start(local(2026, 6, 2, 19, 30), list(STANDARD_WINDOWS), SH) == local(2026, 6, 3, 9, 0)
    assert next_window_start(local(2026, 6, 2, 10, 0), list(STANDARD_WINDOWS), SH,
                             avoid=STANDARD_WINDOWS[0]) == local(2026, 6, 2, 14, 0)


@pytest.mark.parametrize("text", ["evenings", "25:00-26:00", "11:00-10:00"])
def test_an_unreadable_contact_window_is_refused(text):
    with pytest.raises(DomainError) as e:
        parse_contact_window(text)
    assert e.value.field == "contact_window"


def test_several_windows_may_be_given():
    ws = parse_contact_window("08:00-09:00, 19:00～20:00")
    assert [str(w) for w in ws] == ["08:00-09:00", "19:00-20:00"]


# -- at least three attempts, in different windows (a window: one day's slot) -------------------------------
def call(f, at, outcome=AttemptOutcome.NO_ANSWER):
    return f.record_attempt(called_at=at, outcome=outcome, now=at + timedelta(minutes=1), contact_window=None, tz=SH)


def test_a_call_dated_before_the_last_recorded_one_is_refused():
    f = scheduled()
    call(f, local(2026, 6, 2, 9, 30))
    call(f, local(2026, 6, 2, 15, 0))
    with pytest.raises(Conflict) as e:  # back into a window the day already tried: the old rule let it through
        f.record_attempt(called_at=local(2026, 6, 2, 10, 0), outcome=AttemptOutcome.NO_ANSWER,
                         now=local(2026, 6, 2, 16, 0), contact_window=None, tz=SH)
    assert e.value.status_code == 409 and e.value.field == "called_at"
    assert e.value.extra["last_called_at"] == local(2026, 6, 2, 15, 0).isoformat()
    with pytest.raises(Conflict):  # nor a completion dated before it
        f.complete(called_at=local(2026, 6, 2, 14, 30), now=local(2026, 6, 2, 16, 0), contact_window=None, tz=SH,
                   satisfaction=5, answers={}, comments=None, next_service_date=date(2026, 12, 1))
    assert len(f.attempts) == 2 and f.version == 3
    with pytest.raises(DomainError, match="only 2 call window") as e:
        f.fail("no_answer", now=local(2026, 6, 2, 16, 0))
    assert e.value.field == "reason" and f.status == FollowUpStatus.SCHEDULED


def test_calls_interleaving_no_answer_and_call_back_later_in_one_window_do_not_make_three():
    f = scheduled()
    call(f, local(2026, 6, 2, 9, 30))
    call(f, local(2026, 6, 2, 9, 45), AttemptOutcome.CALL_BACK_LATER)
    with pytest.raises(DomainError, match="different window") as e:
        call(f, local(2026, 6, 2, 10, 0))
    assert e.value.field == "called_at"
    call(f, local(2026, 6, 2, 10, 15), AttemptOutcome.CALL_BACK_LATER)
    call(f, local(2026, 6, 2, 14, 30), AttemptOutcome.CALL_BACK_LATER)
    call(f, local(2026, 6, 3, 9, 30), AttemptOutcome.CALL_BACK_LATER)
    assert f.unanswered_windows() == {(date(2026, 6, 2), "morning")}
    with pytest.raises(DomainError, match="only 1 call window"):
        f.fail("no_answer", now=local(2026, 6, 3, 10, 0))
    assert f.status == FollowUpStatus.SCHEDULED


def test_repeats_stored_under_the_old_rule_count_once_per_window():
    f = scheduled()
    outcomes = ["no_answer", "call_back_later", "no_answer", "call_back_later", "no_answer"]
    f.attempts = [Attempt(no=i + 1, round=1, called_at=local(2026, 6, 2, 9, 30 + 5 * i), outcome=o, window="morning")
                  for i, o in enumerate(outcomes)]  # as stored before the day was: no window_date
    assert f.unanswered_attempts() == 3 and f.unanswered_windows() == {(date(2026, 6, 2), "morning")}
    with pytest.raises(DomainError, match="only 1 call window"):
        f.fail("no_answer", now=local(2026, 6, 2, 16, 0))


def test_the_same_slot_on_different_days_are_different_windows():
    f = scheduled()
    for day in (2, 3, 4):
        call(f, local(2026, 6, day, 10, 0))
    assert len(f.unanswered_windows()) == 3
    f.fail("no_answer", now=local(2026, 6, 4, 10, 5))
    assert f.status == FollowUpStatus.FAILED and f.events[-1].attempts == 3


def test_the_day_of_a_window_is_the_stores_day_whatever_offset_the_call_was_given_in():
    f = scheduled()
    call(f, local(2026, 6, 2, 10, 0))
    new_york = timezone(timedelta(hours=-4))
    next_morning = local(2026, 6, 3, 9, 30).astimezone(new_york)  # 2 June, 21:30 in New York
    assert next_morning.date() == date(2026, 6, 2)
    attempt = call(f, next_morning)
    assert attempt.call_window == (date(2026, 6, 3), "morning")
    assert attempt.model_dump(mode="json")["window_date"] == "2026-06-03"


def test_only_no_answer_counts_as_unanswered():
    assert {o for o in AttemptOutcome if o.unanswered} == {AttemptOutcome.NO_ANSWER}


# -- not before the planned period opens --------------------------------------------------------------------
def test_no_call_is_recorded_before_the_follow_up_opens():
    f = scheduled()  # delivered 1 June 16:30: opens 2 June 09:00
    evening = local(2026, 6, 1, 18, 0)
    with pytest.raises(Conflict) as e:
        f.complete(called_at=evening, now=evening, contact_window=None, tz=SH, satisfaction=5, answers={},
                   comments=None, next_service_date=date(2026, 12, 1))
    assert e.value.status_code == 409 and e.value.field == "called_at"
    assert e.value.extra["due_from"] == "2026-06-02T09:00:00+08:00" and "2026-06-02 09:00" in e.value.message
    with pytest.raises(Conflict) as e:
        f.record_attempt(called_at=local(2026, 6, 1, 17, 0), outcome=AttemptOutcome.NO_ANSWER,
                         now=evening, contact_window=None, tz=SH)
    assert e.value.extra["due_from"] == "2026-06-02T09:00:00+08:00"
    assert f.status == FollowUpStatus.SCHEDULED and f.attempts == [] and f.version == 1 and len(f.events) == 1
    opens = local(2026, 6, 2, 9, 0)
    f.complete(called_at=opens, now=opens, contact_window=None, tz=SH, satisfaction=5, answers={},
               comments=None, next_service_date=date(2026, 12, 1))
    assert f.status == FollowUpStatus.COMPLETED
