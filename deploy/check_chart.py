"""Check the Helm chart without a cluster and without a `helm` binary.

Usage: python deploy/check_chart.py deploy/helm/polyrun

`cargo xtask chart` runs it in a virtual environment it makes with the
pinned helm-python-sdk (Helm 4's own Go code behind a Python binding),
kubernetes-validate and PyYAML. For every set of values in CASES it:

1. lints the chart with those values (`helm lint`: warnings fail too);
2. renders it offline (`helm template`, release "demo" in namespace
   "polyrun");
3. parses every manifest as YAML, refusing duplicate keys (which Kubernetes
   would silently resolve to the last one) and duplicate objects;
4. validates the objects against the Kubernetes 1.30.0 schemas with
   `kubernetes-validate --strict` (unknown fields and unknown kinds fail);
5. asserts what users rely on in that configuration (probes, shutdown,
   REDIS_URL, security context, autoscaling, ingress affinity...).

Last, a termination grace period too short for the shutdown must make the
chart refuse to render.

Prints one line per case and exits non-zero, naming every failure, if any
check fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import helm_python as helm
import yaml

RELEASE = "demo"
NAMESPACE = "polyrun"
FULLNAME = f"{RELEASE}-polyrun"
KUBE_VERSION = "1.30.0"


class CheckFailed(Exception):
    """A check on one case failed; the message says which."""


def check(condition: Any, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


# --- YAML without duplicate keys -------------------------------------------


class NoDuplicateKeysLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a mapping may not repeat a key."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


NoDuplicateKeysLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# --- The rendered objects ---------------------------------------------------


class Rendered:
    """The objects one render produced, with helpers to find them."""

    def __init__(self, objects: list[dict]):
        self.objects = objects

    def ids(self) -> list[str]:
        return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in self.objects)

    def find(self, kind: str, name: str = FULLNAME) -> dict | None:
        return next((o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name), None)

    def get(self, kind: str, name: str = FULLNAME) -> dict:
        found = self.find(kind, name)
        check(found is not None, f"no {kind}/{name} rendered (got {self.ids()})")
        return found

    def deployment(self) -> dict:
        """The polyrun nodes' Deployment."""
        return self.get("Deployment")

    def pod_spec(self) -> dict:
        return self.deployment()["spec"]["template"]["spec"]

    def container(self) -> dict:
        containers = self.pod_spec()["containers"]
        check(len(containers) == 1, f"expected one container, got {len(containers)}")
        return containers[0]

    def env(self) -> dict[str, dict]:
        """The container's environment entries, by name."""
        return {e["name"]: e for e in self.container().get("env", [])}


def secret_ref(entry: dict | None) -> tuple[str, str] | None:
    """(Secret name, key) of an env entry that comes from a Secret."""
    ref = (entry or {}).get("valueFrom", {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


# --- What each configuration must render ------------------------------------


def expect_default(r: Rendered) -> None:
    spec = r.pod_spec()
    c = r.container()
    check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready", "readinessProbe is not GET /ready")
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health", "livenessProbe is not GET /health")
    grace = spec.get("terminationGracePeriodSeconds")
    check(isinstance(grace, int) and grace > 30, f"terminationGracePeriodSeconds is {grace!r}, not above 30")
    env = r.env()
    check(
        env.get("REDIS_URL", {}).get("value") == f"redis://{FULLNAME}-redis:6379/0",
        f"REDIS_URL is not the bundled Redis: {env.get('REDIS_URL')}",
    )
    security = c.get("securityContext", {})
    check(security.get("runAsNonRoot") is True, "the container's securityContext lacks runAsNonRoot: true")
    check(
        security.get("readOnlyRootFilesystem") is True,
        "the container's securityContext lacks readOnlyRootFilesystem: true",
    )
    r.get("HorizontalPodAutoscaler")
    check("replicas" not in r.deployment()["spec"], "the Deployment sets replicas although the HPA decides")
    r.get("Deployment", f"{FULLNAME}-redis")
    r.get("PodDisruptionBudget")


def expect_ingress(r: Rendered) -> None:
    ingress = r.get("Ingress")
    annotations = ingress["metadata"].get("annotations", {})
    check(
        annotations.get("nginx.ingress.kubernetes.io/affinity") == "cookie",
        "the Ingress lacks the cookie affinity annotation (nginx.ingress.kubernetes.io/affinity: cookie)",
    )
    check(ingress["spec"].get("tls"), "the Ingress has no tls section")
    check(r.find("HorizontalPodAutoscaler") is None, "an HPA is rendered with autoscaling.enabled false")
    check(r.deployment()["spec"].get("replicas") == 3, "the Deployment does not have replicaCount (3) replicas")
    check(r.get("Service")["spec"].get("sessionAffinity") == "ClientIP", "the Service has no ClientIP affinity")
    r.get("Secret")
    check(secret_ref(r.env().get("API_TOKEN")) == (FULLNAME, "api-token"), "API_TOKEN is not from the chart's Secret")


def expect_external_redis(r: Rendered) -> None:
    check(r.find("Deployment", f"{FULLNAME}-redis") is None, "the bundled Redis is rendered beside an external one")
    url = r.env().get("REDIS_URL", {}).get("value")
    check(url == "redis://user:pw@redis.example:6379/2", f"REDIS_URL is {url!r}, not redis.externalUrl")
    pdb = r.get("PodDisruptionBudget")["spec"]
    check(pdb.get("minAvailable") == 1 and "maxUnavailable" not in pdb, f"the PDB is not minAvailable: 1 alone: {pdb}")


def expect_existing_secrets(r: Rendered) -> None:
    check(r.find("Deployment", f"{FULLNAME}-redis") is None, "the bundled Redis is rendered beside a Redis Secret")
    check(r.find("Secret") is None, "the chart renders a Secret although apiToken.existingSecret is set")
    env = r.env()
    check(secret_ref(env.get("REDIS_URL")) == ("polyrun-redis", "url"), "REDIS_URL is not from Secret polyrun-redis/url")
    check(
        secret_ref(env.get("API_TOKEN")) == ("polyrun-token", "token"), "API_TOKEN is not from Secret polyrun-token/token"
    )


def expect_no_redis(r: Rendered) -> None:
    check(r.find("Deployment", f"{FULLNAME}-redis") is None, "a Redis is rendered with redis.enabled false")
    check("REDIS_URL" not in r.env(), "REDIS_URL is set without a Redis")
    check(r.find("PodDisruptionBudget") is None, "a PDB is rendered with podDisruptionBudget.enabled false")


# name: (values, what the render must satisfy)
CASES: dict[str, tuple[dict, Callable[[Rendered], None]]] = {
    "default": ({}, expect_default),
    "ingress+tls+token+affinity+no-hpa": (
        {
            "ingress": {"enabled": True, "tls": [{"secretName": "polyrun-tls", "hosts": ["polyrun.local"]}]},
            "apiToken": {"value": "s3cret"},
            "service": {"sessionAffinity": True},
            "autoscaling": {"enabled": False},
            "replicaCount": 3,
            "env": {"MEMORY_LIMIT_MB": 512, "CORS_ORIGINS": "*"},
            "extraEnv": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
            "config": {"maxConcurrentExecutions": 8, "maxQueuedExecutions": 1000},
            "volumes": {"users": {"medium": "Memory", "sizeLimit": ""}, "tmp": {"medium": "", "sizeLimit": ""}},
            "podAnnotations": {"prometheus.io/scrape": "true"},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "server"}},
                }
            ],
        },
        expect_ingress,
    ),
    "external-redis+pdb-min-available": (
        {
            "redis": {"externalUrl": "redis://user:pw@redis.example:6379/2"},
            "podDisruptionBudget": {"minAvailable": 1},
        },
        expect_external_redis,
    ),
    "existing-secrets": (
        {
            "redis": {"existingSecret": "polyrun-redis", "existingSecretKey": "url"},
            "apiToken": {"existingSecret": "polyrun-token", "existingSecretKey": "token"},
        },
        expect_existing_secrets,
    ),
    "no-redis": (
        {"redis": {"enabled": False}, "podDisruptionBudget": {"enabled": False}},
        expect_no_redis,
    ),
}


# --- The steps --------------------------------------------------------------


def lint(chart_dir: str, values: dict) -> None:
    report = helm.lint(chart_dir, values)
    # Severity: 1 info, 2 warning, 3 error.
    problems = [f"{m.get('path', '?')}: {m.get('error', m)}" for m in report.get("messages", []) if m["severity"] > 1]
    problems += [str(e) for e in report.get("errors") or []]
    check(not problems, "helm lint: " + "; ".join(problems))


def render(chart_dir: str, values: dict) -> Rendered:
    try:
        with helm.Chart.load(chart_dir) as chart:
            manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    except helm.HelmError as e:
        raise CheckFailed(f"helm cannot render the chart: {e}") from e
    objects = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            check(text.strip(), "NOTES.txt renders empty")
            continue
        try:
            documents = list(yaml.load_all(text, Loader=NoDuplicateKeysLoader))
        except yaml.MarkedYAMLError as e:
            where = f" line {e.problem_mark.line + 1}" if e.problem_mark else ""
            raise CheckFailed(f"{path}{where}: {e.problem} (not valid YAML)") from e
        for document in documents:
            if document is None:
                continue
            check(isinstance(document, dict), f"{path}: a document is not a mapping")
            check("kind" in document and "name" in document.get("metadata", {}), f"{path}: an object lacks kind or name")
            objects.append(document)
    rendered = Rendered(objects)
    ids = rendered.ids()
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    check(not duplicates, f"objects rendered twice: {duplicates}")
    return rendered


def kubernetes_validate() -> str:
    """kubernetes-validate from the same virtual environment as this Python."""
    name = "kubernetes-validate.exe" if os.name == "nt" else "kubernetes-validate"
    command = Path(sys.executable).parent / name
    if not command.exists():
        sys.exit(f"check_chart: no {command}: install kubernetes-validate beside this Python")
    return str(command)


def validate(rendered: Rendered, workdir: Path, case: str) -> None:
    manifest = workdir / f"{case}.yaml"
    with manifest.open("w") as f:
        yaml.safe_dump_all(rendered.objects, f)
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "--quiet", "-k", KUBE_VERSION, str(manifest)],
        capture_output=True,
        text=True,
    )
    # --quiet prints only warnings and failures; an unknown kind is only a
    # warning (exit status 0) but means nothing was checked: fail on it too.
    output = (result.stdout + result.stderr).strip()
    check(
        result.returncode == 0 and not output,
        f"kubernetes-validate --strict -k {KUBE_VERSION} (exit {result.returncode}):\n    "
        + output.replace("\n", "\n    "),
    )


def check_grace_refused(chart_dir: str) -> None:
    """A grace period that cannot hold preStop + SHUTDOWN_GRACE must not render."""
    values = {"terminationGracePeriodSeconds": 30}
    with helm.Chart.load(chart_dir) as chart:
        try:
            chart.render(values, name=RELEASE, namespace=NAMESPACE)
        except helm.HelmError as e:
            check(
                "terminationGracePeriodSeconds" in str(e),
                f"the render failed, but not for terminationGracePeriodSeconds: {e}",
            )
            return
    raise CheckFailed("terminationGracePeriodSeconds: 30 (below preStop 5 s + SHUTDOWN_GRACE 35 s) renders")


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} CHART_DIR")
    chart_dir = sys.argv[1]
    if not (Path(chart_dir) / "Chart.yaml").is_file():
        sys.exit(f"check_chart: no Chart.yaml in {chart_dir}")
    failures = []
    with tempfile.TemporaryDirectory(prefix="check-chart-") as workdir:
        for case, (values, expect) in CASES.items():
            try:
                lint(chart_dir, values)
                rendered = render(chart_dir, values)
                validate(rendered, Path(workdir), case)
                expect(rendered)
            except CheckFailed as e:
                failures.append(case)
                print(f"FAIL {case}: {e}")
                continue
            print(f"ok   {case}: {len(rendered.objects)} objects ({', '.join(rendered.ids())})")
    case = "short-grace-period"
    try:
        check_grace_refused(chart_dir)
        print(f"ok   {case}: refused to render")
    except CheckFailed as e:
        failures.append(case)
        print(f"FAIL {case}: {e}")
    if failures:
        print(f"check_chart: {chart_dir}: {len(failures)} of {len(CASES) + 1} cases failed: {', '.join(failures)}")
        return 1
    print(f"check_chart: {chart_dir}: {len(CASES) + 1} cases passed (lint, render, kubernetes-validate {KUBE_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
