"""False positives on the development set's negatives, each with the text OCR read: what the PII rules are tuned on.

    .venv/bin/python -m benchmarks.pii_negatives --seeds 43,44,45        # 100 negatives a seed, about 3 minutes
    .venv/bin/python -m benchmarks.pii_negatives --seeds 7 --negatives 20 --ocr tesseract

Only the development set (``benchmarks.pii_development``, whose every fifth image is a negative of look-alike rows):
the evaluation set is never looked at this way. A negative counts as a false positive as in the quality benchmark:
a detection of an evaluated type scoring at least the default policy's ``image-pii`` threshold. A new rule is
checked on seeds it was not made on.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerResult

from benchmarks.pii_development import ENTITIES, NEGATIVE_EVERY, development_set
from benchmarks.pii_quality import reported
from benchmarks.quality import threshold
from modstream_models.ocr import OCR_ENGINES


class TextRecorder:
    """Presidio's analyzer, keeping the text and results of its last call (what OCR read and what was found)."""

    def __init__(self, analyzer: AnalyzerEngine) -> None:
        self.analyzer = analyzer
        self.text = ""
        self.results: list[RecognizerResult] = []

    def analyze(self, text: str, **kwargs: Any) -> list[RecognizerResult]:
        self.text, self.results = text, self.analyzer.analyze(text=text, **kwargs)
        return self.results


@dataclass(frozen=True)
class FalsePositive:
    seed: int
    index: int  # the image's index in development_set(..., seed)
    conditions: dict[str, str]
    found: list[tuple[str, str, float]]  # entity type, the text it covers, score
    text: str  # all the text OCR read


def false_positives(seeds: list[int], negatives: int, ocr: str) -> tuple[list[FalsePositive], int]:
    """The negatives with a false positive among ``negatives`` of each seed, and how many negatives were read."""
    from modstream_models.pii import PiiDetector

    detector = PiiDetector(ocr=ocr)
    recorder = TextRecorder(detector.engine.analyzer_engine)
    detector.engine.analyzer_engine = recorder  # type: ignore[assignment]
    min_score, found, read = threshold("image-pii"), [], 0
    for seed in seeds:
        for index, sample in enumerate(development_set(negatives * NEGATIVE_EVERY, seed)):
            if not sample.negative:
                continue
            read += 1
            (detections,) = detector.detect([sample.image])
            if reported(detections, ENTITIES, min_score):
                spans = [
                    (r.entity_type, recorder.text[r.start : r.end], round(r.score, 2))
                    for r in recorder.results
                    if r.entity_type in ENTITIES and r.score >= min_score
                ]
                found.append(FalsePositive(seed, index, sample.conditions, spans, recorder.text))
                print(f"seed {seed} #{index} {spans}\n    {recorder.text!r}", file=sys.stderr, flush=True)
    return found, read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="43,44,45", help="development-set seeds, comma-separated")
    parser.add_argument("--negatives", type=int, default=100, help="negatives read per seed")
    parser.add_argument("--ocr", choices=OCR_ENGINES, default="rapidocr")
    parser.add_argument("--json", action="store_true", help="print the false positives as JSON")
    args = parser.parse_args(argv)
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds takes whole numbers separated by commas, not {args.seeds!r}")
    found, read = false_positives(seeds, args.negatives, args.ocr)
    if args.json:
        print(json.dumps({"negatives": read, "false_positives": [asdict(f) for f in found]}, indent=2))
    else:
        print(f"{len(found)} of {read} development negatives (seeds {args.seeds}, {args.ocr}) with a false positive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
