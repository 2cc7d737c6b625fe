"""A clone in a folder only root may enter (root's home is mode 700) still starts its PostgreSQL.

The server must run as the `postgres` user, who cannot enter such a folder: pg.sh keeps that
cluster under the postgres user's home instead, without changing any folder's permissions.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_postgres_starts_from_a_clone_in_a_mode_700_folder(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "aftersales"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # The working copy's script, so an uncommitted change is what is tested.
    shutil.copy(ROOT / "deploy/postgres/pg.sh", clone / "deploy/postgres/pg.sh")
    port = free_port()
    env = {**os.environ, "PGPORT_LOCAL": str(port), "PG_DATABASES": "crm", "PG_FAST": "1"}
    env.pop("PG_STATE_DIR", None)  # the clone's own default, inside the private folder
    pg = ["bash", str(clone / "deploy/postgres/pg.sh")]
    state = clone / ".local/postgres"
    try:
        started = subprocess.run([*pg, "start"], env=env, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        answer = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "crm",
                                 "-tAc", "select current_database()"], capture_output=True, text=True, timeout=30)
        assert answer.stdout.strip() == "crm", answer.stderr
        assert (home.stat().st_mode & 0o777) == 0o700, "the private folder's permissions were changed"
        assert (state / "location").exists(), "the cluster should live where the postgres user can reach it"
    finally:
        subprocess.run([*pg, "stop"], env=env, capture_output=True, timeout=120)
        location = state / "location"
        if location.exists():
            shutil.rmtree(location.read_text().strip(), ignore_errors=True)
