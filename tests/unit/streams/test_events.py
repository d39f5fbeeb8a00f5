import json
from pathlib import Path

import jsonschema
import pytest

from streams.events import (
    PUBLIC_SCHEMAS,
    BlobRef,
    GenerationRequest,
    InvalidEvent,
    json_schemas,
)

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def test_round_trip() -> None:
    request = GenerationRequest(request_id="r-1", user_id="alice", prompt="a cat")
    assert GenerationRequest.from_bytes(request.to_bytes()) == request


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty message"),
        (b"{not json", "Invalid JSON"),
        (b'{"schema_version": 1, "request_id": "r", "user_id": "u"}', "prompt: Field required"),
        (b'{"schema_version": 2, "request_id": "r", "user_id": "u", "prompt": "p"}', "schema_version"),
        (b'{"schema_version": 1, "request_id": "has space", "user_id": "u", "prompt": "p"}', "request_id"),
        (b'{"schema_version": 1, "request_id": "r", "user_id": "u", "prompt": "p", "x": 1}', "<unknown>: Extra"),
        # a field name that no event has is not repeated: a sender may put anything there
        (b'{"schema_version": 1, "request_id": "r", "user_id": "u", "prompt": "p", "jo@x.org": 1}', "<unknown>: Extra"),
    ],
)
def test_invalid_events_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        GenerationRequest.from_bytes(payload)


def test_checked_in_json_schemas_match_the_models() -> None:
    generated = json_schemas()
    on_disk = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == generated, "schemas/ is stale: run `modstream schemas --write`"


def test_json_schema_accepts_what_the_model_writes_and_refuses_what_it_refuses() -> None:
    schema = json.loads((SCHEMA_DIR / "requests.schema.json").read_text())
    ref = BlobRef(sha256="a" * 64, size=3, media_type="image/png")
    good = GenerationRequest(request_id="r-2", user_id="bob", prompt="a dog", reference_image=ref)
    jsonschema.validate(json.loads(good.to_bytes()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema_version": 1, "request_id": "r", "user_id": "u"}, schema)


def test_every_public_topic_has_a_schema() -> None:
    assert set(PUBLIC_SCHEMAS) == {
        "requests",
        "submissions",
        "candidates",
        "review",
        "review-decisions",
        "outcomes",
        "audit",
        "dead-letter",
    }
