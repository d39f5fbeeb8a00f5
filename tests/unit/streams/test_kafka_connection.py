"""What every Kafka client is given: plaintext on the embedded stack, TLS and SASL (SCRAM) by configuration."""

from __future__ import annotations

import asyncio
import ssl

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from streams.config import Settings
from streams.kafka_connection import KafkaConfigError, KafkaConnection


def test_the_embedded_stack_connects_in_plaintext() -> None:
    kafka = Settings().kafka()
    assert kafka.client_options() == {"bootstrap_servers": "127.0.0.1:19092", "security_protocol": "PLAINTEXT"}
    assert kafka.faust_credentials() is None


def test_sasl_ssl_from_the_environment_reaches_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "KAFKA_URL": "kafka-1:9093,kafka-2:9093",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_USERNAME": "modstream-worker",
        "KAFKA_SASL_PASSWORD": "s3cret",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"MODSTREAM_{name}", value)
    kafka = Settings().kafka()
    options = kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "modstream-worker" and options["sasl_plain_password"] == "s3cret"
    context = options["ssl_context"]
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert "s3cret" not in repr(kafka)

    async def construct_every_client() -> None:  # each takes every option (they are built, not started)
        for client in (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient):
            client(**options)

    asyncio.run(construct_every_client())
    credentials = kafka.faust_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.protocol.value, credentials.mechanism.value) == ("SASL_SSL", "SCRAM-SHA-512")


def test_tls_alone_gives_faust_ssl_credentials() -> None:
    credentials = KafkaConnection("kafka:9093", "SSL").faust_credentials()
    assert isinstance(credentials, faust.SSLCredentials) and credentials.protocol.value == "SSL"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"protocol": "SASL_SSL"}, "needs MODSTREAM_KAFKA_SASL_USERNAME"),
        ({"protocol": "SASL_PLAINTEXT", "mechanism": "PLAIN", "username": "u", "password": "p"}, "in clear"),
        ({"protocol": "SSL", "cert_file": "client.pem"}, "MODSTREAM_KAFKA_SSL_KEYFILE"),
        ({"ca_file": "ca.pem"}, "use SSL or SASL_SSL"),
    ],
)
def test_settings_that_cannot_work_are_refused_saying_what_to_set(fields: dict[str, str], message: str) -> None:
    with pytest.raises(KafkaConfigError, match=message):
        KafkaConnection("kafka:9093", **fields)  # type: ignore[arg-type]


def test_consumers_wait_for_data_as_configured_unless_a_caller_asks_for_longer() -> None:
    kafka = KafkaConnection("kafka:9092", fetch_max_wait_ms=10)
    assert kafka.consumer_options()["fetch_max_wait_ms"] == 10
    assert kafka.consumer_options(500)["fetch_max_wait_ms"] == 500
    assert "fetch_max_wait_ms" not in kafka.client_options()  # producers and the admin client take no such option
