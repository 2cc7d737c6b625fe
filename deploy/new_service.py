"""Make a new service from the service template (deploy/service-template/), the kit's one pattern.

    uv run python deploy/new_service.py NAME --description "What it is the system of record for."

It writes services/NAME/ (package, composition root, layers, Alembic with the plumbing tables) and
prints what else a new service needs: its entry in the service registry and in the workspace.
`--force` rewrites an existing service's skeleton files (its migrations are left as they are);
docs/new-service.md walks through filling it in.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "service-template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def existing_revision(target: Path) -> str | None:
    """The first migration's revision id of a service that exists, so a rebuilt skeleton keeps it."""
    for f in sorted((target / "migrations" / "versions").glob("*.py")):
        text = f.read_text()
        if re.search(r"^down_revision: str \| None = None", text, re.M):
            m = re.search(r"^revision: str = ['\"](\w+)['\"]", text, re.M)
            if m:
                return m.group(1)
    return None


def render(name: str, description: str, target: Path, *, force: bool = False) -> list[Path]:
    """Write the template into `target`; returns the files written."""
    if not NAME.match(name):
        raise SystemExit(f"service name {name!r}: lower case letters, digits and _ only")
    revision = existing_revision(target) or secrets.token_hex(6)
    if target.exists() and not force and any(target.iterdir()):
        raise SystemExit(f"{target} exists: use --force to rewrite its skeleton files")
    values = {"name": name, "description": description, "revision": revision,
              "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
    written = []
    for src in sorted(TEMPLATE.rglob("*.tmpl")):
        rel = src.relative_to(TEMPLATE).with_suffix("")  # drop .tmpl
        parts = [name if p == "pkg" else p for p in rel.parts]
        if rel.name == "initial_schema.py":
            if list((target / "migrations" / "versions").glob(f"{revision}_*.py")):
                continue  # a migration that shipped is never rewritten
            parts[-1] = f"{revision}_initial_schema.py"
        dest = target.joinpath(*parts)
        text = src.read_text()
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
        written.append(dest)
    return written


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name")
    p.add_argument("--description", required=True)
    p.add_argument("--force", action="store_true", help="rewrite the skeleton of an existing service")
    args = p.parse_args(argv)
    target = ROOT / "services" / args.name
    files = render(args.name, args.description, target, force=args.force)
    print(f"wrote {len(files)} files under {target.relative_to(ROOT)}")
    print(f"""next:
  1. add {args.name!r} to shared/src/shared/registry.py (port, database, topics, consumer groups: with
     "{args.name}.organisation", and ORGANISATION_READS in its reads);
  2. add it to the root pyproject.toml (dependencies and [tool.uv.sources]) and run `uv lock`;
  3. fill in domain/, service_layer/, adapters/, entrypoints/ as docs/new-service.md shows.""")


if __name__ == "__main__":
    sys.exit(main())
