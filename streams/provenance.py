"""C2PA Content Credentials: a signed manifest on every published image, and reading one back.

The manifest says who made the image (modstream, AI-generated), what moderation decided (request
id, end, reason code, redactions, policy and model versions) and names the invisible watermark as a
soft binding, so that the record is found again from the watermark when the metadata is stripped.

Signing needs a certificate chain and its private key (ES256). Unset, a development CA and a signer
certificate are generated on first use under ``<data_dir>/c2pa/``; readers trust that CA only
where it is configured as a trust anchor. In production set ``MODSTREAM_C2PA_CERT`` (the signer
certificate followed by its chain, PEM), ``MODSTREAM_C2PA_KEY`` and ``MODSTREAM_C2PA_TRUST_ANCHORS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from streams.keyfiles import create_directory_once

MODERATION_LABEL = "org.modstream.moderation"
SOFT_BINDING_LABEL = "c2pa.soft-binding"
WATERMARK_ALG = "org.modstream.watermark.1"
AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CA_NAME = "modstream development CA"


@dataclass(frozen=True)
class Credentials:
    chain_pem: bytes  # the signer certificate first, then its issuers
    key_pem: bytes
    trust_anchors_pem: bytes | None


@dataclass(frozen=True)
class ContentCredentials:
    """What an image's manifest says and whether it holds."""

    state: str  # "Trusted", "Valid" (signature holds, signer not trusted here) or "Invalid"
    failures: list[str] = field(default_factory=list)
    moderation: dict[str, Any] | None = None
    watermark_payload: str | None = None

    @property
    def valid(self) -> bool:
        return self.state in ("Valid", "Trusted")


def watermark_payload(request_id: str, key: bytes) -> bytes:
    """The 64 bits a request's published image carries: the start of the HMAC-SHA-256 of its id under the
    watermark key, so that nobody without the key can make the payload of a request id they choose."""
    return hmac.new(key, request_id.encode(), hashlib.sha256).digest()[:8]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "modstream development"),
         x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )  # fmt: skip


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def create_development_credentials(directory: Path, days: int = 825) -> Credentials:
    """A CA and an ES256 signer certificate issued by it (C2PA refuses a self-signed signer).

    The signer carries the emailProtection extended key usage, which C2PA validators accept by default.
    """
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name(CA_NAME)).issuer_name(_name(CA_NAME))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder().subject_name(_name("modstream development signer")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    def write(staging: Path) -> None:
        (staging / "ca.pem").write_bytes(_pem(ca))
        (staging / "signer.pem").write_bytes(_pem(signer) + _pem(ca))
        fd = os.open(staging / "signer.key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_pem)

    create_directory_once(directory, write)  # processes starting together all use the first one's
    return _development_credentials(directory, None)


def load_credentials(cert: Path | None, key: Path | None, trust_anchors: Path | None, data_dir: Path) -> Credentials:
    """The configured signer, or the development one (created on first use)."""
    if cert and key:
        return Credentials(cert.read_bytes(), key.read_bytes(), trust_anchors.read_bytes() if trust_anchors else None)
    if cert or key:
        raise ValueError("set both MODSTREAM_C2PA_CERT and MODSTREAM_C2PA_KEY, or neither for a development CA")
    directory = data_dir / "c2pa"
    if (directory / "signer.key").exists():
        return _development_credentials(directory, trust_anchors)
    return create_development_credentials(directory)


def _development_credentials(directory: Path, trust_anchors: Path | None) -> Credentials:
    return Credentials(
        (directory / "signer.pem").read_bytes(), (directory / "signer.key").read_bytes(),
        trust_anchors.read_bytes() if trust_anchors else (directory / "ca.pem").read_bytes(),
    )  # fmt: skip


def _context(trust_anchors_pem: bytes | None) -> c2pa.Context:
    settings: dict[str, Any] = {
        "builder": {"thumbnail": {"enabled": False}},  # a thumbnail would double a PNG's size
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},  # offline, always
    }
    if trust_anchors_pem:
        settings["trust"] = {"user_anchors": trust_anchors_pem.decode()}
    return c2pa.Context.from_dict(settings)


@cache
def _modstream_version() -> str:
    return version("modstream")  # reads the package metadata from disk: once, not for every image signed


def sign_image(image: bytes, media_type: str, credentials: Credentials, moderation: dict[str, Any],
               watermark_payload: str) -> bytes:  # fmt: skip
    """``image`` with a signed manifest embedded: moderation record and watermark soft binding."""
    manifest = {
        "claim_generator_info": [{"name": "modstream", "version": _modstream_version()}],
        "title": f"modstream {moderation.get('request_id', '')}",
        "assertions": [
            {"label": "c2pa.actions",
             "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": AI_GENERATED}]}},
            {"label": MODERATION_LABEL, "data": moderation},
            {"label": SOFT_BINDING_LABEL,
             "data": {"alg": WATERMARK_ALG, "blocks": [{"scope": {}, "value": watermark_payload}], "pad": []}},
        ],
    }  # fmt: skip
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, credentials.chain_pem, credentials.key_pem, None)
    signed = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context=_context(None)) as builder:
        builder.sign(signer, media_type, io.BytesIO(image), signed)
    return signed.getvalue()


def read_credentials(image: bytes, media_type: str, trust_anchors_pem: bytes | None) -> ContentCredentials | None:
    """The image's Content Credentials, or None when it carries none (or its metadata was stripped)."""
    try:
        with c2pa.Reader(media_type, io.BytesIO(image), context=_context(trust_anchors_pem)) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None
    except c2pa.C2paError as exc:
        return ContentCredentials(state="Invalid", failures=[f"unreadable: {exc}"])
    active = store["manifests"][store["active_manifest"]]
    assertions = {a["label"]: a["data"] for a in active.get("assertions", [])}
    binding = assertions.get(SOFT_BINDING_LABEL) or {}
    blocks = binding.get("blocks") or [{}]
    failures = [s["code"] for s in store.get("validation_status", []) if not s["code"].endswith(".skipped")]
    return ContentCredentials(
        state=store.get("validation_state", "Invalid"),
        failures=failures,
        moderation=assertions.get(MODERATION_LABEL),
        watermark_payload=blocks[0].get("value") if binding.get("alg") == WATERMARK_ALG else None,
    )
