"""The Triton client of the workers: one gRPC call per model request, traced, with bounded retries.

Each call carries the current W3C trace context as gRPC metadata, so a Triton server with tracing
on continues the request's trace. Failures after the retries raise ``InferenceUnavailable``; the
caller fails closed (the item goes to review, never to publish).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from opentelemetry.trace import SpanKind, Status, StatusCode
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from tritonclient.grpc import MAX_GRPC_MESSAGE_SIZE, InferInput, InferRequestedOutput, KeepAliveOptions
from tritonclient.grpc.aio import InferenceServerClient
from tritonclient.utils import InferenceServerException

from modstream_models.catalogue import (
    GENERATOR,
    IMAGE_SAFETY_MODELS,
    PROMPT_PII,
    WATERMARK_DECODE,
    WATERMARK_EMBED,
    SafetyModel,
    Tensor,
)
from modstream_models.detections import decode_detections
from streams import metrics
from streams.errors import ChecksUnavailable, RejectedInput
from streams.events import Finding, GeneratorInfo
from streams.telemetry import REQUEST_ID_ATTRIBUTE, headers_with_context, tracer

# The contracts of the models (names, tensors) are in ``modstream_models.catalogue``.
PROMPT_PII_MODEL = PROMPT_PII.name
# The image safety models, by Triton model name.
SAFETY_MODELS = {model.name: model for model in IMAGE_SAFETY_MODELS}
# gRPC codes after which the same call may succeed; anything else (a model's INTERNAL error) is final.
TRANSIENT_CODES = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "CANCELLED", "ABORTED")


class InferenceUnavailable(ChecksUnavailable):
    """Triton did not answer after every retry, or the model failed on the input."""


class InferenceRejected(RejectedInput):
    """Triton refused the input itself (for example an image it cannot decode): retrying will not help."""


@dataclass(frozen=True)
class Scan:
    """What the safety models report about one image: every detection, flagged or not."""

    model_versions: dict[str, str]
    detections: list[Finding]


@dataclass(frozen=True)
class GeneratedImage:
    png: bytes
    generator: GeneratorInfo


NUMPY_TYPES = {"BYTES": np.object_, "INT64": np.int64, "FP32": np.float32}


def batch_input(tensor: Tensor, values: Sequence[bytes | int | float]) -> InferInput:
    """A batch of one-element rows for ``tensor`` of a model's contract."""
    array = np.array([[value] for value in values], dtype=NUMPY_TYPES[tensor.datatype])
    infer_input = InferInput(tensor.name, list(array.shape), tensor.datatype)
    infer_input.set_data_from_numpy(array)
    return infer_input


def channel_arguments(max_reconnect_backoff_s: float) -> list[tuple[str, int]]:
    """tritonclient's own channel options, with reconnection attempts at most ``max_reconnect_backoff_s`` apart.

    gRPC's default backoff grows to two minutes while the server is down, and calls fail at once until
    the next attempt: a restarted Triton would stay unreachable long after it is ready again.
    """
    keepalive = KeepAliveOptions()
    backoff_ms = int(max_reconnect_backoff_s * 1000)
    return [
        ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_SIZE),
        ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_SIZE),
        ("grpc.keepalive_time_ms", keepalive.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", keepalive.keepalive_timeout_ms),
        ("grpc.keepalive_permit_without_calls", keepalive.keepalive_permit_without_calls),
        ("grpc.http2.max_pings_without_data", keepalive.http2_max_pings_without_data),
        ("grpc.initial_reconnect_backoff_ms", min(backoff_ms, 1000)),
        ("grpc.max_reconnect_backoff_ms", backoff_ms),
    ]


def _code(exc: InferenceServerException) -> str:
    return (exc.status() or "").rpartition(".")[2]  # "StatusCode.UNAVAILABLE" -> "UNAVAILABLE"


def _error_code(exc: Exception) -> str:
    """A failed call's gRPC status code; a client-side timeout or socket error as the code gRPC gives it."""
    if isinstance(exc, InferenceServerException):
        return _code(exc) or "UNKNOWN"
    return "DEADLINE_EXCEEDED" if isinstance(exc, TimeoutError) else "UNAVAILABLE"


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, InferenceServerException):
        return _code(exc) in TRANSIENT_CODES
    return isinstance(exc, TimeoutError | OSError)


class TritonClient:
    def __init__(self, url: str, *, timeout_s: float = 60.0, retries: int = 3, backoff_s: float = 0.5) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        # A retry finds a restarted server: the channel has tried to reconnect by the time the retry runs.
        self._client = InferenceServerClient(url, channel_args=channel_arguments(max_reconnect_backoff_s=backoff_s))
        host, _, port = url.rpartition(":")
        self._server: dict[str, str | int] = {"server.address": host, "server.port": int(port)}

    async def close(self) -> None:
        await self._client.close()

    async def ready(self) -> bool:
        try:
            return bool(await self._client.is_server_ready())
        except InferenceServerException:
            return False

    async def infer(self, model: str, inputs: list[InferInput], outputs: list[str], request_id: str | None) -> Any:
        """One ModelInfer call, retried with backoff while the failure is transient; returns the tritonclient
        result (no ``outputs``: all of them). Raises ``InferenceRejected`` for input the model refuses and
        ``InferenceUnavailable`` for everything else that stays failed."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=self.backoff_s),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return await self._infer_once(model, inputs, outputs, request_id, number - 1)
        except (InferenceServerException, TimeoutError, OSError) as exc:
            if isinstance(exc, InferenceServerException) and _code(exc) == "INVALID_ARGUMENT":
                raise InferenceRejected(f"{model}: {exc.message()}") from exc
            raise InferenceUnavailable(f"{model} failed after {number} attempts: {exc}") from exc
        raise AssertionError("tenacity either returns or raises")

    async def _infer_once(
        self, model: str, inputs: list[InferInput], outputs: list[str], request_id: str | None, attempt: int
    ) -> Any:
        with tracer().start_as_current_span(
            "inference.GRPCInferenceService/ModelInfer",
            kind=SpanKind.CLIENT,
            attributes={
                "rpc.system": "grpc",
                "rpc.service": "inference.GRPCInferenceService",
                "rpc.method": "ModelInfer",
                "triton.model.name": model,
                "triton.attempt": attempt,
                **self._server,
                **({REQUEST_ID_ATTRIBUTE: request_id} if request_id else {}),
            },
        ) as span:
            started = time.perf_counter()
            try:
                result = await self._client.infer(
                    model,
                    inputs,
                    outputs=[InferRequestedOutput(name) for name in outputs] or None,
                    request_id=request_id or "",
                    headers={k: v.decode() for k, v in headers_with_context().items()},
                    client_timeout=self.timeout_s,
                )
            except (InferenceServerException, TimeoutError, OSError) as exc:
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                metrics.triton_call(model, time.perf_counter() - started, _error_code(exc))
                raise
            metrics.triton_call(model, time.perf_counter() - started, None)
            span.set_attribute("triton.model.version", result.get_response().model_version)
            return result

    async def generate(
        self, prompt: str, seed: int, request_id: str, reference: bytes | None, reference_scale: float
    ) -> GeneratedImage:
        """The image for ``prompt`` and ``seed``, conditioned on the encoded ``reference`` image when given."""
        values: tuple[bytes | int | float, ...] = (
            prompt.encode(),
            seed,
            reference or b"",
            reference_scale if reference else 0.0,
        )
        result = await self.infer(
            GENERATOR.name,
            [batch_input(tensor, [value]) for tensor, value in zip(GENERATOR.inputs, values, strict=True)],
            [output.name for output in GENERATOR.outputs],
            request_id,
        )
        metadata = json.loads(result.as_numpy("METADATA")[0][0])
        version = result.get_response().model_version
        return GeneratedImage(
            png=bytes(result.as_numpy("IMAGE")[0][0]),
            generator=GeneratorInfo(
                model=GENERATOR.name,
                version=version,
                weights=metadata["weights"],
                random_weights=metadata["random_weights"],
                reference_scale=reference_scale if reference else None,
            ),
        )

    async def watermark_embed(self, image: bytes, payload: bytes, request_id: str | None) -> tuple[str, bytes]:
        """The model version and the image (PNG) with ``payload`` (8 bytes) embedded."""
        result = await self.infer(
            WATERMARK_EMBED.name,
            [
                batch_input(tensor, [value])
                for tensor, value in zip(WATERMARK_EMBED.inputs, (image, payload), strict=True)
            ],
            [],
            request_id,
        )
        return result.as_numpy("MODEL_VERSION")[0][0].decode(), bytes(result.as_numpy("IMAGE")[0][0])

    async def watermark_decode(self, image: bytes, request_id: str | None) -> bytes | None:
        """The payload read from ``image``, or None when no watermark was detected."""
        result = await self.infer(
            WATERMARK_DECODE.name, [batch_input(WATERMARK_DECODE.inputs[0], [image])], [], request_id
        )
        detected = bool(result.as_numpy("DETECTED")[0][0])
        return bytes(result.as_numpy("PAYLOAD")[0][0]) if detected else None

    async def detect(self, model: str, image: bytes, request_id: str | None) -> tuple[str, list[Finding]]:
        """The version of ``model`` and everything it reports about ``image`` (one encoded image)."""
        return await self._detections(SAFETY_MODELS[model], image, request_id)

    async def prompt_pii(self, prompt: str, request_id: str | None) -> tuple[str, list[Finding]]:
        """PII entities in a prompt text, each with the character span it covers."""
        return await self._detections(PROMPT_PII, prompt.encode(), request_id)

    async def _detections(self, model: SafetyModel, data: bytes, request_id: str | None) -> tuple[str, list[Finding]]:
        result = await self.infer(model.name, [batch_input(model.input, [data])], [], request_id)
        outputs = {output.name: result.as_numpy(output.name) for output in result.get_response().outputs}
        version, detections = decode_detections(outputs)
        findings = []
        for detection in detections:
            span = detection.extras.get("SPANS")
            findings.append(
                Finding(
                    kind=model.kind,
                    label=detection.label,
                    score=detection.score,
                    box=detection.box,
                    span=(int(span[0]), int(span[1])) if span is not None else None,
                    model=model.name,
                    model_version=version,
                    detail={name.lower(): float(value) for name, value in detection.extras.items() if value.ndim == 0},
                )
            )
        return version, findings

    async def scan(self, image: bytes, request_id: str | None, models: Sequence[str] = tuple(SAFETY_MODELS)) -> Scan:
        """The safety ``models`` (all by default) on one image, all requests in flight at once."""
        answers = await asyncio.gather(*(self.detect(model, image, request_id) for model in models))
        return Scan(
            model_versions={model: version for model, (version, _) in zip(models, answers, strict=True)},
            detections=[finding for _, findings in answers for finding in findings],
        )
