"""The monitoring files in deploy/: alert rules checked and unit-tested by promtool, and every query of the
rules and the dashboard naming a metric that modstream (or Triton) exports.

promtool comes with Debian's ``prometheus`` package, which ``scripts/install.sh`` installs. That the Triton
metric names exist is checked against a real Triton server by ``tests/integration/test_metrics.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from streams import metrics

DEPLOY = Path(__file__).parents[2] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "modstream.json"
METRIC_NAME = re.compile(r"\b((?:modstream|nv)_[a-z0-9_]+|up)\b(?!\s*\()")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def promtool(*args: str) -> str:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (scripts/install.sh does)")
    done = subprocess.run(["promtool", *args], cwd=PROMETHEUS, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def exported() -> set[str]:
    """The sample names of every modstream family, as Prometheus stores them (the review service's too)."""
    metrics.register_review_metrics()
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("modstream_")
        for suffix in SUFFIXES[family.type]
    }


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def alert_rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"] for rule in group["rules"]
    ]


def names_in(queries: list[str]) -> set[str]:
    return {name for query in queries for name in METRIC_NAME.findall(query)}


def test_promtool_checks_the_rules_and_the_compose_config() -> None:
    assert "SUCCESS" in promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")


def test_promtool_unit_tests_of_the_alert_rules_pass() -> None:
    promtool("test", "rules", "alerts_test.yml")


def test_every_alert_has_a_unit_test_and_a_summary_that_says_what_to_do() -> None:
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    tested = {check["alertname"] for test in tests for check in test["alert_rule_test"] if check["exp_alerts"]}
    for rule in alert_rules():
        assert rule["alert"] in tested, f"{rule['alert']} has no promtool test in which it fires"
        assert rule["annotations"]["summary"] and len(rule["annotations"]["description"]) > 40


def test_every_dashboard_and_alert_query_names_an_exported_metric() -> None:
    queries = dashboard_queries() + [rule["expr"] for rule in alert_rules()]
    names = names_in(queries)
    ours = {name for name in names if name.startswith("modstream_")}
    assert ours and ours <= exported(), ours - exported()
    assert names - ours <= {"up"} | {name for name in names if name.startswith("nv_")}


def test_the_dashboard_shows_what_sres_watch() -> None:
    names = names_in(dashboard_queries())
    for family in (
        "modstream_outcomes_total",
        "modstream_stage_duration_seconds_bucket",
        "modstream_consumer_lag",
        "modstream_review_queue_depth",
        "modstream_review_oldest_age_seconds",
        "modstream_findings_total",
        "modstream_triton_request_duration_seconds_bucket",
        "modstream_dead_letters_total",
    ):
        assert family in names, family
    heatmaps = [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] == "heatmap"]
    assert heatmaps and "stage_duration_seconds_bucket" in heatmaps[0]["targets"][0]["expr"]


def compose() -> dict:
    return yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())["services"]


ONE_SHOT = {"topics", "buckets", "kafka-acls"}  # set-up jobs that exit once done


def test_compose_runs_prometheus_with_the_rules_and_grafana_with_the_dashboard() -> None:
    services = compose()
    mounts = [volume.split(":")[0] for name in ("prometheus", "grafana") for volume in services[name]["volumes"]]
    assert "./deploy/prometheus" in mounts and "./deploy/grafana/dashboards" in mounts
    assert services["worker"]["environment"]["MODSTREAM_WORKER_WEB_HOST"] == "0.0.0.0"


def test_every_compose_path_and_dockerfile_exists() -> None:
    for name, service in compose().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and source != "./models":  # ./models: the operator's own weights
                assert (DEPLOY.parent / source).exists(), (name, source)
        if "build" in service:
            assert (DEPLOY.parent / service["build"]["dockerfile"]).is_file(), name
            assert service["build"]["dockerfile"].startswith("deploy/"), name


def test_every_long_running_compose_service_has_a_healthcheck_and_waits_for_what_it_needs() -> None:
    services = compose()
    assert {"seaweedfs", "prometheus", "grafana", "postgres", "kafka", "triton"} <= set(services)
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for needed, condition in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if needed in ONE_SHOT else "service_healthy"
            assert condition == {"condition": expected}, (name, needed)
    gpu = services["triton"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"] and gpu["count"] == 1
    assert services["worker"]["environment"]["MODSTREAM_BLOB_URL"].startswith("s3://")


def test_compose_kafka_authenticates_every_client_and_upstream_apps_get_only_their_topics() -> None:
    properties = dict(
        line.split("=", 1) for line in (DEPLOY / "kafka" / "server.properties").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )  # fmt: skip
    client_listeners = [item for item in properties["listeners"].split(",") if not item.startswith("CONTROLLER:")]
    assert client_listeners == ["SASL_PLAINTEXT://:9092"] and properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["allow.everyone.if.no.acl.found"] == "false" and properties["super.users"] == "User:admin"
    assert "StandardAuthorizer" in properties["authorizer.class.name"]
    assert "${env:KAFKA_ADMIN_PASSWORD}" in properties["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]
    services = compose()
    for name, service in services.items():
        if service.get("build", {}).get("dockerfile") == "deploy/worker.Dockerfile":  # every modstream process
            environment = service["environment"]
            assert environment["MODSTREAM_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
            assert environment["MODSTREAM_KAFKA_SASL_USERNAME"] in ("modstream", "admin"), name
    upstream = [line for line in (DEPLOY / "kafka" / "acls.sh").read_text().splitlines() if "User:upstream" in line]
    granted = {(op, topic) for line in upstream for op in re.findall(r"--operation (\w+)", line)
               for topic in re.findall(r"--topic \"?(\$topic|\w+)", line)}  # fmt: skip
    assert granted == {("Write", "$topic"), ("Describe", "$topic"), ("Read", "outcomes"), ("Describe", "outcomes")}
    assert "for topic in requests submissions; do" in (DEPLOY / "kafka" / "acls.sh").read_text()
    assert services["kafka"]["command"] == ["/etc/modstream/kafka/start.sh"]
    assert services["kafka-acls"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}


SECRET_NAMES = re.compile(r"PASSWORD|SECRET|KEY|TOKEN", re.IGNORECASE)


def test_compose_holds_no_secret_and_env_example_names_every_one() -> None:
    text = (DEPLOY.parent / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    example = dict(
        line.split("=", 1) for line in (DEPLOY.parent / ".env.example").read_text().splitlines() if "=" in line
        and not line.startswith("#")
    )  # fmt: skip
    assert required and required == set(example)
    for name, service in compose().items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAMES.search(variable) and not str(value).startswith("/run/secrets/"):  # a compose secret file
                assert str(value).startswith("${") and ":?" in str(value), (name, variable)
    declared = yaml.safe_load(text)["secrets"]
    for name, service in compose().items():
        for secret in service.get("secrets", []):
            assert secret in declared and declared[secret]["file"].startswith("./secrets/"), (name, secret)
    assert "trust" not in text  # no passwordless database
