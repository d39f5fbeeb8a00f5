"""`modstream up` as a user runs it: prints `ready`, and leaves nothing behind after SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from streams.events import PUBLIC_SCHEMAS
from streams.processes import port_open
from streams.stack import Stack
from tests.integration.conftest import stack_settings

pytestmark = pytest.mark.integration


def processes_with(marker: str) -> list[int]:
    """PIDs whose environment names this data directory: every part `up` started, and their children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def subscribe_everywhere(bootstrap: str, timeout_s: float = 30.0) -> int:
    """How many partitions a librdkafka consumer group gets on every public topic; fails on any error.

    Tansu answers a new member's second JoinGroup after about half its session timeout: a short one keeps
    the join quick (librdkafka's default of 45 s takes some 23 s here)."""
    from confluent_kafka import Consumer

    assigned: list[object] = []
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fresh-stack-check",
                         "auto.offset.reset": "latest", "session.timeout.ms": 6000})  # fmt: skip
    consumer.subscribe(list(PUBLIC_SCHEMAS), on_assign=lambda _consumer, partitions: assigned.extend(partitions))
    deadline, settled = time.monotonic() + timeout_s, None
    try:
        while time.monotonic() < deadline and (settled is None or time.monotonic() < settled):
            message = consumer.poll(0.5)
            assert message is None or not message.error(), message.error()
            if assigned and settled is None:
                settled = time.monotonic() + 3.0  # a few more polls: an unknown topic would show up as an error
    finally:
        consumer.close()
    return len(assigned)


def test_up_prints_ready_and_sigterm_leaves_no_process(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path, offset=200)
    env = {**os.environ, **settings.as_environment()}
    marker = f"MODSTREAM_DATA_DIR={settings.data_dir.resolve()}"
    started = time.monotonic()
    up = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        assert up.stdout is not None
        for line in up.stdout:
            lines.append(line)
            if line.startswith("ready"):
                break
        took = time.monotonic() - started
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        print(f"ready after {took:.1f} s")
        assert took < 120  # the 60 s target is for a warm machine; CI shares 2 cores with other tests
        assert port_open("127.0.0.1", settings.kafka_port)
        assert len(processes_with(marker)) >= 3  # broker, triton (+ stubs), worker
        # then the gateway's URL, and one `metrics NAME URL` line per part that serves Prometheus metrics
        assert up.stdout.readline().strip() == f"gateway {settings.gateway_base_url}"
        urls = dict(up.stdout.readline().split()[1:3] for _ in range(4))
        assert set(urls) == {"worker", "review", "gateway", "triton"}, urls
        for name, url in urls.items():
            with urllib.request.urlopen(url, timeout=10) as answer:
                body = answer.read().decode()
            assert ("nv_inference_count" if name == "triton" else "modstream_") in body, name
        # before any event: a librdkafka consumer subscribes to every public topic without an error
        assert subscribe_everywhere(settings.kafka_bootstrap) == len(PUBLIC_SCHEMAS) * settings.topic_partitions

        up.send_signal(signal.SIGTERM)
        rest, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:  # a failed check above: stop the stack as Ctrl-C would, so that no part outlives the test
            up.send_signal(signal.SIGTERM)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
    assert up.returncode == 0, rest
    assert "stopped" in rest
    assert processes_with(marker) == []
    for port in (settings.kafka_port, settings.triton_grpc_port, settings.worker_web_port):
        assert not port_open("127.0.0.1", port), f"port {port} still open"


def test_triton_and_its_model_processes_run_at_the_configured_niceness(stack: Stack) -> None:
    """On shared cores the stages must not queue behind the models they feed (event-loop lag under load)."""
    triton = stack.parts["triton"].process.pid
    group = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(ValueError, OSError):  # not a process, or it ended meanwhile
            if os.getpgid(int(entry.name)) == triton:
                group.append(int(entry.name))
    assert len(group) > 1  # tritonserver and its python_backend stubs
    ours = os.getpriority(os.PRIO_PROCESS, 0)  # `nice` adds to the niceness it is started at
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in group} == {min(ours + stack.settings.triton_nice, 19)}
    assert os.getpriority(os.PRIO_PROCESS, stack.parts["worker"].process.pid) == ours
