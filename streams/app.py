"""The Faust app and every topic, declared once.

Messages are raw bytes (JSON written and validated by ``streams.events``), so that an unreadable
message reaches the dead-letter topic with a reason instead of failing inside a Faust codec.
All topics are keyed by request id and share one partition count, so a request keeps its partition
from stage to stage.
"""

from __future__ import annotations

from typing import Any

import faust

from streams import kafka_transport, metrics, topics
from streams.config import get_settings

settings = get_settings()

app = faust.App(
    "modstream",
    broker=f"{kafka_transport.SCHEME}://{settings.kafka_bootstrap}",
    broker_credentials=settings.kafka().faust_credentials(),
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=1,
    producer_acks=-1,
    # A killed worker's partitions move to a live one within seconds rather than Faust's default minute.
    broker_session_timeout=settings.kafka_session_timeout_s,
    broker_heartbeat_interval=1.0,
    web_host=settings.worker_web_host,
    web_port=settings.worker_web_port,
    web_in_thread=False,
    datadir=str(settings.data_dir / "faust"),
    store="memory://",
)


if not settings.metrics_enabled:
    metrics.disable()

# Every topic of the stack, by name (``streams.topics``).
TOPICS = {
    name: app.topic(
        name, key_type=bytes, value_type=bytes, partitions=settings.topic_partitions, config=settings.topic_config(name)
    )
    for name in topics.ALL
}


class Readiness:
    """The worker is ready once it has joined its consumer group and got its partitions."""

    ready = False


@app.on_rebalance_complete.connect  # type: ignore[arg-type]  # mode types receivers as taking a positional signal
async def _mark_ready(sender: Any, **kwargs: Any) -> None:
    Readiness.ready = True


@app.page("/health/live")
async def health_live(web: Any, request: Any) -> Any:
    return web.text("live\n")


@app.page("/health/ready")
async def health_ready(web: Any, request: Any) -> Any:
    if Readiness.ready:
        return web.text("ready\n")
    return web.text("joining consumer group\n", status=503)


@app.page("/metrics")
async def metrics_page(web: Any, request: Any) -> Any:
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    return web.bytes(body, headers={"Content-Type": content_type})


@app.task
async def _watch_event_loop() -> None:
    if metrics.enabled():
        await metrics.watch_event_loop()


@app.timer(interval=settings.consumer_lag_interval_s)
async def _measure_consumer_lag() -> None:
    """Lag of every partition this worker owns: end offset minus committed offset (or position, before the
    first commit)."""
    if not metrics.enabled():
        return
    consumer = app.consumer
    assigned = consumer.assignment()
    if not assigned:
        metrics.set_consumer_lag({})
        return
    ends = await consumer.highwaters(*assigned)
    lags = {}
    for tp, end in ends.items():
        done = app.monitor.tp_committed_offsets.get(tp)
        if done is None:
            done = await consumer.position(tp) or 0
        lags[(tp.topic, tp.partition)] = max(end - done, 0)
    metrics.set_consumer_lag(lags)
