"""Start, check and stop the services of shared/registry.py as local processes (no Docker), and the
manufacturer simulator (deploy/manufacturer_simulator.py) beside them.

    python deploy/launcher.py start [--demo]   migrate, start, wait for /ready, load demo data
    python deploy/launcher.py stop             stop the processes this script started (by pid)
    python deploy/launcher.py status

Kafka and PostgreSQL must be up (deploy/kafka/kafka.sh, deploy/postgres/pg.sh); Kafka with
`--manufacturer`, since the simulator connects as the car maker would, with its own SCRAM credentials on
its own SASL listener. Ports, URLs and state folder come from the environment (see `Platform.from_env`;
MANUFACTURER_SIMULATOR=0 leaves the simulator out, MANUFACTURER_SIMULATOR_ARGS sets its rules); the
end-to-end tests use the same class on other ports, without the simulator (their Kafka has no SASL
listener).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import shared.registry as registry
from shared.settings import DEV_JWT_KEYS, DEV_SIGNING_KEYS

try:
    from deploy.local_prometheus import DEFAULT_PORT as PROMETHEUS_PORT
    from deploy.local_prometheus import LocalPrometheus
except ModuleNotFoundError:  # run as a script: deploy/ itself is on the path
    from local_prometheus import DEFAULT_PORT as PROMETHEUS_PORT
    from local_prometheus import LocalPrometheus

ROOT = Path(__file__).resolve().parents[1]
SERVICES = registry.names()  # start order (shared/registry.py): the gateway last, it fronts the rest
DEFAULT_PORTS = {s.name: s.http_port for s in registry.SERVICES}
SIMULATOR = "manufacturer-simulator"  # a managed process too: pid file, log, status, stop (no HTTP)
SIMULATOR_SCRIPT = "deploy/manufacturer_simulator.py"
SIMULATOR_READY = b"manufacturer-simulator: ready"
# The demo's manufacturer: pays what is claimed and asks for the old parts back within 14 days (so the
# part-return duty shows too). MANUFACTURER_SIMULATOR_ARGS replaces these (see the simulator's --help).
SIMULATOR_DEFAULT_ARGS = "--return-parts-days 14"
# deploy/kafka/kafka.sh's defaults for the manufacturer's listener and SCRAM user.
MANUFACTURER_PORT_OFFSET = 10
MANUFACTURER_USERNAME = "manufacturer"
MANUFACTURER_PASSWORD = "manufacturer-secret"


def say(msg: str) -> None:
    print(f"platform: {msg}", flush=True)


@dataclass
class Platform:
    pg_server_url: str = "postgresql://postgres@127.0.0.1:55432"
    kafka_bootstrap: str = "127.0.0.1:59092"
    state_dir: Path = ROOT / ".local/platform"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    databases: dict[str, str] = field(default_factory=lambda: {s.name: s.database for s in registry.SERVICES})
    jwt_keys: str = DEV_JWT_KEYS  # every service verifies with these public keys
    jwt_signing_keys: str = DEV_SIGNING_KEYS  # the gateway alone signs
    extra_env: dict[str, str] = field(default_factory=dict)
    # Tests: the services get SIGTERM when the thread that started them dies, so even a test
    # run killed outright leaves no server behind. (`./run start` leaves them running, by design.)
    die_with_parent: bool = False
    # The manufacturer simulator, on Kafka's SASL/SCRAM listener (`kafka.sh start --manufacturer`). Off by
    # default (the e2e platform's Kafka has no such listener); `from_env` (./run start) turns it on.
    simulator: bool = False
    manufacturer_bootstrap: str | None = None
    """The manufacturer's listener; default: the first broker's port + 10, as kafka.sh puts it."""
    manufacturer_username: str = MANUFACTURER_USERNAME
    manufacturer_password: str = MANUFACTURER_PASSWORD
    simulator_args: tuple[str, ...] = tuple(shlex.split(SIMULATOR_DEFAULT_ARGS))
    # Prometheus scraping the services with the repo's alert rules; `from_env` (./run start) turns it on.
    prometheus: bool = False
    prometheus_port: int = PROMETHEUS_PORT
    # Business time from a file the demo loader writes (shared.clock.FileClock): the services get CLOCK_FILE.
    # Off by default; `start --demo` and the end-to-end platform turn it on (real time while the file is missing).
    business_clock: bool = False
    _spawned: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls) -> Platform:
        p = cls()
        pg_port = os.environ.get("PGPORT_LOCAL", "55432")
        p.pg_server_url = os.environ.get("PG_SERVER_URL", f"postgresql://postgres@127.0.0.1:{pg_port}")
        p.kafka_bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", p.kafka_bootstrap)
        p.jwt_keys = os.environ.get("JWT_KEYS", p.jwt_keys)
        p.jwt_signing_keys = os.environ.get("JWT_SIGNING_KEYS", p.jwt_signing_keys)
        base = os.environ.get("PLATFORM_BASE_PORT")
        if base:
            lowest = min(DEFAULT_PORTS.values())
            p.ports = {s: int(base) + (port - lowest) for s, port in DEFAULT_PORTS.items()}
        p.simulator = os.environ.get("MANUFACTURER_SIMULATOR", "1") not in ("0", "false", "no", "")
        if port := os.environ.get("KAFKA_MANUFACTURER_PORT"):
            p.manufacturer_bootstrap = f"127.0.0.1:{port}"
        p.manufacturer_bootstrap = os.environ.get("MANUFACTURER_KAFKA_BOOTSTRAP", p.manufacturer_bootstrap)
        p.manufacturer_username = os.environ.get("MANUFACTURER_KAFKA_USERNAME", p.manufacturer_username)
        p.manufacturer_password = os.environ.get("MANUFACTURER_KAFKA_PASSWORD", p.manufacturer_password)
        p.prometheus = os.environ.get("PROMETHEUS", "1") not in ("0", "false", "no", "")
        p.prometheus_port = int(os.environ.get("PROMETHEUS_PORT", p.prometheus_port))
        if "MANUFACTURER_SIMULATOR_ARGS" in os.environ:
            p.simulator_args = tuple(shlex.split(os.environ["MANUFACTURER_SIMULATOR_ARGS"]))
        return p

    def processes(self) -> tuple[str, ...]:
        """What `start` runs, in start order: the services, then the simulator when it is on."""
        return SERVICES + ((SIMULATOR,) if self.simulator else ())

    def sasl_bootstrap(self) -> str:
        if self.manufacturer_bootstrap:
            return self.manufacturer_bootstrap
        host, _, port = self.kafka_bootstrap.split(",")[0].rpartition(":")
        return f"{host}:{int(port) + MANUFACTURER_PORT_OFFSET}"

    def command(self, name: str) -> list[str]:
        if name == SIMULATOR:
            # Credentials go by environment (simulator_env), not on the command line (ps shows that).
            return [sys.executable, SIMULATOR_SCRIPT, "--bootstrap", self.sasl_bootstrap(), *self.simulator_args]
        return [sys.executable, "-m", registry.service(name).package]

    def simulator_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DATABASE_URL", "HTTP_PORT", "KAFKA_BOOTSTRAP_SERVERS", "JWT_"))}
        env.update(MANUFACTURER_KAFKA_USERNAME=self.manufacturer_username,
                   MANUFACTURER_KAFKA_PASSWORD=self.manufacturer_password, PYTHONUNBUFFERED="1")
        return env

    def monitor(self) -> LocalPrometheus:
        """The platform's Prometheus (whether or not it runs), its configuration and data under the state folder."""
        return LocalPrometheus(self.state_dir / "prometheus", port=self.prometheus_port)

    def start_prometheus(self, timeout: float = 60.0) -> LocalPrometheus:
        """Start Prometheus on the services' ports and wait until it sees every service up."""
        prom = self.monitor()
        targets = {svc: f"127.0.0.1:{self.ports[svc]}" for svc in SERVICES}
        pid = prom.start(targets, timeout, preexec_fn=_die_with_parent if self.die_with_parent else None)
        say(f"prometheus: pid {pid} on {prom.url} (config {prom.config_file}, log {prom.log_file})")
        prom.wait_targets_up(SERVICES, timeout)
        say(f"prometheus: all {len(SERVICES)} targets up")
        return prom

    @property
    def clock_file(self) -> Path | None:
        """The services' CLOCK_FILE, when they keep business time from one."""
        return self.state_dir / "business-clock.json" if self.business_clock else None

    def url(self, svc: str) -> str:
        return f"http://127.0.0.1:{self.ports[svc]}"

    def database_url(self, svc: str) -> str:
        return self.pg_server_url.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + self.databases[svc]

    def env(self, svc: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HTTP_PORT"))}
        env.update(
            DATABASE_URL=self.database_url(svc), KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap,
            HTTP_PORT=str(self.ports[svc]), HTTP_HOST="127.0.0.1", JWT_KEYS=self.jwt_keys,
            PYTHONUNBUFFERED="1",
            # Static consumer group members, named by where they listen: a restarted service gets its partitions
            # back at once instead of after its killed predecessor's session timed out (extra_env may set "").
            KAFKA_GROUP_INSTANCE_ID=f"{svc}@127.0.0.1:{self.ports[svc]}",
        )
        env.pop("JWT_SIGNING_KEYS", None)
        env.pop("CLOCK_FILE", None)
        if self.clock_file is not None:
            env["CLOCK_FILE"] = str(self.clock_file)
        if svc == "gateway":
            env["JWT_SIGNING_KEYS"] = self.jwt_signing_keys
            env.update({s.url_env: self.url(s.name) for s in registry.backends()})
        env.update(self.extra_env)
        return env

    def pid_file(self, svc: str) -> Path:
        return self.state_dir / f"{svc}.pid"

    def log_file(self, svc: str) -> Path:
        return self.state_dir / f"{svc}.log"

    # -- lifecycle -------------------------------------------------------------------------------
    def migrate(self) -> None:
        from importlib import import_module

        from shared.migrations import upgrade

        for svc in SERVICES:
            upgrade(import_module(f"{registry.service(svc).package}.main").MIGRATIONS, self.database_url(svc))
            say(f"{svc}: database migrated")

    def running(self, svc: str) -> int | None:
        try:
            pid = int(self.pid_file(svc).read_text())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        if _marker(svc) not in cmdline or "State:\tZ" in status:
            return None
        return pid

    def start(self, timeout: float = 120.0, *, migrate: bool = True) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            self.migrate()
        for svc in SERVICES:
            if self.running(svc):
                say(f"{svc}: already running (pid {self.running(svc)})")
                continue
            proc = self._spawn(svc, self.env(svc))
            say(f"{svc}: started pid {proc.pid} on {self.url(svc)} (log {self.log_file(svc)})")
        self.wait_ready(timeout)
        if self.simulator:
            self.start_simulator(timeout)
        if self.prometheus:
            if self.monitor().installed():
                self.start_prometheus(timeout)
            else:
                say("prometheus: not installed (./run start installs Debian's package), not started")

    def _exited(self, name: str) -> bool:
        # A process started by this object is asked directly: right after the spawn, /proc's cmdline of the
        # child can still read empty (before its exec), which `running()` would take for "not ours".
        if (proc := self._spawned.get(name)) is not None:
            return proc.poll() is not None
        return not self.running(name)

    def _spawn(self, name: str, env: dict[str, str]) -> subprocess.Popen:
        with open(self.log_file(name), "ab") as log:
            proc = subprocess.Popen(self.command(name), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True,
                                    preexec_fn=_die_with_parent if self.die_with_parent else None)
        self.pid_file(name).write_text(str(proc.pid))
        self._spawned[name] = proc
        return proc

    def start_simulator(self, timeout: float = 60.0) -> None:
        """The manufacturer, as a process of its own on its SASL listener; ready once it reads its partitions."""
        if pid := self.running(SIMULATOR):
            say(f"{SIMULATOR}: already running (pid {pid})")
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_file(SIMULATOR)
        start_at = log.stat().st_size if log.exists() else 0
        proc = self._spawn(SIMULATOR, self.simulator_env())
        say(f"{SIMULATOR}: started pid {proc.pid} on {self.sasl_bootstrap()} as {self.manufacturer_username} "
            f"(log {log})")
        deadline = time.monotonic() + timeout
        while True:
            with open(log, "rb") as f:
                f.seek(start_at)
                if SIMULATOR_READY in f.read():
                    say(f"{SIMULATOR}: ready")
                    return
            if self._exited(SIMULATOR):
                self.pid_file(SIMULATOR).unlink(missing_ok=True)
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{SIMULATOR} exited during start-up (is Kafka started with `kafka.sh start "
                                   f"--manufacturer`, its SASL listener on {self.sasl_bootstrap()}?); "
                                   f"log tail:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{SIMULATOR} not ready after {timeout:.0f}s (log {log})")
            time.sleep(0.3)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending:
            for svc in sorted(pending):
                if self._exited(svc):
                    tail = self.log_file(svc).read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{svc} exited during start-up; log tail:\n{tail}")
                try:
                    if httpx.get(self.url(svc) + "/ready", timeout=2).status_code == 200:
                        pending.discard(svc)
                        say(f"{svc}: ready ({len(SERVICES) - len(pending)}/{len(SERVICES)})")
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
            if pending:
                time.sleep(0.5)

    def stop(self, services: tuple[str, ...] | None = None) -> None:
        """Stop by pid, in reverse start order; by default everything, the simulator too if it runs (whether
        or not this Platform would start it)."""
        if services is None and (pid := self.monitor().stop()):
            say(f"prometheus: stopped (pid {pid})")
        for svc in reversed(services if services is not None else SERVICES + (SIMULATOR,)):
            pid = self.running(svc)
            if pid is None:
                self.pid_file(svc).unlink(missing_ok=True)
                continue
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not self.running(svc):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
            self.pid_file(svc).unlink(missing_ok=True)
            if (proc := self._spawned.pop(svc, None)) is not None:
                proc.poll()  # reap our child
            say(f"{svc}: stopped (pid {pid})")

    def status(self) -> dict[str, str]:
        out = {}
        for svc in SERVICES + (SIMULATOR,):
            pid = self.running(svc)
            if not pid:
                out[svc] = "stopped" if svc != SIMULATOR or self.simulator else "stopped (MANUFACTURER_SIMULATOR=0)"
                continue
            if svc == SIMULATOR:
                out[svc] = f"pid {pid}, Kafka SASL {self.sasl_bootstrap()} as {self.manufacturer_username}"
                continue
            try:
                r = httpx.get(self.url(svc) + "/ready", timeout=2)
                out[svc] = f"pid {pid}, {self.url(svc)}, ready={r.status_code == 200}"
            except httpx.HTTPError as e:
                out[svc] = f"pid {pid}, not answering ({type(e).__name__})"
        prom = self.monitor()
        out["prometheus"] = f"pid {prom.running()}, {prom.url}" if prom.running() else "stopped"
        return out


def _marker(name: str) -> str:
    """What a managed process's command line holds (a pid file's pid may have been reused by another program)."""
    return SIMULATOR_SCRIPT if name == SIMULATOR else f"-m {registry.service(name).package}"


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def where_to_look(p: Platform, *, demo: bool) -> list[str]:
    """The addresses `start` ends with, and the demo's logins."""
    gw = p.url("gateway")
    lines = [f"gateway {gw} (API docs {gw}/docs)", f"boards {gw}/boards/login (figures {gw}/boards/figures)"]
    if p.monitor().running():
        lines.append(f"metrics: Prometheus {p.monitor().url}/targets (alerts {p.monitor().url}/alerts); "
                     "uv run ops doctor")
    if demo:
        from deploy.demo_data import ADMIN, ANALYST, GROUP, NAMED_STORES, PASSWORD

        code = NAMED_STORES[0][4]
        lines += [f"demo logins (password {PASSWORD!r}), group {GROUP}: {ADMIN} (group admin), {ANALYST} (analyst); "
                  f"in {NAMED_STORES[0][1]} ({NAMED_STORES[0][0]}): manager.{code} (service manager), "
                  f"advisor.{code}, workshop.{code} (supervisor), tech.{code}, qc.{code}, parts.{code}, "
                  f"keeper.{code}, warranty.{code}, insurance.{code}, care.{code}, gm.{code}; the other stores "
                  f"the same with their code ({', '.join(s[4] for s in NAMED_STORES[1:3])})"]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "status"])
    ap.add_argument("--demo", action="store_true", help="load demo users and data after start")
    a = ap.parse_args()
    p = Platform.from_env()
    if a.command == "start":
        p.business_clock = a.demo  # the demo loader runs its history on business time (CLOCK_FILE)
        p.start()
        if a.demo:
            sys.path.insert(0, str(ROOT))
            from deploy.demo import load_demo

            asyncio.run(load_demo(p))
        say(f"all {len(SERVICES)} services are ready" + (f" (and the {SIMULATOR})" if p.simulator else ""))
        for line in where_to_look(p, demo=a.demo):
            say(line)
    elif a.command == "stop":
        p.stop()
    else:
        for svc, s in p.status().items():
            print(f"{svc:22} {s}")


if __name__ == "__main__":
    main()
