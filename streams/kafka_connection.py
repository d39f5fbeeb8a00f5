"""How every Kafka client of modstream connects: the bootstrap servers, TLS and SASL (SCRAM).

One ``KafkaConnection`` (from ``Settings.kafka()``) gives the keyword arguments of every aiokafka
client (producers, consumers, the admin client) and the credentials of the Faust app, so that no
client can be left on plaintext when the configuration asks for TLS or SASL. The embedded stack's
broker runs PLAINTEXT on 127.0.0.1; a production cluster runs SASL_SSL (see docker-compose.yml).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


class KafkaConfigError(ValueError):
    """A Kafka security setting that cannot work; the message says which variable to set."""


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap: str
    protocol: SecurityProtocol = "PLAINTEXT"
    mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # the CA that signed the brokers' certificates; unset: the system's CAs
    cert_file: Path | None = None  # a client certificate, for brokers that require one (mutual TLS)
    key_file: Path | None = None
    fetch_max_wait_ms: int = 500  # how long a consumer's fetch may wait for data (see streams.kafka_transport)

    def __post_init__(self) -> None:
        if self.sasl and not (self.username and self.password):
            raise KafkaConfigError(
                f"security protocol {self.protocol} needs MODSTREAM_KAFKA_SASL_USERNAME and "
                "MODSTREAM_KAFKA_SASL_PASSWORD"
            )
        if self.sasl and self.mechanism == "PLAIN" and not self.tls:
            raise KafkaConfigError("SASL PLAIN without TLS sends the password in clear: use SASL_SSL or SCRAM")
        if (self.cert_file is None) != (self.key_file is None):
            raise KafkaConfigError("set both MODSTREAM_KAFKA_SSL_CERTFILE and MODSTREAM_KAFKA_SSL_KEYFILE, or neither")
        if (self.ca_file or self.cert_file) and not self.tls:
            raise KafkaConfigError(
                f"TLS files are set but the security protocol is {self.protocol}: use SSL or SASL_SSL"
            )

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the brokers' certificates and host names (TLS 1.2 or newer); None without TLS."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert_file and self.key_file:
            context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``AIOKafkaProducer``, ``AIOKafkaConsumer`` and ``AIOKafkaAdminClient``."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options

    def consumer_options(self, fetch_max_wait_ms: int | None = None) -> dict[str, Any]:
        """``client_options`` and the fetch wait (``fetch_max_wait_ms``, else the configured one), for
        ``AIOKafkaConsumer``."""
        return self.client_options() | {"fetch_max_wait_ms": fetch_max_wait_ms or self.fetch_max_wait_ms}

    def faust_credentials(self) -> Any:
        """The Faust app's ``broker_credentials``: SASL (over TLS for SASL_SSL), TLS alone, or None."""
        import faust

        if self.sasl:
            return faust.SASLCredentials(
                username=self.username, password=self.password, mechanism=self.mechanism, ssl_context=self.ssl_context()
            )
        if self.tls:
            return faust.SSLCredentials(self.ssl_context())
        return None
