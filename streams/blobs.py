"""Content-addressed blob store: images travel through Kafka by reference (``BlobRef``), never inline.

One small interface, two implementations chosen by URL: ``file:///dir`` (the embedded default) and
``s3://bucket/prefix`` (any S3-compatible store, through boto3).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from streams.errors import TransientError
from streams.events import BlobRef


class BlobNotFound(KeyError):
    """No blob with that digest in the store."""


class BlobStoreUnavailable(TransientError):
    """The store did not answer or failed (disk, network, S3 error): trying again may succeed."""


class BlobStore(Protocol):
    def put(self, data: bytes, media_type: str = "application/octet-stream") -> BlobRef: ...

    def get(self, ref: BlobRef) -> bytes: ...

    def delete(self, ref: BlobRef) -> None: ...


def blob_ref_for(data: bytes, media_type: str) -> BlobRef:
    return BlobRef(sha256=hashlib.sha256(data).hexdigest(), size=len(data), media_type=media_type)


CHUNK = 1024 * 1024


def _verified(ref: BlobRef, stored_size: int, chunks: Iterator[bytes]) -> bytes:
    """The blob's bytes, read in chunks and checked against its reference: a stored object of another size is
    refused before it is read, and no more than ``ref.size`` bytes are taken from the store."""
    if stored_size != ref.size:
        raise BlobNotFound(f"blob {ref.sha256} is corrupt in the store ({stored_size} bytes, not {ref.size})")
    digest, parts, taken = hashlib.sha256(), [], 0
    for chunk in chunks:
        taken += len(chunk)
        if taken > ref.size:
            raise BlobNotFound(f"blob {ref.sha256} is corrupt in the store (longer than {ref.size} bytes)")
        digest.update(chunk)
        parts.append(chunk)
    if digest.hexdigest() != ref.sha256:
        raise BlobNotFound(f"blob {ref.sha256} is corrupt in the store (digest mismatch)")
    return b"".join(parts)


class LocalBlobStore:
    """Blobs as files ``<root>/<aa>/<bb>/<sha256>``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, media_type: str = "application/octet-stream") -> BlobRef:
        ref = blob_ref_for(data, media_type)
        path = self._path(ref.sha256)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except OSError as exc:
                raise BlobStoreUnavailable(f"cannot write blob {ref.sha256} under {self.root}: {exc}") from exc
        return ref

    def get(self, ref: BlobRef) -> bytes:
        try:
            with open(self._path(ref.sha256), "rb") as handle:
                return _verified(ref, os.fstat(handle.fileno()).st_size, iter(lambda: handle.read(CHUNK), b""))
        except FileNotFoundError:
            raise BlobNotFound(f"blob {ref.sha256} is not in the blob store") from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob {ref.sha256} under {self.root}: {exc}") from exc

    def delete(self, ref: BlobRef) -> None:
        self._path(ref.sha256).unlink(missing_ok=True)


class S3BlobStore:
    """Blobs as objects ``<prefix>/<sha256>`` in an S3-compatible bucket."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        """Credentials and region come the standard AWS way: AWS_* variables, ~/.aws files, instance roles."""
        import boto3  # imported here so that the local store needs no AWS SDK

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def put(self, data: bytes, media_type: str = "application/octet-stream") -> BlobRef:
        """Uploads in parts of at most 8 MiB (boto3's transfer manager); the key is the content's digest."""
        ref = blob_ref_for(data, media_type)
        with self._answering(ref):
            self.client.upload_fileobj(
                io.BytesIO(data), self.bucket, self._key(ref.sha256), ExtraArgs={"ContentType": media_type}
            )
        return ref

    def get(self, ref: BlobRef) -> bytes:
        with self._answering(ref):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(ref.sha256))
            except self.client.exceptions.NoSuchKey:
                raise BlobNotFound(f"blob {ref.sha256} is not in the blob store") from None
            body = response["Body"]
            try:
                return _verified(ref, response["ContentLength"], body.iter_chunks(CHUNK))
            finally:
                body.close()

    def delete(self, ref: BlobRef) -> None:
        with self._answering(ref):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(ref.sha256))

    @contextmanager
    def _answering(self, ref: BlobRef) -> Iterator[None]:
        """S3 and network errors as ``BlobStoreUnavailable`` (a missing blob stays ``BlobNotFound``)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable(f"s3://{self.bucket}: blob {ref.sha256}: {exc}") from exc


def open_blob_store(url: str, s3_endpoint_url: str | None = None) -> BlobStore:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(Path(parsed.path))
    if parsed.scheme == "s3":
        return S3BlobStore(parsed.netloc, parsed.path, endpoint_url=s3_endpoint_url)
    raise ValueError(f"blob store URL {url!r}: use file:///absolute/dir or s3://bucket/prefix")
