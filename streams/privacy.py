"""Pseudonymisation of user ids at ingress: a keyed HMAC, so ids cannot be reversed without the key."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(user_id: str, key: bytes) -> str:
    digest = hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()
    return f"u_{digest[:32]}"
