"""The latency benchmark's reading of traces: each hop's wait is the consumer's start minus its producer's end."""

from __future__ import annotations

from benchmarks.latency import hop_waits


def span(span_id: str, kind: str, topic: str, start_ms: float, end_ms: float, parent: str | None = None) -> dict:
    return {"span_id": span_id, "parent_id": parent, "kind": kind, "start_ns": int(start_ms * 1e6),
            "end_ns": int(end_ms * 1e6), "attributes": {"messaging.destination.name": topic}}  # fmt: skip


def test_each_consumer_span_waits_from_the_end_of_the_send_it_continues() -> None:
    spans = [
        span("a", "PRODUCER", "requests", 0, 2),
        span("b", "CONSUMER", "requests", 9, 30, parent="a"),
        span("c", "PRODUCER", "screened", 25, 27, parent="b"),
        span("d", "CONSUMER", "screened", 31.5, 80, parent="c"),
        span("e", "INTERNAL", "screened", 40, 50, parent="d"),  # work inside a stage is no hop
        span("f", "CONSUMER", "candidates", 90, 95, parent="missing"),  # its producer's span is not in the file
    ]
    assert hop_waits(spans) == {"requests": [7.0], "screened": [4.5]}
