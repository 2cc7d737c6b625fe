"""The reliability rig: its own Kafka (deploy/kafka/kafka.sh under a temporary state folder, on its own port),
the six services as processes on their own ports (deploy/launcher.py's Platform), and the faults done to them:
SIGKILL a service (optionally with a fault point armed, see faultplan/), SIGKILL the broker, stop one service's
PostgreSQL (that service's database lives on a cluster of the rig's own, deploy/postgres/pg.sh, so stopping it
touches nothing else).

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
PG_SH = ROOT / "deploy/postgres/pg.sh"
PG_PORT = int(os.environ.get("RELIABILITY_PG_PORT", "29432"))
# The service whose database is stopped mid-traffic: it consumes four topics and publishes what reception waits
# for, so a consumer that skipped while its database was down would show as a lost effect.
OUTAGE_SERVICE = os.environ.get("RELIABILITY_OUTAGE_SERVICE", "workshop")


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

    def _sh(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", str(KAFKA_SH), *args], env=self.env() | env, capture_output=True, text=True)
        if check and done.returncode:  # kafka.sh says why on stderr (not ready, exited, port taken): keep it
            raise RuntimeError(f"kafka.sh {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}")
        return done

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.port + 2 * i}" for i in range(self.brokers))

    def start(self) -> None:
        # --manufacturer: the car maker's SASL listener, where the manufacturer simulator answers warranty claims.
        self._sh("start", "--fresh", "--brokers", str(self.brokers), "--manufacturer")

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
        # A broker SIGKILLed in a busy cluster recovers its logs and catches up before it answers: 67 s in one full
        # run on the shared machine, over kafka.sh's 90 s in the next. Its time to recover is measured either way.
        self._sh("start-node", str(node), KAFKA_START_TIMEOUT=os.environ.get("KAFKA_START_TIMEOUT", "300"))


@dataclass
class Postgres:
    """One service's own PostgreSQL cluster (pg.sh under its own state folder and port), stopped at the end.

    The state folder is fixed under the checkout (like ./run test's own cluster): pg.sh would otherwise keep a
    cluster per temporary folder in the postgres user's home, which cannot enter root's pytest folders."""

    state_dir: Path
    port: int = PG_PORT
    databases: tuple[str, ...] = ()

    def env(self) -> dict[str, str]:
        return {**os.environ, "PG_STATE_DIR": str(self.state_dir), "PGPORT_LOCAL": str(self.port), "PG_FAST": "1",
                "PG_DATABASES": " ".join(self.databases)}

    def _sh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(PG_SH), *args], env=self.env(), check=check, capture_output=True,
                              text=True)

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self, *, fresh: bool = False) -> None:
        self._sh("start", *(["--fresh"] if fresh else []))

    def stop(self) -> None:
        """pg_ctl stop -m fast: every open connection is cut, as when the database server goes away."""
        self._sh("stop", check=False)


@dataclass
class RigPlatform(Platform):
    """The launcher's platform, with some services' databases on another PostgreSQL server."""

    own_servers: dict[str, str] = field(default_factory=dict)

    def database_url(self, svc: str) -> str:
        server = self.own_servers.get(svc, self.pg_server_url)
        return server.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + self.databases[svc]


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
    postgres: Postgres | None = None  # OUTAGE_SERVICE's own cluster
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

    def start(self, svc: str, fault: str | None = None, *, skew: float = 0.0) -> None:
        """Start one service again; `fault` arms a fault point in that process, `skew` sets its wall clock that
        many seconds off (tests/reliability/faultplan)."""
        env = self.platform.env(svc)
        if fault or skew:
            env["PYTHONPATH"] = os.pathsep.join([str(FAULTPLAN_DIR), env.get("PYTHONPATH", "")])
            env["RELIABILITY_FAULT"] = fault or ""
            env["RELIABILITY_CLOCK_SKEW"] = str(skew)
        self.platform._spawn(svc, env)

    def wait_ready(self, svc: str, timeout: float = 90.0, restart: bool = True) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            try:
                if httpx.get(self.url(svc) + "/ready", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            if restart and self.platform._exited(svc):
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

    def ready(self, svc: str) -> tuple[int | None, dict]:
        """The service's /ready answer (status, body); (None, {}) when it does not answer at all."""
        try:
            r = httpx.get(self.url(svc) + "/ready", timeout=5)
            return r.status_code, r.json()
        except (httpx.HTTPError, ValueError):
            return None, {}
