"""A local Prometheus (Debian's `prometheus` package, no Docker) scraping the platform's services with the
alert rules of deploy/observability/alerts.yml; `./run start` starts it last, `./run stop` stops it by pid.

Its configuration is written at start under its state folder (the services' local ports; the rules file
by its path in the repo, so an edited rule shows after a restart), its data beside it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ALERT_RULES = ROOT / "deploy/observability/alerts.yml"
JOB = "aftersales"  # the job the alert rules name (up{job="aftersales"})
DEFAULT_PORT = 9090


def config_yaml(targets: Mapping[str, str], rules: Path = ALERT_RULES, interval: str = "5s") -> str:
    """The scrape configuration: one target per service (labelled with its name), the repo's rules."""
    lines = [
        "# Written by deploy/prometheus.py at start: the services' local ports; edit the generator, not this.",
        "global:",
        f"  scrape_interval: {interval}",
        f"  evaluation_interval: {interval}",
        f"rule_files: [{str(rules)!r}]",
        "scrape_configs:",
        f"  - job_name: {JOB}",
        "    metrics_path: /metrics",
        "    static_configs:",
    ]
    for name, address in targets.items():
        lines += [f"      - targets: [{address!r}]", f"        labels: {{service_name: {name!r}}}"]
    return "\n".join(lines) + "\n"


@dataclass
class LocalPrometheus:
    state_dir: Path
    port: int = DEFAULT_PORT
    binary: str = "prometheus"
    interval: str = "5s"
    """How often it scrapes and evaluates the rules."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.state_dir / "prometheus.yml"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "prometheus.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "prometheus.log"

    def installed(self) -> bool:
        return shutil.which(self.binary) is not None

    def command(self) -> list[str]:
        return [self.binary, f"--config.file={self.config_file}", f"--storage.tsdb.path={self.state_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=7d"]

    def running(self) -> int | None:
        """Its pid, if the pid file's process is this Prometheus (a pid may have been reused meanwhile)."""
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, ValueError):
            return None
        return pid if f"--config.file={self.config_file}" in cmdline and "State:\tZ" not in status else None

    def start(self, targets: Mapping[str, str], timeout: float = 60.0, preexec_fn=None) -> int:
        """Write the configuration, start Prometheus unless it runs, wait until it answers; its pid."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(config_yaml(targets, interval=self.interval))
        if pid := self.running():
            # Already up: have it read the (maybe changed) configuration again.
            os.kill(pid, signal.SIGHUP)
            return pid
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(self.command(), cwd=self.state_dir, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=preexec_fn)
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                tail = self.log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"prometheus exited during start-up (port {self.port} taken?); log tail:\n{tail}")
            try:
                if httpx.get(self.url + "/-/ready", timeout=2).status_code == 200:
                    return proc.pid
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready after {timeout:.0f}s (log {self.log_file})")
            time.sleep(0.3)

    def targets(self) -> dict[str, str]:
        """Each active target's health (up, down, unknown), by its service name."""
        data = httpx.get(self.url + "/api/v1/targets", params={"state": "active"}, timeout=5).json()["data"]
        return {t["labels"].get("service_name", t["scrapeUrl"]): t["health"] for t in data["activeTargets"]}

    def wait_targets_up(self, names: list[str] | tuple[str, ...], timeout: float = 60.0) -> dict[str, str]:
        """Until every named service's target was scraped and is up; raises naming those that are not."""
        deadline = time.monotonic() + timeout
        while True:
            health = self.targets()
            if all(health.get(n) == "up" for n in names):
                return health
            if time.monotonic() > deadline:
                bad = {n: health.get(n, "missing") for n in names if health.get(n) != "up"}
                raise RuntimeError(f"prometheus targets not up after {timeout:.0f}s: {bad}")
            time.sleep(0.5)

    def stop(self) -> int | None:
        pid = self.running()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not self.running():
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return pid
