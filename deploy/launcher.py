"""Start, check and stop the services of shared/registry.py as local processes (no Docker).

    python deploy/launcher.py start [--demo]   migrate, start, wait for /ready, load demo data
    python deploy/launcher.py stop             stop the processes this script started (by pid)
    python deploy/launcher.py status

Kafka and PostgreSQL must be up (deploy/kafka/kafka.sh, deploy/postgres/pg.sh). Ports, URLs and
state folder come from the environment (see `Platform.from_env`); the end-to-end tests use the
same class on other ports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import shared.registry as registry
from shared.settings import DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parents[1]
SERVICES = registry.names()  # start order (shared/registry.py): the gateway last, it fronts the rest
DEFAULT_PORTS = {s.name: s.http_port for s in registry.SERVICES}


def say(msg: str) -> None:
    print(f"platform: {msg}", flush=True)


@dataclass
class Platform:
    pg_server_url: str = "postgresql://postgres@127.0.0.1:55432"
    kafka_bootstrap: str = "127.0.0.1:59092"
    state_dir: Path = ROOT / ".local/platform"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    databases: dict[str, str] = field(default_factory=lambda: {s.name: s.database for s in registry.SERVICES})
    jwt_secret: str = DEV_JWT_SECRET
    extra_env: dict[str, str] = field(default_factory=dict)
    # Tests: the services get SIGTERM when the thread that started them dies, so even a test
    # run killed outright leaves no server behind. (`./run start` leaves them running, by design.)
    die_with_parent: bool = False

    @classmethod
    def from_env(cls) -> Platform:
        p = cls()
        pg_port = os.environ.get("PGPORT_LOCAL", "55432")
        p.pg_server_url = os.environ.get("PG_SERVER_URL", f"postgresql://postgres@127.0.0.1:{pg_port}")
        p.kafka_bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", p.kafka_bootstrap)
        p.jwt_secret = os.environ.get("JWT_SECRET", p.jwt_secret)
        base = os.environ.get("PLATFORM_BASE_PORT")
        if base:
            lowest = min(DEFAULT_PORTS.values())
            p.ports = {s: int(base) + (port - lowest) for s, port in DEFAULT_PORTS.items()}
        return p

    def url(self, svc: str) -> str:
        return f"http://127.0.0.1:{self.ports[svc]}"

    def database_url(self, svc: str) -> str:
        return self.pg_server_url.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + self.databases[svc]

    def env(self, svc: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HTTP_PORT"))}
        env.update(
            DATABASE_URL=self.database_url(svc), KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap,
            HTTP_PORT=str(self.ports[svc]), HTTP_HOST="127.0.0.1", JWT_SECRET=self.jwt_secret,
            PYTHONUNBUFFERED="1",
        )
        if svc == "gateway":
            env.update({s.url_env: self.url(s.name) for s in registry.backends()})
        env.update(self.extra_env)
        return env

    def pid_file(self, svc: str) -> Path:
        return self.state_dir / f"{svc}.pid"

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
        if f"-m {registry.service(svc).package}" not in cmdline or "State:\tZ" in status:
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
            log = open(self.state_dir / f"{svc}.log", "ab")
            proc = subprocess.Popen([sys.executable, "-m", registry.service(svc).package], cwd=ROOT,
                                    env=self.env(svc), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_die_with_parent if self.die_with_parent else None)
            self.pid_file(svc).write_text(str(proc.pid))
            say(f"{svc}: started pid {proc.pid} on {self.url(svc)} (log {self.state_dir / (svc + '.log')})")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending:
            for svc in sorted(pending):
                if not self.running(svc):
                    tail = (self.state_dir / f"{svc}.log").read_text(errors="replace")[-3000:]
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

    def stop(self, services: tuple[str, ...] = SERVICES) -> None:
        for svc in reversed(services):
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
            say(f"{svc}: stopped (pid {pid})")

    def status(self) -> dict[str, str]:
        out = {}
        for svc in SERVICES:
            pid = self.running(svc)
            if not pid:
                out[svc] = "stopped"
                continue
            try:
                r = httpx.get(self.url(svc) + "/ready", timeout=2)
                out[svc] = f"pid {pid}, {self.url(svc)}, ready={r.status_code == 200}"
            except httpx.HTTPError as e:
                out[svc] = f"pid {pid}, not answering ({type(e).__name__})"
        return out


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "status"])
    ap.add_argument("--demo", action="store_true", help="load demo users and data after start")
    a = ap.parse_args()
    p = Platform.from_env()
    if a.command == "start":
        p.start()
        if a.demo:
            sys.path.insert(0, str(ROOT))
            from deploy.demo import load_demo

            asyncio.run(load_demo(p))
        say(f"all {len(SERVICES)} services are ready: gateway " + p.url("gateway") + "/docs")
    elif a.command == "stop":
        p.stop()
    else:
        for svc, s in p.status().items():
            print(f"{svc:10} {s}")


if __name__ == "__main__":
    main()
