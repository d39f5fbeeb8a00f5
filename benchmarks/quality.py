"""Quality of the safety models on labelled sets the project generates (benchmarks/datasets.py).

    .venv/bin/python -m benchmarks.quality            # full run, a few minutes on 2 cores
    .venv/bin/python -m benchmarks.quality --quick    # smaller sets
    .venv/bin/python -m benchmarks.quality --parts style   # one detector again, the others' figures kept

Runs the models in process (the Triton adapters call the same code) and writes
benchmarks/results/quality.json plus a Markdown summary to stdout. Thresholds are the defaults of
streams.config.Settings, so the figures describe the shipped configuration.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
from datetime import datetime
from typing import Any

import numpy as np
from PIL import Image

from benchmarks.datasets import PHOTOS, STYLES, photo, protected_transforms
from benchmarks.pii_development import development_set
from benchmarks.pii_evaluation import ENTITIES as PII_ENTITIES
from benchmarks.pii_evaluation import EVALUATION_IMAGES, evaluation_set
from benchmarks.pii_quality import markdown as pii_markdown
from benchmarks.pii_quality import measure as pii_measure
from modstream_models.ocr import OCR_ENGINES
from streams.config import Settings
from streams.policy import DEFAULT_POLICY, load_policy
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "quality.json"
PARTS = ("pii", "faces", "protected", "style")


def log(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def threshold(rule_id: str) -> float:
    """The default policy's threshold of a rule: the benchmark measures what the shipped policy does."""
    (rule,) = [rule for rule in load_policy(DEFAULT_POLICY).rules.rules if rule.id == rule_id]
    return rule.min_score


MAX_DISTANCE = round(256 * (1 - threshold("output-protected-image")))  # protected score = 1 - distance/256


def _pii_detectors(settings: Settings, engines: list[str]) -> dict[str, Any]:
    """The PII detector with each OCR engine, and presidio-image-redactor as it comes as the baseline."""
    from modstream_models.pii import PiiDetector  # first: it keeps tldextract off the network

    from benchmarks.pii_quality import PresidioDefaults  # isort: skip

    spacy_model = settings.pii_spacy_model or None
    detectors: dict[str, Any] = {engine: PiiDetector(spacy_model=spacy_model, ocr=engine) for engine in engines}
    detectors["presidio-defaults"] = PresidioDefaults(spacy_model)
    return detectors


def pii_quality(settings: Settings, engines: list[str], development: int, evaluation: int) -> dict[str, Any]:
    """Each detector on the development set (what the tuning looks at) and on the evaluation set (only reported)."""
    detectors = _pii_detectors(settings, engines)
    sets = {"development": development_set(development), "evaluation": evaluation_set(evaluation)}
    min_score = threshold("image-pii")
    results: dict[str, Any] = {"entities": list(PII_ENTITIES), "min_score": min_score}
    for set_name, images in sets.items():
        results[set_name] = {}
        for name, detector in detectors.items():
            log(f"PII {set_name} set, {name}")
            measured = pii_measure(detector, images, PII_ENTITIES, min_score, lambda m: log(f"  {m}"))
            results[set_name][name] = {"model_version": detector.version, **measured}
    return results


def face_quality(settings: Settings) -> dict[str, Any]:
    from modstream_models.faces import FaceDetector

    detector = FaceDetector()
    astronaut = photo("astronaut")
    face_box = (180, 60, 270, 175)
    rng = random.Random(0)
    cases: list[tuple[Image.Image, int]] = []
    for scale in (0.25, 0.35, 0.5, 0.75, 1.0, 1.5):
        cases.append((astronaut.resize((int(512 * scale), int(512 * scale))), 1))
    for _ in range(24):  # crops that hold the whole face, and crops that hold none of it
        side = rng.randint(200, 400)
        left = rng.randint(max(0, face_box[2] - side), min(face_box[0], 512 - side))
        top = rng.randint(max(0, face_box[3] - side), min(face_box[1], 512 - side))
        cases.append((astronaut.crop((left, top, left + side, top + side)), 1))
    cases.append((astronaut.crop((0, 250, 512, 512)), 0))
    cases.append((astronaut.crop((300, 180, 512, 512)), 0))
    for name in PHOTOS:
        if name != "astronaut":
            cases.append((photo(name), 0))
    true_positive = false_positive = missed = 0
    for image, faces in cases:
        (detections,) = detector.detect([image])
        counted = sum(d.score >= threshold("output-face") for d in detections)
        true_positive += min(counted, faces)
        false_positive += max(counted - faces, 0)
        missed += max(faces - counted, 0)
    return {
        "images": len(cases),
        "faces": true_positive + missed,
        "recall": round(true_positive / (true_positive + missed), 3),
        "precision": round(true_positive / max(true_positive + false_positive, 1), 3),
        "model_version": detector.version,
    }


def _rate_at_fpr(positive: np.ndarray, negative: np.ndarray, fpr: float, higher_is_match: bool) -> dict[str, float]:
    """True-positive rate at the loosest threshold whose false-positive rate is at most ``fpr``."""
    sign = 1 if higher_is_match else -1
    pos, neg = sign * positive, sign * negative
    candidates = np.unique(np.concatenate([pos, neg]))
    best = {"threshold": float("nan"), "tpr": 0.0, "fpr": 0.0}
    for threshold in candidates:
        false_rate = float((neg >= threshold).mean())
        if false_rate <= fpr:
            rate = float((pos >= threshold).mean())
            if rate > best["tpr"] or (rate == best["tpr"] and np.isnan(best["threshold"])):
                best = {"threshold": float(sign * threshold), "tpr": round(rate, 3), "fpr": round(false_rate, 4)}
    return best


def protected_quality(settings: Settings, tmp: Any) -> dict[str, Any]:
    from modstream_models.protected import ProtectedBank, ProtectedMatcher

    usable = [name for name in PHOTOS if name not in {"camera", "moon", "page", "text"}]  # no near-grey twins
    banked, unrelated = usable[::2], usable[1::2]
    bank = ProtectedBank(tmp / "bank.json")
    ids = {name: bank.add(photo(name), name).id for name in banked}
    matcher = ProtectedMatcher(tmp / "bank.json", top_k=1)
    per_transform: dict[str, Any] = {}
    positives, negatives = [], []
    for transform_name, transform in protected_transforms().items():
        own = []
        for name in banked:
            (best,) = matcher.detect([transform(photo(name))])
            own.append(float(best[0].extras["DISTANCES"]) if best[0].label == ids[name] else 256.0)
        other = [float(matcher.detect([transform(photo(name))])[0][0].extras["DISTANCES"]) for name in unrelated]
        for name in unrelated:  # unrelated crops at several scales add negatives
            image = photo(name)
            for side in (0.5, 0.7):
                width, height = int(image.width * side), int(image.height * side)
                other.append(
                    float(matcher.detect([transform(image.crop((0, 0, width, height)))])[0][0].extras["DISTANCES"])
                )
        positives += own
        negatives += other
        per_transform[transform_name] = {
            "tpr_at_default_threshold": round(float(np.mean(np.array(own) <= MAX_DISTANCE)), 3),
            "max_distance_own": max(own),
            "min_distance_unrelated": min(other),
        }
    pos, neg = np.array(positives), np.array(negatives)
    return {
        "bank_entries": len(banked),
        "positives": len(pos),
        "negatives": len(neg),
        "default_max_distance": MAX_DISTANCE,
        "tpr_at_default": round(float((pos <= MAX_DISTANCE).mean()), 3),
        "fpr_at_default": round(float((neg <= MAX_DISTANCE).mean()), 4),
        "at_fpr_0.01": _rate_at_fpr(pos, neg, 0.01, higher_is_match=False),
        "per_transform": per_transform,
        "model_version": matcher.version,
    }


def style_quality(settings: Settings, tmp: Any) -> dict[str, Any]:
    from modstream_models.style import GramStyleEmbedder, StyleMatcher, default_background

    embedder = GramStyleEmbedder()
    references, queries = default_background(count=8, seed=101), default_background(count=30, seed=202)
    for style, render in STYLES.items():
        folder = tmp / "galleries" / style
        folder.mkdir(parents=True)
        for index, image in enumerate(references):
            render(image).save(folder / f"{index}.png")
    matcher = StyleMatcher(tmp / "galleries", embedder, top_k=len(STYLES))
    per_style: dict[str, Any] = {}
    all_pos, all_neg = [], []
    plain_scores: dict[str, list[float]] = {style: [] for style in STYLES}
    for found in matcher.detect(queries):
        for detection in found:
            plain_scores[detection.label].append(detection.score)
    styled_scores = {style: matcher.detect([render(q) for q in queries]) for style, render in STYLES.items()}
    for style in STYLES:
        positive = [d.score for found in styled_scores[style] for d in found if d.label == style]
        negative = plain_scores[style] + [
            d.score
            for other, results in styled_scores.items()
            if other != style
            for found in results
            for d in found
            if d.label == style
        ]
        all_pos += positive
        all_neg += negative
        per_style[style] = {
            "tpr_at_default_z": round(float(np.mean(np.array(positive) >= threshold("image-protected-style"))), 3),
            "fpr_at_default_z": round(float(np.mean(np.array(negative) >= threshold("image-protected-style"))), 3),
            "at_fpr_0.01": _rate_at_fpr(np.array(positive), np.array(negative), 0.01, higher_is_match=True),
        }
    pos, neg = np.array(all_pos), np.array(all_neg)
    return {
        "galleries": len(STYLES),
        "references_per_gallery": len(references),
        "positives": len(pos),
        "negatives": len(neg),
        "default_min_z": threshold("image-protected-style"),
        "tpr_at_default": round(float((pos >= threshold("image-protected-style")).mean()), 3),
        "fpr_at_default": round(float((neg >= threshold("image-protected-style")).mean()), 4),
        "at_fpr_0.01": _rate_at_fpr(pos, neg, 0.01, higher_is_match=True),
        "per_style": per_style,
        "model_version": matcher.version,
    }


def _faces_row(faces: dict[str, Any]) -> str:
    return (
        f"| Faces (MTCNN) | {faces['images']} crops/rescales/photos | "
        f"recall {faces['recall']}, precision {faces['precision']} |"
    )


def _protected_row(protected: dict[str, Any]) -> str:
    at = protected["at_fpr_0.01"]
    return (
        f"| Protected match (PDQ) | {protected['positives']} copies / {protected['negatives']} unrelated | "
        f"TPR {at['tpr']} at FPR {at['fpr']} (distance <= {at['threshold']}); "
        f"default <= {protected['default_max_distance']}: "
        f"TPR {protected['tpr_at_default']}, FPR {protected['fpr_at_default']} |"
    )


def _style_row(style: dict[str, Any]) -> str:
    at = style["at_fpr_0.01"]
    return (
        f"| Style (Gram, calibrated) | {style['positives']} styled / {style['negatives']} other | "
        f"TPR {at['tpr']} at FPR {at['fpr']} (z >= {at['threshold']:.2f}); default z >= {style['default_min_z']}: "
        f"TPR {style['tpr_at_default']}, FPR {style['fpr_at_default']} |"
    )


TABLE_ROWS = {"faces": _faces_row, "protected": _protected_row, "style": _style_row}


def markdown(results: dict[str, Any]) -> str:
    """The README's tables of the parts ``results`` holds (a run with ``--parts`` to a new ``--output`` has some)."""
    rows = ["| Detector | Set | Result |", "|---|---|---|"]
    rows += [row(results[part]) for part, row in TABLE_ROWS.items() if part in results]
    pii = results.get("pii")
    return "\n".join(rows) + ("\n\n" + pii_markdown(pii["evaluation"], pii["entities"]) if pii else "")


def main(argv: list[str] | None = None) -> int:
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sets (for a quick look, not for the README)")
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument(
        "--pii-ocr",
        default=",".join(OCR_ENGINES),
        help=f"OCR engines to measure, comma-separated ({', '.join(OCR_ENGINES)})",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"detectors to measure, comma-separated ({', '.join(PARTS)}); the others keep their figures in --output",
    )
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts {sorted(unknown)}: choose from {', '.join(PARTS)}")
    settings = Settings()
    output = Path(args.output)
    kept = json.loads(output.read_text()) if output.is_file() and set(parts) != set(PARTS) else {}
    results: dict[str, Any] = kept | {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        development, evaluation = (20, 40) if args.quick else (100, EVALUATION_IMAGES)
        measures = {
            "pii": lambda: pii_quality(settings, args.pii_ocr.split(","), development, evaluation),
            "faces": lambda: face_quality(settings),
            "protected": lambda: protected_quality(settings, tmp),
            "style": lambda: style_quality(settings, tmp),
        }
        for part in parts:
            log(part)
            results[part] = measures[part]() | {"measured_at": results["date"]}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
