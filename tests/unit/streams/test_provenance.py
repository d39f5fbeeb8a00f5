import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from streams.provenance import Credentials, load_credentials, read_credentials, sign_image, watermark_payload

MODERATION = {"request_id": "41d0398184444f649800d86cf2fb1657", "end": "published", "policy_version": "2026.11.1+ab"}


def encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(out, fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    return load_credentials(None, None, None, tmp_path_factory.mktemp("data"))


@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_signed_images_carry_the_moderation_record_and_the_watermark_binding(
    credentials: Credentials, fmt: str, media_type: str
) -> None:
    signed = sign_image(encoded(fmt), media_type, credentials, MODERATION, "41d0398184444f64")
    found = read_credentials(signed, media_type, credentials.trust_anchors_pem)
    assert found is not None and found.state == "Trusted" and found.failures == []
    assert found.moderation == MODERATION and found.watermark_payload == "41d0398184444f64"
    untrusted = read_credentials(signed, media_type, None)
    assert untrusted.state == "Valid" and untrusted.failures == ["signingCredential.untrusted"]
    assert read_credentials(encoded(fmt), media_type, None) is None


def test_a_changed_image_fails_validation(credentials: Credentials) -> None:
    signed = bytearray(sign_image(encoded("PNG"), "image/png", credentials, MODERATION, "00"))
    signed[-300] ^= 0xFF
    tampered = read_credentials(bytes(signed), "image/png", credentials.trust_anchors_pem)
    assert tampered is not None and not tampered.valid and "assertion.dataHash.mismatch" in tampered.failures


def test_the_development_ca_is_made_once_and_a_half_configuration_is_refused(tmp_path: Path) -> None:
    first = load_credentials(None, None, None, tmp_path)
    assert load_credentials(None, None, None, tmp_path) == first
    assert oct((tmp_path / "c2pa" / "signer.key").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError, match="both"):
        load_credentials(tmp_path / "c2pa" / "signer.pem", None, None, tmp_path)


def test_the_watermark_payload_is_keyed() -> None:
    """Without the key nobody can make the payload of a request id they choose."""
    key, other = b"a" * 32, b"b" * 32
    assert watermark_payload("r1", key) == watermark_payload("r1", key) and len(watermark_payload("r1", key)) == 8
    assert watermark_payload("r1", key) != watermark_payload("r1", other)
    assert watermark_payload("r1", key) != watermark_payload("r2", key)
    assert watermark_payload("r1", key) != hashlib.sha256(b"r1").digest()[:8]  # the unkeyed payload of before
