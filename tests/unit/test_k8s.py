"""The Kubernetes manifests in deploy/k8s/: valid against the Kubernetes schemas (kubernetes-validate --strict,
offline), probes and resources on every container, a GPU for Triton, an autoscaler and a disruption budget for
the workers, configuration from the ConfigMap and secrets only by reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

K8S = Path(__file__).parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def manifests() -> list[Path]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [K8S / name for name in kustomization["resources"]]


def resources() -> list[dict]:
    return [doc for path in manifests() for doc in yaml.safe_load_all(path.read_text()) if doc]


def containers(kind: str = "Deployment") -> dict[str, list[dict]]:
    return {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]["containers"] for r in resources() if r["kind"] == kind
    }


def pods_volumes(name: str, kind: str = "Deployment") -> list[dict]:
    (pod,) = [r["spec"]["template"]["spec"] for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return pod.get("volumes", [])


def test_every_manifest_validates_strictly_against_the_kubernetes_schemas() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--kubernetes-version", KUBERNETES_VERSION,
         *map(str, manifests())],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(manifests()) == len(list(K8S.glob("*.yaml"))) - 1  # every file but the kustomization is listed


def test_every_container_has_probes_and_resource_requests_and_limits() -> None:
    found = containers()
    assert set(found) == {"worker", "triton", "review", "gateway"}
    for name, pods in found.items():
        for container in pods:
            assert container["readinessProbe"] and container["livenessProbe"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name


def test_triton_asks_for_a_gpu_and_the_workers_scale_and_keep_one_through_disruptions() -> None:
    (triton,) = containers()["triton"]
    assert triton["resources"]["limits"]["nvidia.com/gpu"] == "1"
    by_kind = {(r["kind"], r["metadata"]["name"]): r for r in resources()}
    autoscaler = by_kind[("HorizontalPodAutoscaler", "worker")]["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"}
    assert 1 < autoscaler["minReplicas"] < autoscaler["maxReplicas"]
    assert by_kind[("PodDisruptionBudget", "worker")]["spec"]["minAvailable"] == 1
    for name in ("triton", "review", "gateway", "worker"):
        assert ("Service", name) in by_kind, name


def test_configuration_comes_from_the_configmap_and_secrets_only_by_reference() -> None:
    kinds = {r["kind"] for r in resources()}
    assert "Secret" not in kinds and "ConfigMap" in kinds
    for name, pods in containers().items():
        for container in pods:
            assert {"configMapRef": {"name": "modstream"}} in container["envFrom"], name
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in ("KEY", "SECRET", "PASSWORD", "DATABASE_URL")):
                    if variable.get("value", "").startswith("/etc/modstream/"):  # a file of a mounted Secret
                        assert any(v.get("secret") for v in pods_volumes(name)), (name, variable["name"])
                        continue
                    assert "secretKeyRef" in variable["valueFrom"], (name, variable["name"])
