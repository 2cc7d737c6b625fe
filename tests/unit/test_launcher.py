"""deploy/launcher.py's managed processes: `./run start` runs the six services and the manufacturer simulator
(on Kafka's SASL listener, with the manufacturer's own credentials); the e2e platform runs the services only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy.launcher import SERVICES, SIMULATOR, SIMULATOR_SCRIPT, Platform

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    for k in ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_MANUFACTURER_PORT", "MANUFACTURER_KAFKA_BOOTSTRAP",
              "MANUFACTURER_KAFKA_USERNAME", "MANUFACTURER_KAFKA_PASSWORD", "MANUFACTURER_SIMULATOR",
              "MANUFACTURER_SIMULATOR_ARGS", "PLATFORM_BASE_PORT"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_run_start_manages_the_simulator_after_the_services(clean_env):
    p = Platform.from_env()
    assert p.processes() == (*SERVICES, SIMULATOR)
    cmd = p.command(SIMULATOR)
    assert cmd[:2] == [sys.executable, SIMULATOR_SCRIPT] and (ROOT / SIMULATOR_SCRIPT).is_file()
    # kafka.sh's manufacturer listener: the broker's port + 10, unless told otherwise
    assert cmd[cmd.index("--bootstrap") + 1] == "127.0.0.1:59102"
    assert "--return-parts-days" in cmd
    clean_env.setenv("JWT_SIGNING_KEYS", "the gateway's private keys")
    env = p.simulator_env()
    assert env["MANUFACTURER_KAFKA_USERNAME"] == "manufacturer"
    assert env["MANUFACTURER_KAFKA_PASSWORD"] == "manufacturer-secret"  # kafka.sh's default
    assert "manufacturer-secret" not in " ".join(cmd), "a password on the command line shows in ps"
    assert "KAFKA_BOOTSTRAP_SERVERS" not in env  # it is an outsider: no key of the platform either
    assert not {k for k in env if k.startswith("JWT_")}


def test_simulator_settings_follow_the_environment(clean_env):
    clean_env.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:59292")
    assert Platform.from_env().sasl_bootstrap() == "127.0.0.1:59302"
    clean_env.setenv("KAFKA_MANUFACTURER_PORT", "40000")
    clean_env.setenv("MANUFACTURER_KAFKA_PASSWORD", "s3cret")
    clean_env.setenv("MANUFACTURER_SIMULATOR_ARGS", "--max-labour-hours 2 --reject-parts BAT-")
    p = Platform.from_env()
    assert p.sasl_bootstrap() == "127.0.0.1:40000"
    assert p.simulator_env()["MANUFACTURER_KAFKA_PASSWORD"] == "s3cret"
    assert p.command(SIMULATOR)[-4:] == ["--max-labour-hours", "2", "--reject-parts", "BAT-"]
    clean_env.setenv("MANUFACTURER_SIMULATOR", "0")
    assert Platform.from_env().processes() == SERVICES


def test_the_e2e_platform_runs_the_services_only():
    """tests/e2e/conftest.py builds Platform(...) directly: its Kafka has no SASL listener, so no simulator."""
    assert Platform().processes() == SERVICES
    assert "simulator" not in (ROOT / "tests/e2e/conftest.py").read_text()


def test_stop_and_status_know_the_simulator_by_its_pid_file(tmp_path):
    p = Platform(state_dir=tmp_path)
    assert p.status()[SIMULATOR].startswith("stopped")
    # a pid file whose process is not the simulator (a reused pid) is not ours: not killed, file removed
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        p.pid_file(SIMULATOR).write_text(str(other.pid))
        assert p.running(SIMULATOR) is None
        p.stop()
        assert other.poll() is None and not p.pid_file(SIMULATOR).exists()
    finally:
        other.kill()
        other.wait()


def test_stop_ends_a_running_simulator_by_its_pid(tmp_path):
    """A stand-in with the simulator's command line: `stop` signals that pid, waits, and forgets it."""
    fake = tmp_path / "deploy" / "manufacturer_simulator.py"
    fake.parent.mkdir()
    fake.write_text("import time\nprint('manufacturer-simulator: ready', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, SIMULATOR_SCRIPT], cwd=tmp_path)
    try:
        p = Platform(state_dir=tmp_path)
        p.pid_file(SIMULATOR).write_text(str(proc.pid))
        for _ in range(50):  # until the child has exec'd (its /proc cmdline is empty before)
            if p.running(SIMULATOR):
                break
            time.sleep(0.05)
        assert p.running(SIMULATOR) == proc.pid
        assert p.status()[SIMULATOR].startswith(f"pid {proc.pid}")
        p.stop()
        assert proc.wait(timeout=5) is not None and not p.pid_file(SIMULATOR).exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_run_start_gives_kafka_the_manufacturer_listener():
    run = (ROOT / "run").read_text()
    start = run[run.index("  start)"):run.index("  stop)")]
    assert "kafka.sh start --manufacturer" in start
    test = run[run.index("  test)"):run.index("  docs)")]
    assert "--manufacturer" not in test  # ./run test's throwaway Kafka stays as it was
    assert os.access(ROOT / "run", os.X_OK)


def test_only_a_demo_start_puts_the_services_on_the_business_clock(clean_env, tmp_path):
    """`start --demo`: every service reads CLOCK_FILE (the demo loader's history days); a plain start: real time,
    even when the shell that runs it has a CLOCK_FILE of its own."""
    clean_env.setenv("CLOCK_FILE", "/somewhere/else.json")
    p = Platform(state_dir=tmp_path)
    assert p.clock_file is None and all("CLOCK_FILE" not in p.env(s) for s in SERVICES)
    p.business_clock = True
    assert {p.env(s)["CLOCK_FILE"] for s in SERVICES} == {str(tmp_path / "business-clock.json")}


def test_start_ends_with_where_to_look_and_the_demo_logins():
    from deploy.launcher import where_to_look

    lines = " ".join(where_to_look(Platform(), demo=True))
    for what in ("/docs", "/boards/login", "/boards/figures", "demo1234", "admin.hd", "analyst.hd", "manager.pd",
                 "advisor.pd"):
        assert what in lines, what
    assert "demo1234" not in " ".join(where_to_look(Platform(), demo=False))
