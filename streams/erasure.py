"""Erasure of one user's content: prompts, images and review items, from the store and the blob store.

The decisions stay in the audit store without the content, and the erasure itself is recorded
there. Events already on Kafka topics age out with the topics' retention.
"""

from __future__ import annotations

import uuid
from typing import Any

from streams.blobs import open_blob_store
from streams.config import Settings
from streams.events import AuditEvent
from streams.store import AuditStore, open_database


def erase_user(settings: Settings, pseudonym: str) -> dict[str, Any]:
    audit = AuditStore(open_database(settings.database))
    erased = audit.erase_user(pseudonym)
    requests = erased.requests
    blobs = open_blob_store(settings.blob_location, settings.s3_endpoint_url)
    digests = {image.sha256: image for image in erased.images}
    for image in digests.values():
        blobs.delete(image)
    kept = {image.sha256 for image in erased.shared}
    audit.record(
        AuditEvent(
            request_id=f"erasure:{pseudonym}",
            stage="erase",
            action="erased",
            reason=f"content of {len(requests)} request(s) and {len(digests)} blob(s) erased; "
            f"{len(kept)} blob(s) kept: another user's record names them",
            user=pseudonym,
            event_id=str(uuid.uuid4()),
        )
    )
    return {
        "user": pseudonym,
        "requests": requests,
        "blobs_deleted": len(digests),
        "left": [
            *({"what": f"blob {digest}", "why": "an identical image of another user's request"} for digest in kept),
            {"what": "the events on Kafka topics", "why": "they age out with the topics' retention"},
            {"what": "the decisions (stage, action, reason code)", "why": "what happened stays auditable"},
        ],
    }
