"""PII detection quality: recall per entity type and per condition, false positives on negatives, time.

A truth entity is found when a detection of its type, scoring at least the default policy's
``image-pii`` threshold, has its box centre inside the entity's box (Presidio reports one box per word,
so one word of a multi-word value is enough). Every reported box of an evaluated type that lies on no
entity of that type counts against precision; on a negative image any such box makes the image a false
positive.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PIL import Image

from benchmarks.text_images import Box, TextImage
from modstream_models.detections import Detection

CONDITIONS = ("size", "angle", "background", "style")


class ImageDetector(Protocol):
    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]: ...


class PresidioDefaults:
    """presidio-image-redactor as it comes: Tesseract on the image as given, Presidio's recognizers, no word
    normalisation. Only the spaCy model is ours: its default (en_core_web_lg) cannot be installed offline."""

    def __init__(self, spacy_model: str | None) -> None:
        from presidio_image_redactor import ImageAnalyzerEngine

        from modstream_models.pii import analyzer_engine

        analyzer, language_model = analyzer_engine(spacy_model)
        self.engine = ImageAnalyzerEngine(analyzer_engine=analyzer)
        self.version = f"presidio-image-redactor defaults, {language_model}"

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        return [
            [
                Detection(r.entity_type, float(r.score), (r.left, r.top, r.left + r.width, r.top + r.height))
                for r in self.engine.analyze(image.convert("RGB"))
            ]
            for image in images
        ]


def reported(detections: Sequence[Detection], entities: Sequence[str], min_score: float) -> list[Detection]:
    """The detections that count: boxes of an evaluated type scoring at least ``min_score``."""
    return [d for d in detections if d.label in entities and d.score >= min_score and d.box]


def _centre_inside(box: Box, area: Box, slack: float = 4) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] - slack <= cx <= area[2] + slack and area[1] - slack <= cy <= area[3] + slack


def _rate(counts: list[int]) -> float | None:
    return round(counts[0] / counts[1], 3) if counts[1] else None


def measure(
    detector: ImageDetector, images: Sequence[TextImage], entities: Sequence[str], min_score: float,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:  # fmt: skip
    """The detector's quality on ``images``, counting detections of ``entities`` scoring at least ``min_score``."""
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # entity -> [found, total]
    by_condition: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])  # (condition, value, entity)
    precision: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # entity -> [boxes on an entity, boxes]
    false_positive_images, negatives, seconds = 0, 0, []
    for index, sample in enumerate(images):
        started = time.perf_counter()
        (found,) = detector.detect([sample.image])
        seconds.append(time.perf_counter() - started)
        found = reported(found, entities, min_score)
        for truth in sample.truth:
            hit = any(d.label == truth.label and _centre_inside(d.box, truth.box) for d in found)  # type: ignore[arg-type]
            recall[truth.label][0] += hit
            recall[truth.label][1] += 1
            for condition in CONDITIONS:
                counts = by_condition[(condition, sample.conditions.get(condition, "-"), truth.label)]
                counts[0] += hit
                counts[1] += 1
        for detection in found:
            boxes = [t.box for t in sample.truth if t.label == detection.label]
            precision[detection.label][0] += any(_centre_inside(detection.box, box) for box in boxes)  # type: ignore[arg-type]
            precision[detection.label][1] += 1
        negatives += sample.negative
        false_positive_images += sample.negative and bool(found)
        if index % 20 == 19:
            progress(f"{index + 1}/{len(images)}")
    return {
        "images": len(images),
        "negative_images": negatives,
        "ms_per_image_p50": round(statistics.median(seconds) * 1000, 1),
        "ms_per_image_mean": round(statistics.fmean(seconds) * 1000, 1),
        "recall": {entity: _rate(recall[entity]) for entity in entities},
        "entities": {entity: recall[entity][1] for entity in entities},
        "precision": {entity: _rate(precision[entity]) for entity in entities},
        "false_positive_negative_images": _rate([false_positive_images, negatives]),
        "recall_by_condition": _by_condition(by_condition),
    }


def _by_condition(counts: dict[tuple[str, str, str], list[int]]) -> dict[str, dict[str, dict[str, Any]]]:
    """condition -> value -> {"all": recall over every entity type, entity: recall of that type}."""
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (condition, value, entity), (found, total) in sorted(counts.items()):
        table[condition][value][entity] = _rate([found, total])
        totals[(condition, value)][0] += found
        totals[(condition, value)][1] += total
    for (condition, value), pair in totals.items():
        table[condition][value] = {"all": _rate(pair), "entities": pair[1], **table[condition][value]}
    return {condition: dict(values) for condition, values in table.items()}


def markdown(results: dict[str, dict[str, Any]], entities: Sequence[str]) -> str:
    """Two tables: per entity type, then per condition value, one column per detector."""
    names = list(results)
    first = results[names[0]]
    rows = [
        f"PII evaluation set: {first['images']} images, {first['negative_images']} of them negatives.",
        "",
        "| Entity (count) | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for entity in entities:
        cells = [f"{r['recall'][entity]} (precision {r['precision'][entity]})" for r in results.values()]
        rows.append(f"| {entity} ({first['entities'][entity]}) | " + " | ".join(cells) + " |")
    rows.append(
        "| negatives with a false positive | "
        + " | ".join(str(r["false_positive_negative_images"]) for r in results.values())
        + " |"
    )
    rows.append("| ms per image, p50 | " + " | ".join(str(r["ms_per_image_p50"]) for r in results.values()) + " |")
    rows += ["", "| Condition (entities) | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for condition, values in first["recall_by_condition"].items():
        for value, cell in values.items():
            recalls = [str(r["recall_by_condition"][condition][value]["all"]) for r in results.values()]
            rows.append(f"| {condition} {value} ({cell['entities']}) | " + " | ".join(recalls) + " |")
    return "\n".join(rows)
