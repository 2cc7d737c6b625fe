"""The reliability rig: its own Kafka (deploy/kafka/kafka.sh under a temporary state folder, on its own port),
the six services as processes on their own ports (deploy/launcher.py's Platform), and the faults done to them:
SIGKILL a service (optionally with a fault point armed, see faultplan/), SIGKILL the broker, stop a database.

Nothing here is shared with the e2e platform (tests/e2e: ports 18100+, /work/e2e.lock): this rig's ports are
18300+ and its Kafka is its own, so both can run at the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.launcher import ROOT, SERVICES, Platform

KAFKA_SH = ROOT / "deploy/kafka/kafka.sh"
FAULTPLAN_DIR = Path(__file__).resolve().parent / "faultplan"
BASE_PORT = int(os.environ.get("RELIABILITY_BASE_PORT", "18300"))
# Below Linux's ephemeral range and apart from ./run test's Kafka (29292) and PostgreSQL (25532).
KAFKA_PORT = int(os.environ.get("RELIABILITY_KAFKA_PORT", "29392"))


@dataclass
class Broker:
    """A Kafka of this rig's own (one node, or three with --brokers 3), fresh state, stopped at the end."""

    state_dir: Path
    port: int = KAFKA_PORT
    brokers: int = 1

    def env(self) -> dict[str, str]:
        heap = "-Xmx384m" if self.brokers == 1 else "-Xmx256m"
        return {**os.environ, "KAFKA_STATE_DIR": str(self.state_dir), "KAFKA_PORT": str(self.port),
                "KAFKA_JVM_OPTS": os.environ.get("KAFKA_JVM_OPTS", heap)}

    def _sh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(KAFKA_SH), *args], env=self.env(), check=check, capture_output=True,
                              text=True)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.port + 2 * i}" for i in range(self.brokers))

    def start(self) -> None:
        self._sh("start", "--fresh", "--brokers", str(self.brokers))

    def stop(self) -> None:
        self._sh("stop", check=False)

    def pid(self, node: int = 1) -> int | None:
        try:
            return int((self.state_dir / f"node{node}" / "pid").read_text())
        except (OSError, ValueError):
            return None

    def kill(self, node: int = 1, sig: int = signal.SIGKILL) -> None:
        if (pid := self.pid(node)) is not None:
            os.kill(pid, sig)
            if sig == signal.SIGKILL:
                _wait_gone(pid)

    def start_node(self, node: int = 1) -> None:
        self._sh("start-node", str(node))


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        if "State:\tZ" in status:
            return
        time.sleep(0.05)


@dataclass
class Recovery:
    """One fault and how long the platform took to do its work again after it."""

    fault: str
    target: str
    down_seconds: float = 0.0
    ready_seconds: float = 0.0  # from the restart until the process answers /ready
    recovered_seconds: float | None = None  # from the restart until a fresh event was consumed (see Rig.probe)


@dataclass
class Rig:
    platform: Platform
    broker: Broker
    recoveries: list[Recovery] = field(default_factory=list)

    def url(self, svc: str) -> str:
        return self.platform.url(svc)

    def service_pid(self, svc: str) -> int | None:
        return self.platform.running(svc)

    def kill(self, svc: str) -> None:
        """SIGKILL: no shutdown hook runs, no offset is committed, no consumer leaves its group."""
        pid = self.platform.running(svc)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
        if (proc := self.platform._spawned.pop(svc, None)) is not None:
            proc.wait(timeout=10)

    def start(self, svc: str, fault: str | None = None) -> None:
        """Start one service again; `fault` arms a fault point in that process (tests/reliability/faultplan)."""
        env = self.platform.env(svc)
        if fault:
            env["PYTHONPATH"] = os.pathsep.join([str(FAULTPLAN_DIR), env.get("PYTHONPATH", "")])
            env["RELIABILITY_FAULT"] = fault
        self.platform._spawn(svc, env)

    def wait_ready(self, svc: str, timeout: float = 90.0) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            try:
                if httpx.get(self.url(svc) + "/ready", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            if self.platform._exited(svc):
                # A fault point killed it while starting up: start it again, clean, as a supervisor would.
                self.start(svc)
            time.sleep(0.2)
        raise RuntimeError(f"{svc} not ready {timeout:.0f}s after its restart (log {self.platform.log_file(svc)})")

    def wait_exited(self, svc: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.platform._exited(svc):
                return True
            time.sleep(0.1)
        return False

    def all_running(self) -> list[str]:
        return [s for s in SERVICES if not self.platform._exited(s)]
