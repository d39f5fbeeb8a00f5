"""Settings: environment variables prefixed ``MODSTREAM_``, then an optional TOML file, then defaults.

The defaults run the embedded stack on this machine: when ``kafka_url`` or ``triton_url`` is unset,
``modstream up`` starts that part itself on the embedded ports below.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from modstream_models.settings import CONFIG_FILE_ENV, ModelSettings
from streams.authentication import MessageAuthenticator
from streams.kafka_connection import KafkaConnection, SaslMechanism, SecurityProtocol
from streams.keyfiles import check_key, read_or_create

__all__ = ["CONFIG_FILE_ENV", "Settings", "get_settings"]


class Settings(ModelSettings):
    """The app's settings: the model tier's (``ModelSettings``) and everything the workers and services read."""

    model_config = SettingsConfigDict(env_prefix="MODSTREAM_", extra="forbid")

    kafka_url: str | None = Field(
        None, description="host:port of an existing Kafka broker; unset starts the embedded Tansu broker."
    )
    triton_url: str | None = Field(
        None, description="host:port (gRPC) of an existing Triton server; unset starts the embedded one."
    )
    blob_url: str | None = Field(None, description="file:///dir or s3://bucket/prefix; unset uses <data_dir>/blobs.")
    kafka_port: int = Field(19092, description="Port of the embedded broker.")
    kafka_security_protocol: SecurityProtocol = Field(
        "PLAINTEXT", description="How clients reach the brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: SaslMechanism = Field("SCRAM-SHA-512", description="SASL mechanism (SASL_* protocols).")
    kafka_sasl_username: str | None = Field(None, description="SASL user of this part of modstream.")
    kafka_sasl_password: str | None = Field(None, description="SASL password (set it from a secret).")
    kafka_ssl_cafile: Path | None = Field(None, description="CA of the brokers' certificates; unset: system CAs.")
    kafka_ssl_certfile: Path | None = Field(None, description="Client certificate (PEM) for mutual TLS.")
    kafka_ssl_keyfile: Path | None = Field(None, description="Key of the client certificate (PEM).")
    kafka_fetch_max_wait_ms: int = Field(
        500, ge=1, le=30_000, description="Longest wait of a consumer's fetch for data (each hop's wait on Tansu)."
    )
    kafka_session_timeout_s: float = Field(
        6.0, gt=0, description="How soon the broker gives a silent worker's partitions to the others."
    )
    kafka_idle_fetch_max_wait_ms: int = Field(
        10,
        ge=1,
        le=30_000,
        description="The worker's fetch wait while it has fewer than KAFKA_BACKLOG_EVENTS unfinished.",
    )
    kafka_backlog_events: int = Field(
        8, ge=1, description="Unfinished events from which the worker's fetches wait KAFKA_FETCH_MAX_WAIT_MS."
    )
    triton_http_port: int = Field(18000, description="HTTP port of the embedded Triton server.")
    triton_grpc_port: int = Field(18001, description="gRPC port of the embedded Triton server.")
    triton_metrics_port: int = Field(18002, description="Metrics port of the embedded Triton server.")
    triton_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness added to the embedded Triton server: on shared cores the stages that feed it go first.",
    )
    s3_endpoint_url: str | None = Field(None, description="Endpoint of an S3-compatible store (MinIO, ...).")
    topic_partitions: int = Field(4, ge=1, description="Partitions of every modstream topic.")
    topic_retention_hours: float | None = Field(
        None, gt=0, description="Retention of every topic but the short-lived ones; unset: the broker's default."
    )
    short_topic_retention_hours: float = Field(
        72.0, gt=0, description="Retention of screened (raw prompts), review and dead-letter."
    )
    worker_web_host: str = Field("127.0.0.1", description="Address the worker's web server (health, metrics) binds.")
    worker_web_port: int = Field(6066, description="Faust web server port (health and metrics).")
    worker_threads: int = Field(
        4, ge=1, description="Threads a worker runs blocking work in (image coding, redaction, signing, blobs)."
    )
    metrics_enabled: bool = Field(True, description="Record Prometheus metrics (off only to measure their cost).")
    consumer_lag_interval_s: float = Field(2.0, gt=0, description="How often the worker measures its consumer lag.")
    pseudonym_key: str | None = Field(
        None, description="HMAC key for user ids; unset reads or creates <data_dir>/pseudonym.key."
    )
    watermark_key: str | None = Field(
        None, description="HMAC key of watermark payloads; unset reads or creates <data_dir>/watermark.key."
    )
    message_keys: str | None = Field(
        None,
        description="HMAC keys of the messages modstream's parts send each other, id:secret[,id:secret]; the first "
        "signs (rotation: put the new key first). Unset reads or creates <data_dir>/message.key.",
    )
    review_signing_key: Path | None = Field(
        None, description="The review service's Ed25519 key (PEM); unset: <data_dir>/review-signing.key."
    )
    review_verify_key: Path | None = Field(
        None, description="Its public key (PEM), for the workers; unset: derived from the signing key file."
    )
    max_image_bytes: int = Field(20 * 1024 * 1024, description="Largest accepted encoded image.")
    max_image_pixels: int = Field(40_000_000, description="Largest accepted decoded image (bomb guard).")
    policy_file: Path | None = Field(
        None, description="The acceptable-use policy (YAML); unset uses the shipped streams/policy/default.yaml."
    )
    moderation_batch: int = Field(8, ge=1, description="Candidates the moderate agent takes at once.")
    moderation_batch_wait_s: float = Field(
        0.01, ge=0, description="How long it waits to fill a batch (an idle stack waits this long per image)."
    )
    triton_timeout_s: float = Field(60.0, description="Deadline of one Triton call.")
    triton_retries: int = Field(3, ge=0, description="Retries of a Triton call that failed transiently, with backoff.")
    stage_retries: int = Field(
        3, ge=0, description="Runs again of a stage whose broker or blob store failed transiently, with backoff."
    )
    stage_backoff_s: float = Field(0.5, ge=0, description="First wait before a stage runs again (then doubling).")
    trace_file: Path | None = Field(None, description="Span file; unset uses <data_dir>/traces/spans.jsonl.")
    database_url: str | None = Field(
        None,
        description="Audit and review store: sqlite:///file or postgresql+psycopg://...; "
        "unset: <data_dir>/modstream.db.",
    )
    c2pa_cert: Path | None = Field(
        None, description="C2PA signer certificate and its chain (PEM); unset: a development CA under <data_dir>/c2pa."
    )
    c2pa_key: Path | None = Field(None, description="The C2PA signer's private key (PEM, ES256).")
    c2pa_trust_anchors: Path | None = Field(None, description="CA certificates (PEM) that `verify` trusts.")
    review_host: str = Field("127.0.0.1", description="Address the review service listens on.")
    review_port: int = Field(18080, description="Port of the review service (console and API).")
    review_url: str | None = Field(None, description="Review service URL for `modstream review`; unset: the local one.")
    review_token: str | None = Field(None, description="API token for `modstream review` (from `modstream users add`).")
    review_claim_s: float = Field(
        300.0, gt=0, description="How long an opened review item stays locked to its reviewer."
    )
    review_session_hours: float = Field(12.0, gt=0, description="Lifetime of a review console login.")
    review_session_idle_minutes: float = Field(
        30.0, ge=1, description="A console login ends after this long without a request."
    )
    review_token_days: float = Field(
        90.0, gt=0, description="Lifetime of a reviewer's API token (`modstream users rotate-token` renews it)."
    )
    gateway_host: str = Field("127.0.0.1", description="Address the HTTP gateway listens on.")
    gateway_port: int = Field(18090, description="Port of the HTTP gateway for upstream apps.")
    review_max_body_bytes: int = Field(
        64 * 1024, gt=0, description="Largest request body the review service reads (413 above it)."
    )
    gateway_max_body_bytes: int | None = Field(
        None, gt=0, description="Largest request body the gateway reads; unset: room for one image in base64."
    )
    gateway_rate_per_s: float = Field(20.0, gt=0, description="Requests a second one tenant may send on average.")
    gateway_burst: int = Field(40, ge=1, description="Requests one tenant may send at once before it is limited.")
    gateway_max_wait_s: float = Field(60.0, ge=0, description="Longest ?wait= of a GET for a request's end.")
    gateway_index_size: int = Field(100_000, ge=1, description="Requests whose ends the gateway keeps at hand.")

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka_url or f"127.0.0.1:{self.kafka_port}"

    def kafka(self) -> KafkaConnection:
        """How every Kafka client connects (``streams.kafka_connection``)."""
        return KafkaConnection(
            self.kafka_bootstrap,
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_sasl_username,
            self.kafka_sasl_password,
            self.kafka_ssl_cafile,
            self.kafka_ssl_certfile,
            self.kafka_ssl_keyfile,
            self.kafka_fetch_max_wait_ms,
        )

    @property
    def triton_grpc(self) -> str:
        return self.triton_url or f"127.0.0.1:{self.triton_grpc_port}"

    def topic_config(self, topic: str) -> dict[str, str]:
        """The Kafka topic configuration a modstream topic is created with (its retention)."""
        from streams.topics import SHORT_LIVED

        hours = self.short_topic_retention_hours if topic in SHORT_LIVED else self.topic_retention_hours
        return {} if hours is None else {"retention.ms": str(int(hours * 3600 * 1000))}

    @property
    def blob_location(self) -> str:
        return self.blob_url or (self.data_dir.resolve() / "blobs").as_uri()

    @property
    def span_file(self) -> Path:
        return self.trace_file or self.data_dir / "traces" / "spans.jsonl"

    @property
    def policy_path(self) -> Path:
        from streams.policy.loader import DEFAULT_POLICY

        return self.policy_file or DEFAULT_POLICY

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'modstream.db').resolve()}"

    @property
    def gateway_body_limit(self) -> int:
        return self.gateway_max_body_bytes or self.max_image_bytes * 4 // 3 + 1024 * 1024

    @property
    def gateway_base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def review_base_url(self) -> str:
        return (self.review_url or f"http://127.0.0.1:{self.review_port}").rstrip("/")

    def as_environment(self) -> dict[str, str]:
        """These settings as ``MODSTREAM_*`` variables, for the processes the stack starts."""
        env = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, Path):
                value = value.resolve()
            env[f"MODSTREAM_{name.upper()}"] = str(value)
        return env

    def message_authenticator(self) -> MessageAuthenticator:
        if self.message_keys:
            return MessageAuthenticator.parse(self.message_keys)
        return MessageAuthenticator({"local": self._local_key("message.key", "")}, "local")

    @property
    def review_signing_key_file(self) -> Path:
        return self.review_signing_key or self.data_dir / "review-signing.key"

    def hmac_key(self) -> bytes:
        """The pseudonym key: configured, or read from (first created in) <data_dir>/pseudonym.key."""
        if self.pseudonym_key:
            return check_key(self.pseudonym_key.encode(), "MODSTREAM_PSEUDONYM_KEY")
        return self._local_key("pseudonym.key", " (delete it for a new one: pseudonyms then change)")

    def watermark_secret(self) -> bytes:
        """The watermark key: configured, or read from (first created in) <data_dir>/watermark.key."""
        if self.watermark_key:
            return check_key(self.watermark_key.encode(), "MODSTREAM_WATERMARK_KEY")
        return self._local_key("watermark.key", " (every worker needs the same one)")

    def _local_key(self, name: str, advice: str) -> bytes:
        """The key in <data_dir>/``name`` (32 random bytes in hex, created there first when missing)."""
        key_file = self.data_dir / name
        key = read_or_create(key_file, lambda: secrets.token_hex(32).encode()).strip()
        return check_key(key, f"{key_file}{advice}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
