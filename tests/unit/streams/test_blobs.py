import hashlib
from pathlib import Path

import pytest

from streams.blobs import BlobNotFound, LocalBlobStore, open_blob_store


def test_content_addressed_put_and_get(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = store.put(b"pixels", "image/png")
    assert ref.sha256 == hashlib.sha256(b"pixels").hexdigest()
    assert ref.size == 6
    assert store.get(ref) == b"pixels"
    assert store.put(b"pixels", "image/png") == ref  # idempotent


def test_missing_and_corrupt_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = store.put(b"original")
    store.delete(ref)
    with pytest.raises(BlobNotFound, match="is not in"):
        store.get(ref)
    ref = store.put(b"original")
    next(p for p in tmp_path.rglob(ref.sha256)).write_bytes(b"tampered")
    with pytest.raises(BlobNotFound, match="digest mismatch"):
        store.get(ref)
    next(p for p in tmp_path.rglob(ref.sha256)).write_bytes(b"a far longer object than the reference says")
    with pytest.raises(BlobNotFound, match="43 bytes, not 8"):  # refused before it is read
        store.get(ref)


def test_store_is_chosen_by_url(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(tmp_path.as_uri()), LocalBlobStore)
    with pytest.raises(ValueError, match="use file:///"):
        open_blob_store("ftp://host/dir")
