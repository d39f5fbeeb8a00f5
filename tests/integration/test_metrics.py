"""Metrics as SREs read them: a real Prometheus server scrapes a fresh stack (worker, review service, Triton).

The stack is this module's own, so that its counters and its review queue hold exactly what the test sends:
4 prompts, 1 image with a face (to review) and 1 non-image (to the dead-letter topic).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import yaml

from streams.client import wait_for_ends
from streams.config import Settings
from streams.processes import port_open, wait_until
from streams.stack import Stack, running_stack
from tests.images import SAMPLES
from tests.integration.conftest import run, stack_settings, submit_images, submit_prompts
from tests.unit.test_deploy import alert_rules, dashboard_queries, names_in

pytestmark = pytest.mark.integration

PROMETHEUS_PORT = 29390
STAGE_EVENTS = {"screen": 6, "generate": 4, "moderate": 5, "outcomes": 5, "review": 0}


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(stack_settings(tmp_path_factory.mktemp("metrics-stack"), offset=400), progress=print) as stack:
        yield stack


@pytest.fixture(scope="module")
def prometheus(own_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prometheus server on 127.0.0.1 scraping every metrics URL the stack prints, each second."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: install Debian's prometheus package (scripts/install.sh does)")
    home = tmp_path_factory.mktemp("prometheus")
    jobs = {
        "worker": "modstream-worker",
        "review": "modstream-review",
        "gateway": "modstream-gateway",
        "triton": "triton",
    }
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": jobs[name], "metrics_path": urllib.parse.urlsplit(url).path,
             "static_configs": [{"targets": [urllib.parse.urlsplit(url).netloc]}]}
            for name, url in own_stack.metrics_urls().items()
        ],
    }  # fmt: skip
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    assert not port_open("127.0.0.1", PROMETHEUS_PORT), f"port {PROMETHEUS_PORT} is taken"
    with open(home / "prometheus.log", "wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={home / 'prometheus.yml'}", f"--storage.tsdb.path={home / 'data'}",
             f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}", "--enable-feature=exemplar-storage"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}"
    try:
        wait_until(lambda: ready(url), None, "Prometheus", 30)
        yield url
    finally:
        process.terminate()
        process.wait(15)


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def api(url: str, path: str, **params: str) -> object:
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{urllib.parse.urlencode(params)}", timeout=10) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success", body
    return body["data"]


def query(url: str, promql: str) -> dict[str, float]:
    """An instant query's result, keyed by the result's labels joined (``""`` for a single value)."""
    results = api(url, "query", query=promql)["result"]  # type: ignore[index]
    return {",".join(f"{k}={v}" for k, v in sorted(r["metric"].items())): float(r["value"][1]) for r in results}


def scalar(url: str, promql: str) -> float:
    return sum(query(url, promql).values())


def eventually(check: callable, timeout_s: float = 60) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "Prometheus did not see it in time"
        time.sleep(1)


@pytest.fixture(scope="module")
def sent(own_stack: Stack, prometheus: str) -> dict[str, list[str]]:
    """The known mix, sent once every target is up, and its ends as read from the end topics."""
    eventually(lambda: {t["health"] for t in api(prometheus, "targets")["activeTargets"]} == {"up"})  # type: ignore[index]
    settings = own_stack.effective_settings()
    prompts = run(submit_prompts(settings, [f"a quiet harbour at dawn, study {n}" for n in range(4)]))
    face, junk = run(submit_images(settings, [(SAMPLES / "astronaut.jpg").read_bytes(), b"not an image at all"]))
    ends = run(wait_for_ends(settings, [*prompts, face, junk], timeout_s=180))
    by_end: dict[str, list[str]] = {}
    for request_id, records in ends.items():
        assert len(records) == 1, records
        by_end.setdefault(records[0].end, []).append(request_id)
    assert sorted(by_end.get("published", [])) == sorted(prompts) and by_end.get("review") == [face], by_end
    assert by_end.get("dead-letter") == [junk], by_end
    eventually(lambda: scalar(prometheus, "sum(modstream_outcomes_total)") == 6)
    eventually(lambda: scalar(prometheus, "modstream_review_queue_depth") == 1)
    return by_end


def test_scraped_counters_agree_exactly_with_what_was_sent(prometheus: str, sent: dict[str, list[str]]) -> None:
    assert query(prometheus, "sum by (end) (modstream_outcomes_total)") == {
        "end=published": 4, "end=review": 1, "end=dead_letter": 1,
    }  # fmt: skip
    assert query(prometheus, 'sum by (reason_code) (modstream_outcomes_total{end="dead_letter"})') == {
        "reason_code=rejected_input": 1
    }
    assert query(prometheus, "sum by (source_topic) (modstream_dead_letters_total)") == {"source_topic=submissions": 1}
    assert scalar(prometheus, "modstream_review_queue_depth") == 1
    assert scalar(prometheus, "modstream_review_oldest_age_seconds") > 0
    assert query(prometheus, "sum by (kind, context) (modstream_findings_total)") == {"context=output,kind=face": 1}
    assert scalar(prometheus, "sum(modstream_end_to_end_seconds_count)") == 5


def test_stage_histograms_count_every_event(prometheus: str, sent: dict[str, list[str]]) -> None:
    counts = query(prometheus, "sum by (stage) (modstream_stage_duration_seconds_count)")
    assert counts == {f"stage={stage}": n for stage, n in STAGE_EVENTS.items()}
    buckets = query(prometheus, 'sum by (stage) (modstream_stage_duration_seconds_bucket{le="+Inf"})')
    assert buckets == counts


def test_triton_calls_agree_with_tritons_own_counts(prometheus: str, sent: dict[str, list[str]]) -> None:
    ours = query(prometheus, "sum by (model) (modstream_triton_request_duration_seconds_count)")
    theirs = query(prometheus, "sum by (model) (nv_inference_request_success)")
    assert ours["model=generator"] == 4 and ours["model=watermark_embed"] == 4
    assert ours == {model: n for model, n in theirs.items() if n > 0}
    assert scalar(prometheus, "sum(modstream_triton_errors_total)") == 0


def test_lag_gauges_and_exemplars_are_there(prometheus: str, sent: dict[str, list[str]]) -> None:
    partitions = query(prometheus, "count by (topic) (modstream_consumer_lag)")
    assert partitions["topic=candidates"] == 4  # one worker owns every partition
    eventually(lambda: scalar(prometheus, "sum(modstream_consumer_lag)") == 0)  # once offsets are committed
    assert set(query(prometheus, "count by (job) (modstream_event_loop_lag_seconds)")) == {
        "job=modstream-worker",
        "job=modstream-review",
        "job=modstream-gateway",
    }
    now = time.time()
    found = api(prometheus, "query_exemplars", query="modstream_end_to_end_seconds_bucket",
                start=str(now - 600), end=str(now))  # fmt: skip
    trace_ids = {e["labels"]["trace_id"] for series in found for e in series["exemplars"]}  # type: ignore[union-attr]
    assert trace_ids and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in trace_ids)


def test_every_dashboard_and_alert_metric_is_in_prometheus(prometheus: str, sent: dict[str, list[str]]) -> None:
    stored = set(api(prometheus, "label/__name__/values"))  # type: ignore[arg-type]
    # families that have no sample yet (no Triton error so far) are known from their scraped metadata
    suffixes = {"counter": ("", "_total"), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    metadata = api(prometheus, "metadata")
    described = {name + s for name, entries in metadata.items() for s in suffixes.get(entries[0]["type"], ("",))}  # type: ignore[union-attr]
    wanted = names_in(dashboard_queries() + [rule["expr"] for rule in alert_rules()])
    assert wanted - (stored | described) == set()


def test_top_once_reads_the_running_stack(own_stack: Stack, sent: dict[str, list[str]]) -> None:
    settings: Settings = own_stack.effective_settings()
    env = {**os.environ, **settings.as_environment()}
    done = subprocess.run([sys.executable, "-m", "streams.cli", "top", "--once", "--json", "--interval", "0.5"],
                          env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {end: e["total"] for end, e in summary["ends"].items()} == {"published": 4, "review": 1, "dead_letter": 1}
    assert summary["stages"]["moderate"]["events"] == 5 and summary["review"]["depth"] == 1
