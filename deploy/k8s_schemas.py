"""The schemas deploy/k8s/ is checked against, each obtained from a package registry and cached in
.local/k8s-schemas/ (tests/unit/test_k8s_manifests.py; `uv run python deploy/k8s_schemas.py FILE...` checks
rendered manifests by hand):

- Kubernetes' own kinds: the JSON schemas the PyPI package kubernetes-validate ships (a dev dependency),
  strict (an unknown field is an error), for each version of KUBERNETES_VERSIONS.
- Strimzi's Kafka, KafkaNodePool, KafkaTopic and KafkaUser (kafka.strimzi.io/v1): its Maven Central jar
  io.strimzi:api holds model classes, not YAML, so the CRDs are made the way Strimzi's own build makes the
  files it releases: its CrdGenerator (io.strimzi:crd-generator, Maven Central) run over those classes, with
  the arguments of io.strimzi:api's pom. Needs Maven and a Java of 21 or later (the classes' level).
- CloudNativePG's Cluster (postgresql.cnpg.io/v1): config/crd/bases of the Go module
  github.com/cloudnative-pg/cloudnative-pg at CNPG_VERSION, by `go mod download` (the proxy serves a named
  version, not the module's version list).

A custom resource is checked against its CRD's openAPIV3Schema as the API server's strict field validation
would: an object's fields not in the schema are errors, unless the schema preserves unknown fields.
A schema that cannot be had raises SchemaUnavailable naming the tool that is missing: nothing is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".local" / "k8s-schemas"
STRIMZI_POM = ROOT / "deploy" / "k8s" / "schemas" / "pom.xml"
STRIMZI_VERSION = re.search(r"<strimzi.version>(.+)</strimzi.version>", STRIMZI_POM.read_text()).group(1)
STRIMZI_KINDS = {"Kafka": "kafka.Kafka", "KafkaNodePool": "nodepool.KafkaNodePool",
                 "KafkaTopic": "topic.KafkaTopic", "KafkaUser": "user.KafkaUser"}
CNPG_MODULE = "github.com/cloudnative-pg/cloudnative-pg"
CNPG_VERSION = "v1.27.1"
CNPG_KINDS = {"Cluster": "postgresql.cnpg.io_clusters.yaml"}
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")


class SchemaUnavailable(RuntimeError):
    """A schema could not be obtained here."""


def _run(cmd: list[str], what: str, **kw) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    except FileNotFoundError as e:
        raise SchemaUnavailable(f"{what}: {cmd[0]} not found") from e
    if done.returncode:
        raise SchemaUnavailable(f"{what}: {' '.join(cmd[:4])}... exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stdout


def java21() -> str:
    """A java of release 21 or later: JAVA_HOME's, the PATH's, or one under /usr/lib/jvm."""
    homes = [os.environ.get("JAVA_HOME", ""), *sorted(map(str, Path("/usr/lib/jvm").glob("*")), reverse=True)]
    candidates = [str(Path(h) / "bin" / "java") for h in homes if h] + [shutil.which("java") or ""]
    for java in filter(None, candidates):
        if not Path(java).exists():
            continue
        out = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True)
        m = re.search(r"java\.specification\.version = (\d+)", out.stderr)
        if m and int(m.group(1)) >= 21:
            return java
    raise SchemaUnavailable("Strimzi's CRD generator needs Java 21 or later (set JAVA_HOME); none found")


def strimzi_crds() -> Path:
    """Strimzi's CRD files for STRIMZI_KINDS, generated once into the cache."""
    out = CACHE / f"strimzi-{STRIMZI_VERSION}"
    if all((out / f"{kind}.yaml").exists() for kind in STRIMZI_KINDS):
        return out
    mvn = shutil.which("mvn") or "mvn"
    with tempfile.TemporaryDirectory(dir=CACHE.parent if CACHE.parent.exists() else None) as tmp:
        classpath_file = Path(tmp) / "classpath.txt"
        _run([mvn, "-q", "-B", "-f", str(STRIMZI_POM), "dependency:build-classpath",
              f"-Dmdep.outputFile={classpath_file}"], "Strimzi's jars from Maven Central")
        targets = [f"io.strimzi.api.kafka.model.{cls}={Path(tmp) / f'{kind}.yaml'}"
                   for kind, cls in STRIMZI_KINDS.items()]
        # The arguments of io.strimzi:api's pom (its generate-crd-co-install-v1 execution).
        _run([java21(), "-cp", classpath_file.read_text().strip(), "io.strimzi.crdgenerator.CrdGenerator",
              "--label", "app:strimzi", "--label", "strimzi.io/crd-install:true", "--target-kube", "1.16+",
              "--crd-api-version", "v1", "--api-versions", "v1", "--storage-version", "v1", "--yaml", *targets],
             "Strimzi's CrdGenerator")
        out.mkdir(parents=True, exist_ok=True)
        for kind in STRIMZI_KINDS:
            shutil.copy(Path(tmp) / f"{kind}.yaml", out / f"{kind}.yaml")
    return out


def cnpg_crds() -> Path:
    """CloudNativePG's CRD files for CNPG_KINDS, from its Go module's zip, once into the cache."""
    out = CACHE / f"cloudnative-pg-{CNPG_VERSION}"
    if all((out / f).exists() for f in CNPG_KINDS.values()):
        return out
    go = shutil.which("go") or "/usr/local/go/bin/go"
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:  # outside any module: `go mod download mod@version`
        info = json.loads(_run([go, "mod", "download", "-json", f"{CNPG_MODULE}@{CNPG_VERSION}"],
                               "CloudNativePG's Go module", cwd=tmp, env={**os.environ, "GOFLAGS": "-mod=mod"}))
    if info.get("Error") or not info.get("Zip"):
        raise SchemaUnavailable(f"CloudNativePG's Go module: {info.get('Error', 'no zip')}")
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(info["Zip"]) as z:
        for name in CNPG_KINDS.values():
            (out / name).write_bytes(z.read(f"{CNPG_MODULE}@{CNPG_VERSION}/config/crd/bases/{name}"))
    return out


def _strict(schema):
    """The API server's strict field validation: properties not declared are unknown fields, an error."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@cache
def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the JSON schema of that served version of each CRD obtained."""
    files = [strimzi_crds() / f"{kind}.yaml" for kind in STRIMZI_KINDS]
    files += [cnpg_crds() / name for name in CNPG_KINDS.values()]
    out = {}
    for f in files:
        crd = yaml.safe_load(f.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for v in crd["spec"]["versions"]:
            if v.get("served"):
                out[(f"{group}/{v['name']}", kind)] = _strict(v["schema"]["openAPIV3Schema"])
    return out


def sources() -> dict[str, str]:
    """Where each schema came from, for the docs and the test's report."""
    import kubernetes_validate

    return {
        "Kubernetes": f"kubernetes-validate {kubernetes_validate.__version__} (PyPI), strict, Kubernetes "
                      + ", ".join(KUBERNETES_VERSIONS),
        "Strimzi": f"io.strimzi:crd-generator {STRIMZI_VERSION} over io.strimzi:api {STRIMZI_VERSION} (Maven "
                   f"Central): {', '.join(STRIMZI_KINDS)}",
        "CloudNativePG": f"{CNPG_MODULE}@{CNPG_VERSION} (Go module proxy), config/crd/bases: "
                         f"{', '.join(CNPG_KINDS)}",
    }


def validate(doc: dict) -> list[str]:
    """Errors of one manifest against its schema ([] when valid); an unknown kind is an error too."""
    import kubernetes_validate

    where = f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}"
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in crd_schemas():
        v = jsonschema.Draft7Validator(crd_schemas()[key])
        return [f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{where} (Kubernetes {version}): {'.'.join(map(str, e.absolute_path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{where}: no schema: {e.message}")
    return errors


def main() -> None:
    errors = [e for path in sys.argv[1:] for doc in yaml.safe_load_all(Path(path).read_text()) if doc
              for e in validate(doc)]
    print("\n".join(errors) or "valid: " + "; ".join(f"{k}: {v}" for k, v in sources().items()))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
