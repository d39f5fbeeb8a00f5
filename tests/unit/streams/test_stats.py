from datetime import UTC, datetime, timedelta

import pytest

from streams.events import Evidence, Finding
from streams.stats import parse_window, rates

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def event(request_id: str, stage: str, action: str, minutes_ago: int = 1, **fields: object) -> dict:
    return {"request_id": request_id, "stage": stage, "action": action,
            "at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), **fields}  # fmt: skip


def evidence(kind: str, context: str, action: str) -> dict:
    finding = Finding(kind=kind, label="x", score=1.0, model="m", model_version="1")
    return Evidence(
        rule=f"{context}-{kind}", context=context, action=action, reason_code="X", threshold=0.5, finding=finding
    ).model_dump(mode="json")


def test_rates_count_each_request_once_within_the_window() -> None:
    events = [
        event("a", "screen", "passed", evidence=[evidence("pii", "prompt", "redact")]),
        event("a", "outcomes", "published", redactions=["face"]),
        event("b", "screen", "passed", evidence=[evidence("protected_name", "prompt", "review")]),
        event("b", "moderate", "review", evidence=[evidence("protected_name", "prompt", "review")]),
        event("b", "outcomes", "review"),
        event("c", "outcomes", "rejected", evidence=[evidence("pii", "output", "redact")]),
        event("d", "screen", "passed"),  # no end yet
        event("old", "outcomes", "rejected", minutes_ago=120),
    ]
    result = rates(events, NOW - timedelta(hours=1))
    assert result["requests"] == 4 and result["ended"] == 3
    assert result["copyright_alert_rate"] == 0.25
    assert result["pii_rate_prompts"] == 0.25 and result["pii_rate_images"] == 0.25
    assert result["review_rate"] == result["block_rate"] == round(1 / 3, 4)
    assert result["redaction_rate"] == 1.0


def test_empty_window_has_no_rates() -> None:
    assert rates([], NOW)["review_rate"] is None


def test_window_syntax() -> None:
    assert parse_window("15m") == timedelta(minutes=15) and parse_window("7d") == timedelta(days=7)
    with pytest.raises(ValueError, match="e.g. 15m"):
        parse_window("an hour")
