"""Generate the API documents from the code: OpenAPI per service, AsyncAPI 3.1 for the events,
and one JSON Schema per event type. Run by `./run docs`; a test checks the files are current."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # asyncapi_spec beside this file

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SERVICES = ("gateway", "reception", "workshop", "parts", "claims", "crm")

# Who reads which topic (DESIGN.md's catalogue); producers follow from the topic's prefix.
CONSUMERS = {
    "crm.customers": ["reception", "claims"],
    "reception.appointments": ["parts", "workshop", "crm"],
    "reception.repair-orders": ["workshop", "parts", "claims", "crm"],
    "workshop.jobs": ["reception", "crm"],
    "workshop.catalogue": ["reception"],
    "parts.issues": ["reception", "workshop", "claims"],
    "parts.stock": ["reception"],
    "claims.warranty": ["reception", "crm"],
    "claims.insurance": ["reception"],
    "crm.follow-ups": ["reception"],
    "crm.complaints": ["reception", "gateway"],
    "oem.warranty-claims": ["manufacturer"],
    "oem.warranty-decisions": ["claims"],
}

def producer(topic: str) -> str:
    if topic == "oem.warranty-decisions":
        return "manufacturer"
    if topic == "oem.warranty-claims":
        return "claims"
    return topic.split(".", 1)[0]


def openapi() -> dict[str, dict]:
    out = {}
    for svc in SERVICES:
        app = importlib.import_module(f"{svc}.main").create_app()
        out[svc] = app.openapi()
    return out


def asyncapi() -> dict:
    from asyncapi_spec import build
    from shared.contracts import EVENT_TYPES

    return build(EVENT_TYPES, consumers=CONSUMERS, producer=producer)


def render() -> dict[Path, str]:
    from shared.contracts import json_schemas

    files: dict[Path, str] = {}
    for svc, spec in openapi().items():
        files[DOCS / "openapi" / f"{svc}.json"] = json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    files[DOCS / "asyncapi.yaml"] = yaml.safe_dump(asyncapi(), allow_unicode=True, sort_keys=False, width=110)
    for name, schema in json_schemas().items():
        files[DOCS / "events" / f"{name}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return files


def main() -> None:
    files = render()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files under {DOCS.relative_to(ROOT)}/", file=sys.stderr)


if __name__ == "__main__":
    main()
