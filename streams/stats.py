"""``modstream stats``: moderation rates over a time window, from the audit store (one query over the window).

Each request counts once per rate, from every audit event it has in the window:
- copyright-alert rate: requests with a protected-name, protected-image or style rule that asked for more than allow;
- PII rate in prompts: requests whose prompt fired a PII rule; in images: requests whose reference or
  output image fired one;
- review, block rate: requests that ended in review or rejected, of those that reached an end;
- redaction rate: published requests whose image was redacted, of those published.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from modstream_models.catalogue import FindingKind
from streams.config import Settings
from streams.events import Context, Evidence
from streams.policy.decide import Verdict
from streams.store import AuditStore, open_database

WINDOW = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """'90s', '15m', '24h' or '7d'."""
    match = WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"window {text!r}: use a number and a unit, e.g. 15m, 24h or 7d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def rates(events: list[dict[str, Any]], since: datetime) -> dict[str, Any]:
    by_request: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if datetime.fromisoformat(event["at"]) >= since:
            by_request[event["request_id"]].append(event)
    counts: dict[str, int] = defaultdict(int)
    for request_events in by_request.values():
        evidence = [Evidence.model_validate(e) for event in request_events for e in event.get("evidence", [])]
        ends = [event["action"] for event in request_events if event["stage"] == "outcomes"]
        counts["requests"] += 1
        counts["copyright_alerts"] += Verdict(evidence).copyright_alert
        pii = [e for e in evidence if e.finding.kind is FindingKind.PII]
        counts["pii_prompts"] += any(e.context is Context.PROMPT for e in pii)
        counts["pii_images"] += any(e.context is not Context.PROMPT for e in pii)
        if ends:
            counts["ended"] += 1
            counts[ends[-1]] += 1
            if ends[-1] == "published" and any(event.get("redactions") for event in request_events):
                counts["redacted"] += 1
    requests, ended, published = counts["requests"], counts["ended"], counts["published"]
    return {
        "since": since.isoformat(timespec="seconds"),
        "requests": requests,
        "ended": ended,
        "copyright_alert_rate": _rate(counts["copyright_alerts"], requests),
        "pii_rate_prompts": _rate(counts["pii_prompts"], requests),
        "pii_rate_images": _rate(counts["pii_images"], requests),
        "review_rate": _rate(counts["review"], ended),
        "block_rate": _rate(counts["rejected"], ended),
        "redaction_rate": _rate(counts["redacted"], published),
        "counts": dict(counts),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def audit_rates(settings: Settings, window: timedelta) -> dict[str, Any]:
    """The rates of the window from the audit store (which the review service feeds from the audit topic)."""
    since = datetime.now(UTC) - window
    return rates(AuditStore(open_database(settings.database)).steps_since(since), since)


def format_rates(result: dict[str, Any]) -> str:
    lines = [f"since {result['since']}: {result['requests']} requests, {result['ended']} ended"]
    for name in ("copyright_alert_rate", "pii_rate_prompts", "pii_rate_images", "review_rate", "block_rate",
                 "redaction_rate"):  # fmt: skip
        value = result[name]
        lines.append(f"  {name.replace('_', ' '):22} {'-' if value is None else f'{value:.1%}'}")
    return "\n".join(lines)
