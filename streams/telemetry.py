"""Tracing set-up and W3C trace-context propagation through Kafka headers.

Spans go to OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else to a local JSON-lines file that
``modstream trace`` reads. Span names and attributes follow the OpenTelemetry semantic conventions for
messaging (Kafka) and RPC (gRPC to Triton).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Span, SpanKind

REQUEST_ID_ATTRIBUTE = "modstream.request_id"
TRACER_NAME = "modstream"


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file shared by every local process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span)) + "\n" for span in spans)
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(lines)  # one append per batch: lines of concurrent writers do not interleave
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def span_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.context
    assert context is not None  # a finished SDK span always has one
    return {
        "name": span.name,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "kind": span.kind.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "service": (span.resource.attributes.get("service.name") if span.resource else None),
    }


_provider: TracerProvider | None = None


def setup_tracing(service_name: str, span_file: Path) -> TracerProvider:
    """Install the process-wide tracer provider once; later calls return the same one."""
    global _provider
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter: SpanExporter
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        exporter = JsonLinesSpanExporter(span_file)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    if _provider is not None:
        _provider.shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def headers_with_context(extra: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Kafka headers carrying the current span's W3C trace context."""
    carrier: dict[str, str] = {}
    inject(carrier)
    headers = {name: value.encode() for name, value in carrier.items()}
    headers.update(extra or {})
    return headers


def context_from_headers(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> otel_context.Context:
    items = headers.items() if isinstance(headers, Mapping) else (headers or [])
    carrier = {name: (value.decode("latin-1") if isinstance(value, bytes) else str(value)) for name, value in items}
    return extract(carrier)


def messaging_attributes(topic: str, operation: str, request_id: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
    }
    if request_id:
        attributes["messaging.kafka.message.key"] = request_id
        attributes[REQUEST_ID_ATTRIBUTE] = request_id
    return attributes


@contextmanager
def consume_span(topic: str, headers: Any, request_id: str | None) -> Iterator[Span]:
    """The span of processing one Kafka message, continuing the producer's trace."""
    with tracer().start_as_current_span(
        f"process {topic}",
        context=context_from_headers(headers),
        kind=SpanKind.CONSUMER,
        attributes=messaging_attributes(topic, "process", request_id),
    ) as span:
        yield span


@contextmanager
def produce_span(topic: str, request_id: str | None) -> Iterator[Span]:
    with tracer().start_as_current_span(
        f"send {topic}", kind=SpanKind.PRODUCER, attributes=messaging_attributes(topic, "send", request_id)
    ) as span:
        yield span


def read_spans(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def spans_of_request(spans: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """Every span of the traces in which any span names this request id."""
    trace_ids = {s["trace_id"] for s in spans if s["attributes"].get(REQUEST_ID_ATTRIBUTE) == request_id}
    return sorted((s for s in spans if s["trace_id"] in trace_ids), key=lambda s: s["start_ns"])


def format_trace_tree(spans: list[dict[str, Any]]) -> str:
    """One line per span, indented under its parent, with its duration and offset from the trace start."""
    if not spans:
        return "no spans found"
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    ids = {s["span_id"] for s in spans}
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        by_parent.setdefault(parent, []).append(span)
    start = min(s["start_ns"] for s in spans)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in by_parent.get(parent, []):
            duration = (span["end_ns"] - span["start_ns"]) / 1e6
            offset = (span["start_ns"] - start) / 1e6
            status = "" if span["status"] != "ERROR" else "  ERROR"
            lines.append(
                f"{'  ' * depth}{span['name']}  {duration:.1f} ms  (+{offset:.1f} ms, {span['service']}){status}"
            )
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    traces = {s["trace_id"] for s in spans}
    header = f"trace {', '.join(sorted(traces))}: {len(spans)} spans"
    return "\n".join([header, *lines])
