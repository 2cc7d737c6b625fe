"""The business clock a service reads from CLOCK_FILE (shared.clock.FileClock): the demo loader sets a day, time
runs on from it at real speed, a new file moves it, no file is real time; and the service keeps its security on
real time while business time is moved."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from shared.clock import FileClock, FixedClock, SystemClock, clock_from
from shared.service import create_service_app
from shared.settings import ServiceSettings

REAL = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def test_without_the_file_the_clock_is_real_time(tmp_path):
    real = FixedClock(REAL)
    assert FileClock(tmp_path / "clock.json", real=real).now() == REAL


def test_the_file_sets_business_time_which_then_runs_on_at_real_speed(tmp_path):
    real, path = FixedClock(REAL), tmp_path / "clock.json"
    clock = FileClock(path, real=real)
    FileClock.write(path, DAY, anchor=REAL)
    assert clock.now() == DAY
    real.advance(minutes=90)
    assert clock.now() == DAY + timedelta(minutes=90)


def test_a_new_file_moves_the_clock_and_removing_it_returns_to_real_time(tmp_path):
    real, path = FixedClock(REAL), tmp_path / "clock.json"
    clock = FileClock(path, real=real)
    FileClock.write(path, DAY, anchor=REAL)
    assert clock.now() == DAY
    FileClock.write(path, DAY + timedelta(days=1), anchor=REAL)
    assert clock.now() == DAY + timedelta(days=1)  # read again: the file was replaced
    path.unlink()
    assert clock.now() == REAL


def test_a_broken_file_keeps_the_last_time_it_said(tmp_path):
    real, path = FixedClock(REAL), tmp_path / "clock.json"
    clock = FileClock(path, real=real)
    FileClock.write(path, DAY, anchor=REAL)
    assert clock.now() == DAY
    path.write_text('{"at": "not a time"')
    os.utime(path, ns=(1, 1))  # surely a change the clock notices
    assert clock.now() == DAY


def test_writing_a_naive_time_is_refused(tmp_path):
    try:
        FileClock.write(tmp_path / "c.json", datetime(2026, 1, 1))
    except ValueError:
        return
    raise AssertionError("a naive datetime was accepted")


def test_the_setting_picks_the_clock():
    assert isinstance(clock_from(""), SystemClock)
    assert isinstance(clock_from("/tmp/x.json"), FileClock)


def test_a_service_on_clock_file_answers_business_time_and_keeps_security_on_real_time(tmp_path):
    path = tmp_path / "clock.json"
    FileClock.write(path, DAY)
    app = create_service_app(ServiceSettings(service_name="clocked", clock_file=str(path)))
    runtime = app.state.runtime
    assert abs(runtime.clock.now() - DAY) < timedelta(minutes=1)
    assert abs(runtime.security_clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
    health = TestClient(app).get("/health").json()  # no lifespan (no Kafka): the probe only reads the clock
    assert abs(datetime.fromisoformat(health["now"]) - DAY) < timedelta(minutes=1)


def test_an_injected_clock_is_both_business_and_security_time():
    """Tests that move one clock for everything (token sessions too) keep doing so."""
    fixed = FixedClock(DAY)
    app = create_service_app(ServiceSettings(service_name="fixed"), clock=fixed)
    assert app.state.runtime.clock is fixed and app.state.runtime.security_clock is fixed
