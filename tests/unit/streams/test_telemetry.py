from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from streams.telemetry import (
    JsonLinesSpanExporter,
    context_from_headers,
    format_trace_tree,
    read_spans,
    spans_of_request,
)


def test_spans_round_trip_through_the_file_and_print_as_a_tree(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(spans_file)))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("send requests", attributes={"modstream.request_id": "r1"}),
        tracer.start_as_current_span("process requests"),
    ):
        pass
    with tracer.start_as_current_span("send requests", attributes={"modstream.request_id": "other"}):
        pass

    spans = spans_of_request(read_spans(spans_file), "r1")
    assert [s["name"] for s in spans] == ["send requests", "process requests"]
    tree = format_trace_tree(spans).splitlines()
    assert tree[0].endswith("2 spans")
    assert tree[1].startswith("send requests")
    assert tree[2].startswith("  process requests")


def test_trace_context_travels_in_headers() -> None:
    traceparent = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    from opentelemetry import trace

    for headers in ({"traceparent": traceparent}, [("traceparent", traceparent)]):
        span_context = trace.get_current_span(context_from_headers(headers)).get_span_context()
        assert format(span_context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
