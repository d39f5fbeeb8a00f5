"""Trust between modstream's own parts on a broker that upstream apps may write to.

Every message on a topic only modstream writes (``topics.AUTHENTICATED``) carries an HMAC tag in the
``modstream-auth`` header, over the topic, the key and the value (which holds the schema version):
``v1:<key id>:<hex digest>``. Keys come from configuration as ``id:secret`` pairs; the first signs and
all verify, so a key is rotated by adding the new one first, then dropping the old one once nothing
signed with it is left on the topics. A reader refuses what carries no tag, an unknown key id or a
wrong digest (``Unauthenticated``); the stages dead-letter it with reason ``unauthenticated``.

Reviewers' decisions are signed again by the review service with its own Ed25519 key over the request
id, the action, the reviewer and the digest of the image that would be published, so that a holder of
the message key alone (a worker) cannot approve anything. The workers hold only the public key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from streams import topics
from streams.errors import PermanentError
from streams.events import ReviewAction, ReviewItem
from streams.keyfiles import check_key, read_or_create

HEADER = "modstream-auth"
VERSION = "v1"

log = logging.getLogger("modstream.authentication")


class Unauthenticated(PermanentError):
    """A message or decision whose tag or signature is missing or does not verify."""


def _header(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> bytes | None:
    items = headers.items() if isinstance(headers, Mapping) else (headers or [])
    return next((value for name, value in items if name == HEADER), None)


@dataclass(frozen=True)
class MessageAuthenticator:
    """HMAC tags of messages: ``keys`` by id, ``signing`` the id of the key that signs."""

    keys: dict[str, bytes]
    signing: str

    @classmethod
    def parse(cls, spec: str) -> MessageAuthenticator:
        """From ``id:secret[,id:secret...]`` (MODSTREAM_MESSAGE_KEYS); the first key signs."""
        keys: dict[str, bytes] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            key_id, separator, secret = entry.partition(":")
            if not separator or not key_id:
                raise ValueError("MODSTREAM_MESSAGE_KEYS: write each key as id:secret, separated by commas")
            keys[key_id] = check_key(secret.encode(), f"MODSTREAM_MESSAGE_KEYS key {key_id!r}")
        if not keys:
            raise ValueError("MODSTREAM_MESSAGE_KEYS holds no key")
        return cls(keys, next(iter(keys)))

    def _digest(self, key_id: str, topic: str, key: bytes | None, value: bytes) -> str:
        message = b"\0".join([VERSION.encode(), topic.encode(), key or b"", value])
        return hmac.new(self.keys[key_id], message, hashlib.sha256).hexdigest()

    def tag(self, topic: str, key: bytes | None, value: bytes) -> bytes:
        return f"{VERSION}:{self.signing}:{self._digest(self.signing, topic, key, value)}".encode()

    def headers(self, topic: str, key: bytes | None, value: bytes) -> dict[str, bytes]:
        """The headers that authenticate a message to ``topic``: none for a topic anyone may write."""
        return {HEADER: self.tag(topic, key, value)} if topic in topics.AUTHENTICATED else {}

    def verify(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        """Returns if the message carries a valid tag, or its topic needs none; Unauthenticated says what is
        wrong otherwise."""
        if topic not in topics.AUTHENTICATED:
            return
        tag = _header(headers)
        if tag is None:
            raise Unauthenticated(f"unauthenticated: no {HEADER} header on a message of {topic}")
        version, _, rest = tag.decode("ascii", errors="replace").partition(":")
        key_id, _, digest = rest.partition(":")
        if version != VERSION or key_id not in self.keys:
            raise Unauthenticated(f"unauthenticated: unknown tag version or key id on a message of {topic}")
        if not hmac.compare_digest(digest, self._digest(key_id, topic, key, value or b"")):
            raise Unauthenticated(f"unauthenticated: the tag does not match the message on {topic}")

    def authentic(self, record: Any) -> bool:
        """Whether a consumed ``record`` passes ``verify``; one that does not is logged, for readers that skip it."""
        try:
            self.verify(record.topic, record.key, record.value, record.headers)
        except Unauthenticated as exc:
            log.warning("skipped a %s record: %s", record.topic, exc)
            return False
        return True


def decision_statement(request_id: str, action: ReviewAction, reviewer: str, item: ReviewItem) -> bytes:
    """What the review service signs of a decision: with the digest of the image it publishes, if any."""
    published = item.published_by(action)
    parts = ["modstream review decision v1", request_id, action.value, reviewer, published.sha256 if published else ""]
    return "\n".join(parts).encode()


@dataclass(frozen=True)
class DecisionSigner:
    """The review service's key."""

    key: Ed25519PrivateKey

    @classmethod
    def load(cls, path: Path, create: bool) -> DecisionSigner:
        """The private key in ``path`` (PEM); with ``create`` (the default file of one machine) made there first
        when missing. A configured key that is not there is an error, not a new key the workers do not know."""
        if not create and not path.is_file():
            raise FileNotFoundError(f"the review signing key {path} does not exist (MODSTREAM_REVIEW_SIGNING_KEY)")
        pem = read_or_create(
            path,
            lambda: Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return cls(key)

    def sign(self, statement: bytes) -> str:
        return self.key.sign(statement).hex()

    def verifier(self) -> DecisionVerifier:
        return DecisionVerifier(self.key.public_key())


@dataclass(frozen=True)
class DecisionVerifier:
    """What the workers hold: the review service's public key."""

    key: Ed25519PublicKey

    @classmethod
    def load(cls, public: Path | None, private: Path, create: bool) -> DecisionVerifier:
        """The public key in ``public`` (PEM); without one, that of the private key ``private`` (one machine)."""
        if public is None:
            return DecisionSigner.load(private, create).verifier()
        key = serialization.load_pem_public_key(public.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{public}: not an Ed25519 public key")
        return cls(key)

    def verify(self, statement: bytes, signature: str | None) -> None:
        if not signature:
            raise Unauthenticated("unauthenticated: the review decision is not signed by the review service")
        try:
            self.key.verify(bytes.fromhex(signature), statement)
        except (InvalidSignature, ValueError):
            raise Unauthenticated("unauthenticated: the review decision's signature does not verify") from None
