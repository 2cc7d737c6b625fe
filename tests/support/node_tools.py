"""Official JavaScript tools (npm packages) for contract tests, installed under .local/ on first use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def npm_tool(name: str) -> Path:
    """deploy/<name>/ (package.json + scripts) installed into .local/<name>/; returns that folder.

    Reinstalled when package.json changes; the scripts are copied every time (they are ours)."""
    source, target = ROOT / "deploy" / name, ROOT / ".local" / name
    if not shutil.which("node") or not shutil.which("npm"):
        raise RuntimeError("node and npm are needed for the contract tests (apt-get install nodejs npm)")
    target.mkdir(parents=True, exist_ok=True)
    wanted = (source / "package.json").read_text()
    installed = target / "package.json"
    if not (target / "node_modules").is_dir() or not installed.exists() or installed.read_text() != wanted:
        installed.write_text(wanted)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=target, check=True,
                       timeout=600)
    for script in source.glob("*.mjs"):
        shutil.copy(script, target / script.name)
    return target
