"""An upstream app as most are written: a librdkafka client (confluent-kafka), events written as JSON by
hand, and the checked-in JSON Schemas (schemas/) as the whole contract. It imports nothing from modstream.

    python examples/upstream_app.py --bootstrap 127.0.0.1:19092 --prompt "a lighthouse at dusk"

It produces one GenerationRequest (keyed by its request id, with a W3C traceparent header, acks=all),
then waits with a consumer group for the request's end on the public end topics (outcomes, review,
dead-letter), validating every event it reads there against its topic's schema. It prints the end as
JSON: {"request_id", "topic", "event", "events_read"}.

Exit status: 0 the request ended; 1 no end within --timeout; 2 an event broke its schema.
A real app keeps one long-lived group and starts from the latest offsets; this one uses a fresh group
and reads the end topics from the beginning, so that it also checks every event already there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
from confluent_kafka import Consumer, KafkaError, Producer

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
END_TOPICS = ("outcomes", "review", "dead-letter")


def validators() -> dict[str, jsonschema.protocols.Validator]:
    found = {}
    for topic in END_TOPICS + ("requests",):
        schema = json.loads((SCHEMAS / f"{topic}.schema.json").read_text())
        found[topic] = jsonschema.validators.validator_for(schema)(schema)
    return found


def produce_request(bootstrap: str, request: dict, check: jsonschema.protocols.Validator) -> None:
    check.validate(request)  # what we send obeys the contract too
    delivered: list[KafkaError | None] = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    producer.produce(
        "requests",
        key=request["request_id"].encode(),
        value=json.dumps(request).encode(),
        headers=[("traceparent", traceparent.encode())],
        on_delivery=lambda error, _message: delivered.append(error),
    )
    producer.flush(30)
    if delivered != [None]:
        raise SystemExit(f"the broker did not take the request: {delivered}")


def wait_for_end(bootstrap: str, request_id: str, timeout_s: float, checks: dict) -> dict:
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"example-app-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest", "enable.auto.commit": True,
        "session.timeout.ms": 10000,  # a quick first join (the embedded Tansu broker waits about half of it)
    })  # fmt: skip
    consumer.subscribe(list(END_TOPICS))
    read, deadline = 0, time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                raise SystemExit(f"consumer error: {message.error()}")
            event = json.loads(message.value())
            errors = list(checks[message.topic()].iter_errors(event))
            if errors:
                print(f"{message.topic()}@{message.offset()}: {errors[0].message}", file=sys.stderr)
                raise SystemExit(2)
            read += 1
            if message.key() == request_id.encode():
                return {"request_id": request_id, "topic": message.topic(), "event": event, "events_read": read}
    finally:
        consumer.close()
    print(f"no end for {request_id} within {timeout_s:.0f} s", file=sys.stderr)
    raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default=os.environ.get("MODSTREAM_KAFKA_URL", "127.0.0.1:19092"))
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--user-id", default="example-user")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the end")
    args = parser.parse_args()
    checks = validators()
    request = {
        "schema_version": 1, "request_id": uuid.uuid4().hex, "user_id": args.user_id, "prompt": args.prompt,
        "submitted_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    if args.seed is not None:
        request["seed"] = args.seed
    produce_request(args.bootstrap, request, checks["requests"])
    print(json.dumps(wait_for_end(args.bootstrap, request["request_id"], args.timeout, checks)))


if __name__ == "__main__":
    main()
