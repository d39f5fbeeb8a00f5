"""``modstream verify``: where an image came from, by its Content Credentials and by its watermark.

The watermark survives what strips metadata (re-encoding, screenshots of the file, JPEG), so the
record is found through it alone; the C2PA manifest, where it is still attached, is checked too.
A payload read from a published image can be embedded in any other image, so the record also keeps
the published image's perceptual hash: an image whose hash is far from it has the watermark of that
request but not its content (``content: differs``).
The watermark decoder runs in this process (it needs the ``models`` extra).
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from streams.client import media_type_of
from streams.config import Settings
from streams.imaging import hash_distance, perceptual_hash
from streams.provenance import load_credentials, read_credentials
from streams.store import AuditStore, open_database


def verify_image(settings: Settings, data: bytes, thorough: bool = False) -> dict[str, Any]:
    """The image's watermark, Content Credentials and audit record; ``thorough``: Reader.thorough."""
    from modstream_models.watermark.model import Reader

    mark = Reader.load(thorough=thorough).read_payload(Image.open(io.BytesIO(data))).to_json()
    payload = mark["payload"]
    anchors = load_credentials(
        settings.c2pa_cert, settings.c2pa_key, settings.c2pa_trust_anchors, settings.data_dir
    ).trust_anchors_pem
    credentials = read_credentials(data, media_type_of(data), anchors)
    record = _record(AuditStore(open_database(settings.database)), payload, data) if payload else None
    return {
        "watermark": mark,
        "c2pa": None
        if credentials is None
        else {
            "state": credentials.state,
            "failures": credentials.failures,
            "moderation": credentials.moderation,
            "watermark_payload": credentials.watermark_payload,
        },
        "record": record,
    }


# Of 64 hash bits: re-encoding, resizing and a 90 % crop change at most about 10, unrelated images about 32.
SAME_CONTENT_MAX_DISTANCE = 16


def _record(store: AuditStore, payload: str, data: bytes) -> dict[str, Any] | None:
    matches = store.requests_with_watermark(payload)
    if len(matches) != 1:
        return None
    history = store.history(matches[0])
    ends = [step for step in history if step.stage == "outcomes"]
    last = ends[-1] if ends else history[-1]
    published = next((step.image_hash for step in reversed(history) if step.image_hash), None)
    distance = hash_distance(published, perceptual_hash(data)) if published else None
    if distance is None:
        content = "unknown"  # published before records kept the hash
    elif distance <= SAME_CONTENT_MAX_DISTANCE:
        content = "matches"
    else:
        content = "differs"
    return {
        "request_id": matches[0],
        "time": last.at.isoformat(),
        "verdict": last.action,
        "reason_code": last.reason_code,
        "policy_version": last.policy_version,
        "content": content,
        "hash_distance": distance,
    }


def describe_watermark(mark: dict[str, Any]) -> str:
    """One line for a Reading.to_json()."""
    found = f"payload {mark['payload']}" if mark["detected"] else "none found"
    box = mark["crop"]
    crop = (
        ""
        if box is None
        else f", as a crop of {box['area']:.0%} of the original's area ({box['width']:.0%} of its width, "
        f"{box['height']:.0%} of its height)"
    )
    mirrored = ", mirrored" if mark["flipped"] else ""
    turned = "" if not mark["rotation"] else f", turned by {mark['rotation']:g} degrees"
    resized = "" if mark["scale"] in (None, 1.0) else f", resized to {mark['scale']:.0%} of its side"
    version = f", watermark version {mark['version']}" if mark["version"] else ""
    return f"{found} (bit confidence {mark['bit_confidence']:.2f}){crop}{mirrored}{turned}{resized}{version}"


def format_verification(result: dict[str, Any]) -> str:
    mark, c2pa, record = result["watermark"], result["c2pa"], result["record"]
    lines = [
        f"watermark: {describe_watermark(mark)}",
        f"C2PA: {'none (no manifest, or stripped)' if c2pa is None else c2pa['state']}"
        + (f", {', '.join(c2pa['failures'])}" if c2pa and c2pa["failures"] else ""),
    ]
    if record and record["content"] == "differs":
        lines.append(
            f"record: the watermark of request {record['request_id']}, but NOT its image: the content differs from "
            f"the image published ({record['hash_distance']} of 64 hash bits); the watermark was copied onto it"
        )
    elif record:
        lines.append(
            f"record: request {record['request_id']}, {record['verdict']} at {record['time']}, "
            f"policy {record['policy_version']}"
        )
    else:
        lines.append("record: none: this image was not published by this modstream")
    return "\n".join(lines)
