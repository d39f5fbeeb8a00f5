"""`modstream top --once` against metrics endpoints served over HTTP, and against none."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.unit.streams.cli.helpers import run

WORKER = """# TYPE modstream_outcomes counter
modstream_outcomes_total{end="published",reason_code="none"} 4.0
# TYPE modstream_stage_duration_seconds histogram
modstream_stage_duration_seconds_bucket{stage="screen",le="0.01"} 3.0
modstream_stage_duration_seconds_bucket{stage="screen",le="+Inf"} 4.0
modstream_stage_duration_seconds_count{stage="screen"} 4.0
modstream_stage_duration_seconds_sum{stage="screen"} 0.5
"""
REVIEW = "# TYPE modstream_review_queue_depth gauge\nmodstream_review_queue_depth 1.0\n"


@pytest.fixture
def endpoints() -> Iterator[str]:
    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = (WORKER if self.path == "/worker" else REVIEW).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_top_once_prints_the_stack_as_json(endpoints: str) -> None:
    result = run("top", "--once", "--json", "--interval", "0.1",
                 "--worker-url", f"{endpoints}/worker", "--review-url", f"{endpoints}/review")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ends"]["published"] == {"total": 4, "per_s": 0.0}
    assert summary["stages"]["screen"]["events"] == 4 and summary["review"]["depth"] == 1


def test_top_says_what_to_check_when_nothing_answers() -> None:
    result = run("top", "--once", "--interval", "0.1", "--worker-url", "http://127.0.0.1:9/metrics")
    assert result.exit_code == 1
    assert "http://127.0.0.1:9/metrics" in result.stderr and "modstream up" in result.stderr
