"""The project's watermark beside invisible-watermark's dwtDct, dwtDctSvd and rivaGan, on held-out photos.

    .venv/bin/python -m benchmarks.watermark                      # shipped weights, full run
    .venv/bin/python -m benchmarks.watermark --checkpoint DIR     # a training run's last checkpoint
    .venv/bin/python -m benchmarks.watermark --images 8 --fpr-crops 500 --fpr-search-images 60 \
        --fpr-crop-search-images 10                               # quick
    .venv/bin/python -m benchmarks.watermark --sections methods --methods modstream,modstream-v1
        # the watermark as shipped and version 1 again; the baselines and the false positives kept from the last run
    .venv/bin/python -m benchmarks.watermark --photos more --sections methods
        # every method on crops of three more photos, to benchmarks/results/watermark-more-photos.json
    .venv/bin/python -m benchmarks.watermark --photos small --sections methods --methods modstream,modstream-v1
        # crops under 384 px on the shorter side (the stack marks them with version 4), to watermark-small-images.json

Every method embeds a random message into the same crops of photos never used in training
(modstream_models/watermark/data.py), then each image is attacked for real (Pillow's JPEG, resize,
blur, ...; not the training approximations) and decoded. Reported per method: PSNR and SSIM of the
watermarked image, embed and decode time, and per attack the bit accuracy and the detection rate at
a false-positive rate of 1e-6. For the baselines, which have no error correction, "detected" means
at least as many bits match as a random read reaches with probability 1e-6 (binomial tail); for
modstream it means BCH decoding succeeded and gave back the embedded payload (the payload rate).
Unwatermarked photos, generated images and their JPEG and resized copies measure modstream's false
positives, through the reader's searches. The worst image's change, amplified, is written beside the
results for a person to look at. Results: benchmarks/results/watermark.json.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from benchmarks.photos import more_held_out_photos
from modstream_models.images import jpeg_round_trip
from modstream_models.watermark.data import as_tensor, generated_images, held_out_photos, training_photos
from modstream_models.watermark.model import (
    CURRENT_VERSION,
    MIN_PSNR,
    SEARCH_TRIES,
    SHIFT_MAX_ERRORS,
    VERSIONS,
    WORKING_SIZE,
    Embedder,
    Reader,
    Reading,
    Watermarker,
)
from modstream_models.watermark.payload import (
    CODE_BITS,
    DETECTION_MAX_ERRORS,
    PAYLOAD_BITS,
    encode_payload,
)  # fmt: skip
from modstream_models.watermark.train import CHECKPOINT
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "watermark.json"
GENERATED = REPO_ROOT / "var" / "benchmarks" / "generated"  # the tiny generator's images, made once
FPR = 1e-6
Array = np.ndarray


def log(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _pil(image: Array) -> Image.Image:
    return Image.fromarray(image)


def _jpeg(quality: int) -> Callable[[Array], Array]:
    def attack(image: Array) -> Array:
        return np.asarray(jpeg_round_trip(_pil(image), quality))

    return attack


def _resize(scale: int) -> Callable[[Array], Array]:
    def attack(image: Array) -> Array:
        h, w = image.shape[:2]
        small = _pil(image).resize((w * scale // 100, h * scale // 100), Image.Resampling.BICUBIC)
        return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))

    return attack


def _crop_70(image: Array) -> Array:
    """70 % of the area, at a position drawn from the image's size (the same for every method)."""
    h, w = image.shape[:2]
    side = math.sqrt(0.7)
    ch, cw = round(h * side), round(w * side)
    position = random.Random(h * 10007 + w)
    top, left = position.randint(0, h - ch), position.randint(0, w - cw)
    return image[top : top + ch, left : left + cw].copy()


def _rotate(degrees: float) -> Callable[[Array], Array]:
    def attack(image: Array) -> Array:
        return np.asarray(_pil(image).rotate(degrees, resample=Image.Resampling.BILINEAR))

    return attack


def _flip(image: Array) -> Array:
    return np.ascontiguousarray(image[:, ::-1])


def _scaled(image: Array, scale: float = 1.0, size: tuple[int, int] | None = None) -> Array:
    h, w = image.shape[:2]
    return np.asarray(_pil(image).resize(size or (round(w * scale), round(h * scale)), Image.Resampling.BICUBIC))


def _crop(image: Array, width: float, height: float, x: float, y: float) -> Array:
    """``width`` and ``height`` of the sides kept, the rest taken away ``x`` and ``y`` of it before the crop."""
    h, w = image.shape[:2]
    ch, cw = round(h * height), round(w * width)
    top, left = round((h - ch) * y), round((w - cw) * x)
    return image[top : top + ch, left : left + cw].copy()


def _noise(image: Array) -> Array:
    noisy = image.astype(np.float32) + np.random.default_rng(0).normal(0, 0.02 * 255, image.shape)
    return noisy.clip(0, 255).astype(np.uint8)


ATTACKS: dict[str, Callable[[Array], Array]] = {
    "none": lambda image: image,
    "jpeg90": _jpeg(90),
    "jpeg70": _jpeg(70),
    "jpeg50": _jpeg(50),
    "jpeg30": _jpeg(30),
    "noise_0.02": _noise,
    "blur_r1": lambda image: np.asarray(_pil(image).filter(ImageFilter.GaussianBlur(1))),
    "resize_50%": _resize(50),
    "resize_25%": _resize(25),
    "resize_15%": _resize(15),
    "crop_70%": _crop_70,
    "brightness_1.2": lambda image: np.asarray(ImageEnhance.Brightness(_pil(image)).enhance(1.2)),
    "contrast_1.3": lambda image: np.asarray(ImageEnhance.Contrast(_pil(image)).enhance(1.3)),
    "rotate_5": _rotate(5),
    "rotate_10": _rotate(10),
    "rotate_-10": _rotate(-10),
    "flip": _flip,
    "flip+rotate_5+jpeg60": lambda image: _jpeg(60)(_rotate(5)(_flip(image))),
    "rotate_10+resize_75%+jpeg60": lambda image: _jpeg(60)(_scaled(_rotate(10)(image), 0.75)),
    "crop_w100%_h50%": lambda image: _crop(image, 1.0, 0.5, 0.5, 0.5),
    "crop_w60%_h90%": lambda image: _crop(image, 0.6, 0.9, 0.3, 0.6),
    "crop_w100%_h50%+jpeg60": lambda image: _jpeg(60)(_crop(image, 1.0, 0.5, 0.5, 0.5)),
    "crop_w60%_h90%+resize_75%": lambda image: _scaled(_crop(image, 0.6, 0.9, 0.3, 0.6), 0.75),
    "crop_80%+upscale": lambda image: _scaled(_crop(image, 0.8**0.5, 0.8**0.5, 0.7, 0.2), size=image.shape[1::-1]),
    "jpeg70+resize_75%+brightness_1.1": lambda image: np.asarray(
        ImageEnhance.Brightness(
            _pil(_jpeg(70)(image)).resize((image.shape[1] * 3 // 4, image.shape[0] * 3 // 4), Image.Resampling.BICUBIC)
        ).enhance(1.1)
    ),
}


def matches_needed(bits: int, fpr: float = FPR) -> int:
    """The fewest matching bits that a random read reaches with probability at most ``fpr``."""
    tail = 0.0
    for matches in range(bits, -1, -1):
        tail += math.comb(bits, matches) / 2**bits
        if tail > fpr:
            return matches + 1
    return 0


@dataclass
class Method:
    name: str
    bits: int
    embed: Callable[[Array, Array], Array]  # RGB image, message bits -> watermarked RGB image
    # RGB image -> the bits read, and the payload found (modstream's reader: by the bits' reliabilities too; None)
    read: Callable[[Array], tuple[Array, bytes | None]]


def modstream_method(watermarkers: list[Watermarker], name: str = "modstream") -> Method:
    """The watermark as the stack uses ``watermarkers`` (newest first): each image marked by the newest version that
    suits its size (model.Embedder), read by every version in turn (model.Reader, as ``verify`` reads)."""
    embedder, reader = Embedder(watermarkers), Reader(watermarkers)

    def embed(image: Array, bits: Array) -> Array:
        original = _pil(image)
        return np.asarray(embedder.version_for(original).embed(original, bits))

    def read(image: Array) -> tuple[Array, bytes | None]:
        reading = reader.read_payload(_pil(image))
        return reading.bits, reading.payload  # where the image as it is fails: the searches'

    return Method(name, CODE_BITS, embed, read)


def invisible_watermark_method(algorithm: str, bits: int) -> Method:
    from imwatermark import WatermarkDecoder, WatermarkEncoder

    if algorithm == "rivaGan":
        WatermarkEncoder.loadModel()

    def embed(image: Array, message: Array) -> Array:
        encoder = WatermarkEncoder()
        encoder.set_watermark("bits", [int(b) for b in message])
        bgr = np.ascontiguousarray(image[..., ::-1])
        return np.ascontiguousarray(encoder.encode(bgr, algorithm)[..., ::-1])

    def read(image: Array) -> tuple[Array, None]:
        bgr = np.ascontiguousarray(image[..., ::-1])
        if bgr.shape[0] * bgr.shape[1] < 256 * 256:  # the library refuses smaller images: nothing read
            return np.zeros(bits, dtype=np.uint8), None
        return np.asarray(WatermarkDecoder("bits", bits).decode(bgr, algorithm), dtype=np.uint8), None

    return Method(algorithm, bits, embed, read)


def load_watermarker(checkpoint: Path) -> Watermarker:
    """A training run's last checkpoint, as the next version."""
    state = torch.load(checkpoint / CHECKPOINT, map_location="cpu", weights_only=False)
    # a training run makes the next version, under the floors: its reader searches crops as that version's will
    described = f"training run {checkpoint} (step {state['step']})"
    return Watermarker.of({"min_psnr": MIN_PSNR, **state}, described, CURRENT_VERSION + 1)


def crops(
    photos: list[torch.Tensor], count: int, rng: random.Random, min_side: int = 256, max_height: int = 512
) -> list[Array]:
    """Crops of 256 to 512 pixels a side (the baselines need at least 256 x 256) from ``photos``."""
    out = []
    for _ in range(count):
        photo = (rng.choice(photos).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        h, w = photo.shape[:2]
        ch, cw = rng.randint(min_side, min(max_height, h)), rng.randint(min_side, min(512, w))
        top, left = rng.randint(0, h - ch), rng.randint(0, w - cw)
        out.append(np.ascontiguousarray(photo[top : top + ch, left : left + cw]))
    return out


def evaluate(method: Method, images: list[Array], rng: np.random.Generator, out: Path) -> dict[str, Any]:
    """The method's quality and per-attack results; for modstream, the least invisible image's change is
    written beside ``out``."""
    needed = matches_needed(method.bits)
    quality: dict[str, list[float]] = {"psnr": [], "ssim": [], "embed_ms": [], "decode_ms": [], "decode_crop_ms": []}
    per_attack: dict[str, dict[str, list[float]]] = {name: {"bit_accuracy": [], "detected": []} for name in ATTACKS}
    for index, image in enumerate(images):
        if index:
            log(f"{method.name}: {index}/{len(images)} images")
        if method.name.startswith("modstream"):
            payload = rng.integers(0, 256, PAYLOAD_BITS // 8, dtype=np.uint8).tobytes()
            message = encode_payload(payload)
        else:
            message = rng.integers(0, 2, method.bits, dtype=np.uint8)
        started = time.perf_counter()
        marked = method.embed(image, message)
        quality["embed_ms"].append((time.perf_counter() - started) * 1000)
        quality["psnr"].append(float(peak_signal_noise_ratio(image, marked)))
        quality["ssim"].append(float(structural_similarity(image, marked, channel_axis=2)))
        for name, attack in ATTACKS.items():
            started = time.perf_counter()
            read, found = method.read(attack(marked))
            elapsed_ms = (time.perf_counter() - started) * 1000
            if name == "none":
                quality["decode_ms"].append(elapsed_ms)
            elif name == "crop_70%":  # the crop search's time, where the image as it is gives nothing
                quality["decode_crop_ms"].append(elapsed_ms)
            per_attack[name]["bit_accuracy"].append(float((read == message).mean()))
            if method.name.startswith("modstream"):
                per_attack[name]["detected"].append(float(found == payload))
            else:
                per_attack[name]["detected"].append(float((read == message).sum() >= needed))
    worst = int(np.argmin(quality["psnr"]))
    if method.name.startswith("modstream"):
        version = "" if method.name == "modstream" else f"-{method.name}"  # an older version's beside the current's
        difference = out.with_name(f"{out.stem}{version}-worst-difference.png")
        write_difference(images[worst], method.embed(images[worst], encode_payload(bytes(8))), difference)
    return {
        "bits": method.bits,
        "detection": "BCH payload recovered" if method.name == "modstream" else f">= {needed}/{method.bits} bits",
        **{key: round(float(np.mean(values)), 4) for key, values in quality.items()},
        "psnr_min": round(min(quality["psnr"]), 2),
        "ssim_min": round(min(quality["ssim"]), 4),
        "worst_image": worst,
        "psnr_per_image": [round(value, 2) for value in quality["psnr"]],
        "ssim_per_image": [round(value, 4) for value in quality["ssim"]],
        "attacks": {
            name: {key: round(float(np.mean(values)), 4) for key, values in found.items()}
            for name, found in per_attack.items()
        },
    }


def write_difference(image: Array, marked: Array, path: Path, gain: float = 20) -> None:
    """The watermark's change to ``image``, amplified around mid-grey, for a person to look for a cast."""
    difference = (marked.astype(np.float32) - image.astype(np.float32)) * gain + 128
    _pil(np.concatenate([image, difference.clip(0, 255).astype(np.uint8)], axis=1)).save(path)


def unwatermarked_images(count: int, rng: random.Random) -> list[Image.Image]:
    """Photo crops (64-512 px, training and held-out photos), the tiny generator's images and crops of them,
    each also as JPEG 60 and at half its size: ``count`` in all."""
    photos = training_photos() + held_out_photos()
    generated = generated_images(GENERATED)
    bases = [_pil(crop) for crop in crops(photos, count // 3 - count // 12, rng, min_side=64)]
    bases += [_pil(crop) for crop in crops(generated, count // 12, rng, min_side=64)]
    variants = [image for base in bases for image in (base, _pil(_jpeg(60)(np.asarray(base))))]
    variants += [base.resize((max(64, base.width // 2), max(64, base.height // 2))) for base in bases]
    return variants[:count] + [_pil(crop) for crop in crops(photos, count - len(variants), rng, min_side=64)]


def false_positives(
    reader: Reader, count: int, searched: int, fully_searched: int, rng: random.Random
) -> dict[str, Any]:
    """Detections on unwatermarked images by every version ``verify`` tries: ``count`` crops read as they are;
    ``searched`` images (photos, generated, their JPEG and resized variants) through the turn search,
    ``fully_searched`` of them through the crop search as well (a few seconds each on 2 cores).

    Besides the detections (at most DETECTION_MAX_ERRORS corrections), readings that BCH could correct with
    more (up to t = 8) are counted: for coin-flip bits they come 250 times as often as a detection, so they
    test the coin-flip assumption behind the stated bound where detections are too rare to count.
    """
    as_is = sum(
        Reading.of(watermarker.read(_pil(crop))).detected
        for crop in crops(training_photos() + held_out_photos(), count, rng, min_side=64)
        for watermarker in reader.watermarkers
    )
    images = unwatermarked_images(searched, rng)
    readings = [
        reading for index, image in enumerate(images) for watermarker in reader.watermarkers
        for reading in watermarker.readings(image, crops=index < fully_searched)
    ]  # fmt: skip
    bits = np.stack([reading.bits for reading in readings])
    near = sum(not reading.detected and reading.corrected_bits > DETECTION_MAX_ERRORS for reading in readings)
    return {
        "unwatermarked_crops": count, "detections": as_is,
        "searched_images": searched, "fully_searched_images": fully_searched,
        "bch_decoded_readings": len(readings), "detections_with_search": sum(r.detected for r in readings),
        "readings_within_8_bits": near,
        "expected_within_8_bits_if_coin_flips": round(len(readings) * (WITHIN_8 - WITHIN_DETECTION), 3),
        "largest_bit_bias": round(float(np.abs(bits.mean(axis=0) - 0.5).max()), 4),
        "versions": [watermarker.version for watermarker in reader.watermarkers], "bound_per_reading": WITHIN_DETECTION,
        "bound_per_image": sum(bound_per_image(watermarker) for watermarker in reader.watermarkers),
    }  # fmt: skip


def within(errors: int) -> float:
    """The chance that coin-flip bits land within ``errors`` of one of the 2^64 codewords."""
    return sum(math.comb(CODE_BITS, k) for k in range(errors + 1)) / 2 ** (CODE_BITS - PAYLOAD_BITS)


WITHIN_DETECTION, WITHIN_8 = within(DETECTION_MAX_ERRORS), within(8)


def bound_per_image(watermarker: Watermarker) -> float:
    """The chance that ``watermarker``'s reader detects a payload in an image whose bits are coin flips: the sum over
    the readings it BCH-decodes of each one's chance (model.py's constants). The whole layout: the image as it is and
    the SEARCH_TRIES best turns and crops; the periodic one: as it is, every shift of the fold, as it is and mirrored,
    and every shift of the turn and scale search's one candidate."""
    if watermarker.layout != "periodic":
        return WITHIN_DETECTION * (1 + 2 * SEARCH_TRIES)
    readings = 2 * WORKING_SIZE**2  # every shift of a fold, as it is and mirrored
    return (
        WITHIN_DETECTION * (1 + 2 * 2 * SEARCH_TRIES)  # as it is; the two searches' most confident shifts
        + within(SHIFT_MAX_ERRORS) * 2 * (readings - 2 * SEARCH_TRIES)  # every other shift of both
    )


def markdown(results: dict[str, Any]) -> str:
    methods = results["methods"]
    lines = [
        "| method | bits | PSNR dB mean / worst | SSIM mean / worst | embed ms | decode ms | decode ms, crop |",
        "|---|---|---|---|---|---|---|",
        *[f"| {name} | {m['bits']} | {m['psnr']:.1f} / {m['psnr_min']:.1f} | {m['ssim']:.3f} / {m['ssim_min']:.3f} "
          f"| {m['embed_ms']:.1f} | {m['decode_ms']:.1f} | {m['decode_crop_ms']:.1f} |" for name, m in methods.items()],
        "",
        "| attack | " + " | ".join(f"{name} bit acc / detected" for name in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]  # fmt: skip
    for attack in ATTACKS:
        cells = [
            f"{m['attacks'][attack]['bit_accuracy']:.3f} / {m['attacks'][attack]['detected']:.2f}"
            for m in methods.values()
        ]
        lines.append(f"| {attack} | " + " | ".join(cells) + " |")
    if "false_positives" not in results:
        return "\n".join(lines)
    fpr = results["false_positives"]
    lines.append(
        f"\nmodstream on unwatermarked images: {fpr['detections']} detections on {fpr['unwatermarked_crops']} crops "
        f"read as they are; {fpr['detections_with_search']} in {fpr['bch_decoded_readings']} BCH-decoded readings of "
        f"{fpr['searched_images']} photos, generated images and their JPEG 60 and half-size copies through the turn "
        f"search ({fpr['fully_searched_images']} of them through the crop search too); readings within 8 bits of a "
        f"codeword {fpr['readings_within_8_bits']} (coin flips: {fpr['expected_within_8_bits_if_coin_flips']}); "
        f"largest bit bias {fpr['largest_bit_bias']}; bound per image {fpr['bound_per_image']:.1e}."
    )
    return "\n".join(lines)


SECTIONS = ("methods", "false_positives")


def _more_photos() -> list[torch.Tensor]:
    return [as_tensor(np.asarray(photo)) for photo in more_held_out_photos()]


@dataclass
class PhotoSet:
    photos: Callable[[], list[torch.Tensor]]  # as data.py gives photos: 3 x H x W in [0, 1]
    seed: int  # of the crops; the payloads' is 4 more
    described: str
    results: Path
    max_height: int = 512  # of the crops: under 384, every crop is one the stack marks with version 4


PHOTO_SETS = {
    "held-out": PhotoSet(held_out_photos, 7, "3 held-out photos", RESULTS),
    "more": PhotoSet(
        _more_photos, 2026, "3 more photos no setting of version 1 was chosen on (benchmarks/photos.py)",
        RESULTS.with_name("watermark-more-photos.json"),
    ),
    "small": PhotoSet(
        lambda: held_out_photos() + _more_photos(), 384, "the 6 photos of the other two sets, under 384 px tall",
        RESULTS.with_name("watermark-small-images.json"), max_height=383,
    ),
}  # fmt: skip


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def chosen_sections(parser: argparse.ArgumentParser, value: str, known: tuple[str, ...]) -> list[str]:
    """The comma-separated sections of ``value``; an unknown one ends the program with the known ones listed."""
    sections = value.split(",")
    if unknown := set(sections) - set(known):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(known)}")
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=24, help="held-out crops per method")
    parser.add_argument("--fpr-crops", type=int, default=10000, help="unwatermarked crops for the false positives")
    parser.add_argument(
        "--fpr-search-images",
        type=int,
        default=2000,
        help="unwatermarked photos, generated images and their variants read through the turn search",
    )
    parser.add_argument(
        "--fpr-crop-search-images", type=int, default=300, help="how many of them also go through the crop search"
    )  # fmt: skip
    parser.add_argument("--checkpoint", type=Path, help="a training run's directory instead of the shipped weights")
    older = [f"modstream-v{number}" for number in list(VERSIONS)[1:]]  # the versions verify still reads
    parser.add_argument("--methods", default=",".join(["modstream", *older, "dwtDct", "dwtDctSvd", "rivaGan"]))
    parser.add_argument(
        "--sections", default=",".join(SECTIONS),
        help="which to run (comma-separated, of %(default)s); the others, and the methods not named in --methods, are "
        "kept from --out as they were, each with its own date under 'when'",
    )  # fmt: skip
    parser.add_argument(
        "--photos", choices=list(PHOTO_SETS), default="held-out",
        help="whose crops: the held-out photos of data.py (the default, what the search settings were chosen on), "
        "three more that no setting of version 1 was chosen on (benchmarks/photos.py), or crops of all six under "
        "384 px tall, which the stack marks with version 4 (crops and payloads of a seed of their own; written to "
        + " and ".join(f"{PHOTO_SETS[name].results.name} ({name})" for name in ("more", "small"))
        + " unless --out says otherwise)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help=f"results file (default {RESULTS.name})")
    args = parser.parse_args(argv)
    photo_set = PHOTO_SETS[args.photos]
    args.out = args.out or photo_set.results
    sections = chosen_sections(parser, args.sections, SECTIONS)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    shipped = [Watermarker.load(path) for path in VERSIONS.values()]
    watermarkers = [load_watermarker(args.checkpoint)] if args.checkpoint else shipped
    images = crops(photo_set.photos(), args.images, random.Random(photo_set.seed), max_height=photo_set.max_height)
    available = {
        "modstream": lambda: modstream_method(watermarkers),
        **{
            f"modstream-v{watermarker.version_number}": partial(
                modstream_method, [watermarker], f"modstream-v{watermarker.version_number}"
            )
            for watermarker in shipped[1:]
        },
        "dwtDct": lambda: invisible_watermark_method("dwtDct", PAYLOAD_BITS),
        "dwtDctSvd": lambda: invisible_watermark_method("dwtDctSvd", PAYLOAD_BITS),
        "rivaGan": lambda: invisible_watermark_method("rivaGan", 32),  # rivaGan's model carries 32 bits
    }
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["machine"] = f"{platform.machine()}, {torch.get_num_threads()} threads, no GPU used"
    results["images"] = f"{args.images} crops (256-{photo_set.max_height} px tall) of {photo_set.described}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if "methods" in sections:
        methods = results.setdefault("methods", {})
        for name in args.methods.split(","):
            log(f"{name}: embedding and attacking {len(images)} images")
            measured = evaluate(available[name](), images, np.random.default_rng(photo_set.seed + 4), args.out)
            methods[name] = {"when": now(), **measured}
    if "false_positives" in sections:
        log(f"false positives on {args.fpr_crops} crops and {args.fpr_search_images} images through the searches")
        reader = Reader([*watermarkers, *shipped[1:]] if args.checkpoint else shipped)
        counted = false_positives(
            reader, args.fpr_crops, args.fpr_search_images, args.fpr_crop_search_images, random.Random(13)
        )
        results["false_positives"] = {"when": now(), **counted}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
