"""Every model modstream serves on Triton, in one place: names, tensor contracts and, for the safety models,
the kind of finding each reports, whether the redact action can act on it and its section in scan reports.

The Triton model repository (``triton_models/<name>/config.pbtxt``), the workers' Triton client, the policy
schema, redaction, scan reports, review previews and stats all read this module; a test checks that it and
the model repository agree. Plain Python (no NumPy, no torch), so that every process can import it.

Adding a safety model: one ``SafetyModel`` entry below (and a ``FindingKind`` if it reports a new kind), one
Triton adapter in ``triton_models/<name>/``, one module in ``modstream_models/``, and their tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    """What a finding is about. Image models and prompt checks each report one kind."""

    FACE = "face"
    PII = "pii"
    NUDITY = "nudity"
    PROTECTED_MATCH = "protected_match"
    STYLE = "style"
    PROTECTED_NAME = "protected_name"  # a listed name in a prompt (policy lists, not a Triton model)
    PROHIBITED = "prohibited"  # a prohibited term in a prompt (policy lists, not a Triton model)


# Kinds that raise a copyright alert (counted by `modstream stats`).
COPYRIGHT_KINDS = frozenset({FindingKind.PROTECTED_MATCH, FindingKind.STYLE, FindingKind.PROTECTED_NAME})
# Kinds found in prompts by the policy's term lists rather than by a model.
TERM_KINDS = (FindingKind.PROTECTED_NAME, FindingKind.PROHIBITED)


@dataclass(frozen=True)
class Tensor:
    """One input or output of a Triton model: ``datatype`` as on the wire (BYTES, FP32, ...), ``dims`` without
    the batch dimension."""

    name: str
    datatype: str
    dims: tuple[int, ...]

    @property
    def config_type(self) -> str:
        """The type as ``config.pbtxt`` writes it (TYPE_STRING for BYTES)."""
        return "TYPE_STRING" if self.datatype == "BYTES" else f"TYPE_{self.datatype}"


def _bytes(name: str) -> Tensor:
    return Tensor(name, "BYTES", (1,))


# What every detector answers (see ``modstream_models.detections``), padded to the batch's largest count.
DETECTION_OUTPUTS = (
    Tensor("LABELS", "BYTES", (-1,)),
    Tensor("SCORES", "FP32", (-1,)),
    Tensor("BOXES", "FP32", (-1, 4)),
    _bytes("MODEL_VERSION"),
)


class Redaction(StrEnum):
    BLUR = "blur"  # image boxes blurred (faces)
    FILL = "fill"  # image boxes filled (text)
    REPLACE = "replace"  # prompt spans replaced by the entity type


@dataclass(frozen=True)
class TritonModel:
    name: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    uses_gpu: bool = False  # a GPU speeds it up: its instances go there when the device is a GPU


@dataclass(frozen=True, kw_only=True)
class SafetyModel(TritonModel):
    """A detector: one input (an encoded image, or a prompt's text) and detections of one ``kind``."""

    kind: FindingKind
    redaction: Redaction | None  # how the redact action covers its findings; None: it cannot
    section: str  # its key in `modstream scan` reports
    reads_text: bool  # judges prompt text rather than images

    @property
    def input(self) -> Tensor:
        return self.inputs[0]

    @property
    def redactable(self) -> bool:
        return self.redaction is not None


def _detector(
    name: str,
    kind: FindingKind,
    section: str,
    extras: tuple[Tensor, ...] = (),
    redaction: Redaction | None = None,
    reads_text: bool = False,
    uses_gpu: bool = False,
) -> SafetyModel:
    source = _bytes("TEXT") if reads_text else _bytes("IMAGE")
    outputs = DETECTION_OUTPUTS + extras
    return SafetyModel(
        name, (source,), outputs, uses_gpu, kind=kind, redaction=redaction, section=section, reads_text=reads_text
    )


FACE_DETECTOR = _detector(
    "face_detector",
    FindingKind.FACE,
    "faces",
    (Tensor("LANDMARKS", "FP32", (-1, 5, 2)),),
    Redaction.BLUR,
    uses_gpu=True,
)
# Tesseract, PDQ and the spaCy pipeline run on the CPU whatever the device.
PII_DETECTOR = _detector("pii_detector", FindingKind.PII, "pii", redaction=Redaction.FILL)
NUDITY_DETECTOR = _detector("nudity_detector", FindingKind.NUDITY, "nudity", uses_gpu=True)
PROTECTED_MATCH = _detector(
    "protected_match", FindingKind.PROTECTED_MATCH, "protected_matches", (Tensor("DISTANCES", "FP32", (-1,)),)
)
STYLE_SIMILARITY = _detector(
    "style_similarity", FindingKind.STYLE, "style", (Tensor("SIMILARITIES", "FP32", (-1,)),), uses_gpu=True
)
PROMPT_PII = _detector(
    "prompt_pii", FindingKind.PII, "prompt_pii", (Tensor("SPANS", "FP32", (-1, 2)),), Redaction.REPLACE, reads_text=True
)

# The image safety models, in the order scan reports list them.
IMAGE_SAFETY_MODELS = (FACE_DETECTOR, PII_DETECTOR, NUDITY_DETECTOR, PROTECTED_MATCH, STYLE_SIMILARITY)
SAFETY_MODELS = {model.name: model for model in (*IMAGE_SAFETY_MODELS, PROMPT_PII)}

# REFERENCE is an encoded image, or empty bytes for none; REFERENCE_SCALE its IP-Adapter weight (0 to 1).
GENERATOR = TritonModel(
    "generator",
    (_bytes("PROMPT"), Tensor("SEED", "INT64", (1,)), _bytes("REFERENCE"), Tensor("REFERENCE_SCALE", "FP32", (1,))),
    (_bytes("IMAGE"), _bytes("METADATA")),
    uses_gpu=True,
)
WATERMARK_EMBED = TritonModel(
    "watermark_embed", (_bytes("IMAGE"), _bytes("PAYLOAD")), (_bytes("MODEL_VERSION"), _bytes("IMAGE")), uses_gpu=True
)
WATERMARK_DECODE = TritonModel(
    "watermark_decode",
    (_bytes("IMAGE"),),
    (
        _bytes("MODEL_VERSION"),
        _bytes("PAYLOAD"),
        Tensor("DETECTED", "BOOL", (1,)),
        Tensor("BIT_CONFIDENCE", "FP32", (1,)),
        Tensor("CORRECTED_BITS", "INT32", (1,)),
    ),
    uses_gpu=True,
)

TRITON_MODELS = {model.name: model for model in (*SAFETY_MODELS.values(), GENERATOR, WATERMARK_EMBED, WATERMARK_DECODE)}


def redactable_kinds(text: bool) -> frozenset[FindingKind]:
    """Kinds that the redact action covers in prompts (``text``) or in images."""
    return frozenset(m.kind for m in SAFETY_MODELS.values() if m.redactable and m.reads_text == text)


def image_redaction(kind: FindingKind) -> Redaction | None:
    """How the image model reporting ``kind`` has its boxes redacted (None: it cannot be)."""
    return next((m.redaction for m in IMAGE_SAFETY_MODELS if m.kind is kind), None)
