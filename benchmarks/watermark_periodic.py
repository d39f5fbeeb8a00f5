"""The periodic layout (modstream_models/watermark/periodic.py), read blind: crops of any aspect ratio, and JPEG.

    .venv/bin/python -m benchmarks.watermark_periodic      # ~45 min, and 2-3 hours for false_positives
    .venv/bin/python -m benchmarks.watermark_periodic --checkpoint var/watermark-periodic   # and a training run's
    .venv/bin/python -m benchmarks.watermark_periodic --sections tables --images 2 --tiles 128        # quick
    .venv/bin/python -m benchmarks.watermark_periodic --sections false_positives --fpr-images 200     # fewer images
    .venv/bin/python -m benchmarks.watermark_periodic --sections false_positives --fpr-shard 1/4 \
        --out benchmarks/results/watermark-periodic-fpr-1-of-4.json         # a quarter of the 2,000; 2/4 the next
    .venv/bin/python -m benchmarks.watermark_periodic --out benchmarks/results/watermark-periodic-fpr-2000.json \
        --join-parts benchmarks/results/watermark-periodic-fpr-?-of-4.json  # the four quarters added up

One residual, made by the encoder from the folded original, repeated over every tile of 128 x 128 (or 256 x 256)
pixels of the image, at 42 dB or more. Two sets of held-out images: crops of 256-512 px (2-4 tiles of 128 a side, as
benchmarks.watermark uses) and the three held-out photos whole (512-741 px), since the fold averages more tiles the
larger the image. Each held-out crop is watermarked, cut as issue 20 asks (and as it is), sometimes JPEG-compressed, and
read the way ``verify`` reads it: the copy as it is, then every cyclic shift of the folded copy, mirrored and not,
each counted only with at most SHIFT_MAX_ERRORS corrections. Nothing about the crop is given to the reader.
Reported per network and attack: PSNR and SSIM, bit accuracy at the true shift (what the networks can give), the
payloads the blind reader finds, and wrong payloads; and whether the reader finds anything in the unwatermarked
copies. A resized copy changes the period, so no resize is among these attacks. Then, on the photos with 256 px tiles:
how far off a turn or a scale may be undone; on those photos and three more that wheels on PyPI ship
(benchmarks/photos.py), benchmarks.watermark's turns and resizes read with the shift search only, with the turn and
scale search (sync.py, version 2's head), and with the turn and scale given, and every attack of benchmarks.watermark
on each photo marked and read as the stack does (version 2, or version 1 where the photo is too small for it) beside
version 1 alone; the turns and resizes read as ``verify`` and ``verify --thorough`` read them (``thorough``); PSNR and
SSIM per picture on 13 pictures the texture mask was not chosen on (``invisibility``); and the false positives of
version 2's reader on 2,000 unwatermarked images. Each section can be run alone (--sections); the others are kept as
they were.
Results: benchmarks/results/watermark-periodic.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from benchmarks.photos import DESCRIPTION as MORE_DESCRIPTION
from benchmarks.photos import SOURCES, more_held_out_photos
from benchmarks.watermark import ATTACKS as ISSUE_ATTACKS
from benchmarks.watermark import (
    bound_per_image,
    chosen_sections,
    load_watermarker,
    now,
    unwatermarked_images,
    within,
    write_difference,
)
from benchmarks.watermark_tiles import AFTER_CROP, CROPS, HELD_OUT_CROPS, held_out_crops, pixel_box, summary
from modstream_models.images import jpeg_round_trip
from modstream_models.watermark import model, periodic, sync
from modstream_models.watermark.data import TRAIN_IMAGES, as_tensor, held_out_photos, synthetic_pictures
from modstream_models.watermark.model import (
    WORKING_SIZE,
    Embedder,
    Reader,
    Watermarker,
    to_image,
    to_tensor,
    version_1_periodic,
)
from modstream_models.watermark.payload import encode_payload
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "watermark-periodic.json"
ATTACKS = {name: AFTER_CROP[name] for name in ("", "+jpeg60")}


HELD_OUT_WHOLE = "the 3 held-out photos whole: Grace Hopper (512 x 600), the motorcycle pair (741 x 500)"
HELD_OUT_NAMES = ["grace hopper", "motorcycle left", "motorcycle right"]


def held_out_whole() -> list[Image.Image]:
    return [to_image(photo[None]) for photo in held_out_photos()]


def bits_at_true_shift(watermarker: Watermarker, piece: Image.Image, top: int, left: int) -> np.ndarray:
    """The bits read from a copy folded where it was cut from the original: what a perfect search would give."""
    folded = periodic.working_tile(to_tensor(piece), WORKING_SIZE, watermarker.tile, top, left)
    return (watermarker.read_working_size(folded)[0] > 0.5).astype(np.uint8)


def measure(watermarker: Watermarker, images: list[Image.Image], name: str) -> dict[str, dict[str, float]]:
    rows: dict[str, list[float]] = {}
    for index, image in enumerate(images):
        payload = bytes(random.Random(index).randrange(256) for _ in range(8))
        bits = encode_payload(payload)
        marked = watermarker.embed(image, bits)
        rows.setdefault("psnr", []).append(float(peak_signal_noise_ratio(np.asarray(image), np.asarray(marked))))
        rows.setdefault("ssim", []).append(
            float(structural_similarity(np.asarray(image), np.asarray(marked), channel_axis=2))
        )
        for crop_name, crop in CROPS.items():
            left, top, right, bottom = pixel_box(crop, *marked.size)
            for attack_name, attack in ATTACKS.items():
                piece = attack(marked.crop((left, top, right, bottom)))
                found = watermarker.read_payload(piece).payload
                attack_row = crop_name + attack_name
                at_true_shift = bits_at_true_shift(watermarker, piece, top, left)
                rows.setdefault(f"{attack_row} bits", []).append(float((at_true_shift == bits).mean()))
                rows.setdefault(f"{attack_row} payload", []).append(found == payload)
                rows.setdefault(f"{attack_row} wrong", []).append(found is not None and found != payload)
        for attack_name, attack in ATTACKS.items():
            rows.setdefault(f"unwatermarked{attack_name} detected", []).append(
                watermarker.read_payload(attack(image)).detected
            )
        print(f"... {name}: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return summary(rows)


TURN, SCALE = 7.0, 0.75  # what the copies in geometry_tolerance went through
TURN_ERRORS = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)  # degrees the reader's turn is off by
SCALE_ERRORS = (-0.04, -0.02, -0.01, 0.0, 0.01, 0.02, 0.04)  # fractions the reader's scale is off by


def _undone(watermarker: Watermarker, copy: Image.Image, payload: bytes) -> tuple[float, bool]:
    """The decoder's largest confidence over every shift of a copy as the reader undid it, and whether the reader
    finds the payload in it."""
    tile = periodic.working_tile(to_tensor(copy), WORKING_SIZE, watermarker.tile)
    confidence = float(np.abs(watermarker.read_every_shift(tile)[0] - 0.5).mean(axis=1).max() * 2)
    return confidence, watermarker.read_payload(copy).payload == payload


def geometry_tolerance(watermarker: Watermarker, images: list[Image.Image]) -> dict[str, dict[str, float]]:
    """How far off a turn or a resize may be undone and still be read: copies turned by TURN degrees or resized to
    SCALE, undone by a turn or scale off by each error; per error the decoder's largest confidence over the shifts
    (what a search over turns and scales would be guided by) and the payloads found. Not a search: measured to size
    the one that version 2 still needs."""
    rows: dict[str, list[float]] = {}
    for index, image in enumerate(images):
        payload = bytes(random.Random(index).randrange(256) for _ in range(8))
        marked = watermarker.embed_payload(image, payload)
        turned = marked.rotate(TURN, resample=Image.Resampling.BILINEAR)
        small = marked.resize((round(marked.width * SCALE), round(marked.height * SCALE)), Image.Resampling.BICUBIC)
        for error in TURN_ERRORS:
            undone = turned.rotate(-(TURN + error), resample=Image.Resampling.BILINEAR)
            for key, value in zip(("confidence", "payload"), _undone(watermarker, undone, payload), strict=True):
                rows.setdefault(f"turn off by {error:+g} deg {key}", []).append(value)
        for error in SCALE_ERRORS:
            scale = SCALE * (1 + error)
            undone = small.resize((round(small.width / scale), round(small.height / scale)), Image.Resampling.BICUBIC)
            for key, value in zip(("confidence", "payload"), _undone(watermarker, undone, payload), strict=True):
                rows.setdefault(f"scale off by {error:+.0%} {key}", []).append(value)
        print(f"... geometry tolerance: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return summary(rows)


# The attacks of benchmarks.watermark that turn or resize the copy (which the blind reader does not search), with the
# turn (degrees, counter-clockwise) and the scale they apply
def version_2_head() -> sync.Presence:
    """The turn and scale search's head that ships in version 2 (version 1's networks with 256 px tiles, which with it
    are version 2: the sections below measure version 2 where they name those networks)."""
    presence = Watermarker.load(model.VERSIONS[2]).presence
    if presence is None:
        raise ValueError(f"{model.VERSIONS[2]} holds no turn and scale head")
    return presence


TURNED_OR_RESIZED = {
    "rotate_5": (5.0, 1.0),
    "rotate_10": (10.0, 1.0),
    "rotate_-10": (-10.0, 1.0),
    "flip+rotate_5+jpeg60": (5.0, 1.0),
    "rotate_10+resize_75%+jpeg60": (10.0, 0.75),
    "crop_w60%_h90%+resize_75%": (0.0, 0.75),
    "crop_80%+upscale": (0.0, 0.8**-0.5),
    "jpeg70+resize_75%+brightness_1.1": (0.0, 0.75),
}


def known_geometry(watermarker: Watermarker, images: list[Image.Image]) -> dict[str, dict[str, float]]:
    """The issue's turns and resizes, read blind without and with the turn and scale search (sync.py), and read with
    their turn and scale given (``read_undone``: the most a search could give with these networks); the seconds the
    search takes, and one read at a given turn and scale."""
    searching = replace(watermarker, presence=version_2_head())
    rows: dict[str, list[float]] = {}
    for index, image in enumerate(images):
        payload = bytes(random.Random(index).randrange(256) for _ in range(8))
        marked = np.asarray(watermarker.embed_payload(image, payload))
        for name, (turn, scale) in TURNED_OR_RESIZED.items():
            copy = Image.fromarray(ISSUE_ATTACKS[name](marked))
            rows.setdefault(f"{name} blind", []).append(watermarker.read_payload(copy).payload == payload)
            started = time.perf_counter()
            found = searching.read_payload(copy).payload
            rows.setdefault("seconds per search", []).append(time.perf_counter() - started)
            rows.setdefault(f"{name} searched", []).append(found == payload)
            rows.setdefault(f"{name} wrong", []).append(found is not None and found != payload)
            started = time.perf_counter()
            rows.setdefault(f"{name} known", []).append(watermarker.read_undone(copy, turn, scale).payload == payload)
            rows.setdefault("seconds per candidate read", []).append(time.perf_counter() - started)
        print(f"... known geometry: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return summary(rows)


def issue_attacks(images: list[Image.Image], names: list[str], difference: Path) -> dict[str, Any]:
    """Every attack of benchmarks.watermark on held-out photos whole, marked and read as the stack marks and reads them
    (``shipped``: the Embedder picks the version by the photo's size, the Reader tries every version, as ``verify``),
    beside version 1 alone (as it was before version 2 shipped): per photo the version that marked it, PSNR and SSIM;
    per attack the payloads found, wrong payloads, and the bits of the reading the reader returns (where it finds the
    payload, the bits where it found it) and the corrections BCH needed for each payload found (how near the detection
    threshold, DETECTION_MAX_ERRORS, each one was). The change to the photo of least SSIM, amplified, is written to
    ``difference`` for a person to look at."""
    version_1 = Watermarker.load(model.VERSIONS[1])
    stacks = {"shipped": (Embedder.load(), Reader.load()), "version 1": (Embedder([version_1]), Reader([version_1]))}
    rows: dict[str, list[float]] = {}
    corrections: dict[str, list[int]] = {}
    photos: list[dict[str, Any]] = []
    for index, (image, name) in enumerate(zip(images, names, strict=True)):
        payload = bytes(random.Random(100 + index).randrange(256) for _ in range(8))
        bits = encode_payload(payload)
        for stack, (embedder, reader) in stacks.items():
            marked, marked_by = embedder.embed_payload(image, payload)
            original, array = np.asarray(image), np.asarray(marked)
            if stack == "shipped":
                photos.append({
                    "photo": name, "size": f"{image.width} x {image.height}", "version": marked_by.version_number,
                    "psnr": round(float(peak_signal_noise_ratio(original, array)), 2),
                    "ssim": round(float(structural_similarity(original, array, channel_axis=2)), 4),
                })  # fmt: skip
            for attack_name, attack in ISSUE_ATTACKS.items():
                reading = reader.read_payload(Image.fromarray(attack(array)))
                rows.setdefault(f"{stack} {attack_name} bits", []).append(float((reading.bits == bits).mean()))
                rows.setdefault(f"{stack} {attack_name} payload", []).append(reading.payload == payload)
                wrong = reading.detected and reading.payload != payload
                rows.setdefault(f"{stack} {attack_name} wrong", []).append(wrong)
                if reading.payload == payload:
                    corrections.setdefault(f"{stack} {attack_name}", []).append(reading.corrected_bits)
        print(f"... issue attacks: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    worst = min(range(len(photos)), key=lambda index: photos[index]["ssim"])  # PSNR sits at the floor on most
    marked, _ = stacks["shipped"][0].embed_payload(images[worst], bytes(8))
    write_difference(np.asarray(images[worst]), np.asarray(marked), difference)
    return {
        "photos": photos, "worst_photo": photos[worst]["photo"], "attacks": summary(rows),
        "corrections_of_found_payloads": {key: sorted(found) for key, found in corrections.items()},
    }  # fmt: skip


READERS = ("verify", "verify --thorough")


def thorough(images: list[Image.Image]) -> dict[str, dict[str, float]]:
    """benchmarks.watermark's turns and resizes of each photo marked as the stack marks it, read as ``verify`` reads
    and as ``verify --thorough`` does (Reader.thorough: the decoder ranks every turn and scale of the grid): payloads
    found, wrong payloads, seconds; and both on the photos unwatermarked (detections, seconds)."""
    embedder = Embedder.load()
    readers = dict(zip(READERS, (Reader.load(), Reader.load(thorough=True)), strict=True))
    rows: dict[str, list[float]] = {}

    def read(reader_name: str, copy: Image.Image, key: str) -> bytes | None:
        started = time.perf_counter()
        found = readers[reader_name].read_payload(copy).payload
        rows.setdefault(f"{reader_name} {key} seconds", []).append(time.perf_counter() - started)
        return found

    for index, image in enumerate(images):
        payload = bytes(random.Random(100 + index).randrange(256) for _ in range(8))
        marked = np.asarray(embedder.embed_payload(image, payload)[0])
        for name in TURNED_OR_RESIZED:
            copy = Image.fromarray(ISSUE_ATTACKS[name](marked))
            for reader_name in READERS:
                found = read(reader_name, copy, "copy")
                rows.setdefault(f"{reader_name} {name} payload", []).append(found == payload)
                rows.setdefault(f"{reader_name} {name} wrong", []).append(found is not None and found != payload)
        for reader_name in READERS:
            rows.setdefault(f"{reader_name} unwatermarked detected", []).append(
                read(reader_name, image, "unwatermarked") is not None
            )
        print(f"... thorough: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return summary(rows)


def invisibility() -> dict[str, Any]:
    """Per image, PSNR and SSIM as version 3 marks it (under the texture mask) and as version 2 would, both under the
    PSNR and SSIM floors (model.MIN_SSIM), on pictures the mask's two constants were not chosen on: scikit-image's
    photos and textures and the three synthetic pictures (data.py), each at least 384 px a side (as the Embedder gives
    version 3); the worst of each version; whether version 3's payload reads back after JPEG 60 (where the SSIM floor
    scales the change down, a smooth picture holds less of it)."""
    import skimage.data

    pictures = {name: to_image(as_tensor(getattr(skimage.data, name)())[None]) for name in TRAIN_IMAGES}
    synthetic = zip(("page", "noise", "blotches"), synthetic_pictures(), strict=True)
    pictures |= {name: to_image(picture[None]) for name, picture in synthetic}
    versions = {number: Watermarker.load(model.VERSIONS[number]) for number in (3, 2)}
    reader = Reader.load()
    rows = []
    for index, (name, picture) in enumerate(pictures.items()):
        if not versions[3].suits(picture):
            continue
        payload = bytes(random.Random(200 + index).randrange(256) for _ in range(8))
        row: dict[str, Any] = {"image": name, "size": f"{picture.width} x {picture.height}"}
        for number, watermarker in versions.items():
            original, marked = np.asarray(picture), np.asarray(watermarker.embed_payload(picture, payload))
            row[f"version {number} psnr"] = round(float(peak_signal_noise_ratio(original, marked)), 2)
            row[f"version {number} ssim"] = round(float(structural_similarity(original, marked, channel_axis=2)), 4)
            if number == 3:
                read = reader.read_payload(jpeg_round_trip(Image.fromarray(marked), 60)).payload
                row["version 3 read after jpeg 60"] = read == payload
        rows.append(row)
    worst = {
        f"version {number}": min(rows, key=lambda row: row[f"version {number} ssim"])["image"] for number in versions
    }
    return {"images": rows, "least_ssim": worst}


def coin_flip_counts(readings: int) -> dict[str, float]:
    """How many of ``readings`` readings of coin-flip bits BCH corrects with exactly k corrections, k = 0..8: within k
    of a codeword, not within k - 1."""
    return {str(k): round(readings * (within(k) - within(k - 1)), 4) for k in range(9)}


def false_positives(watermarker: Watermarker, count: int, shard: tuple[int, int] = (1, 1)) -> dict[str, Any]:
    """Detections on ``count`` unwatermarked images (benchmarks.watermark.unwatermarked_images: photo crops of 64-512
    px, the tiny generator's images, each also as JPEG 60 and at half its size; the same set that measures version 1)
    by the periodic reader with the turn and scale search, as ``verify`` would read them; every BCH-decoded reading
    counted by the corrections BCH needed to reach a codeword (up to its 8). For coin-flip bits exactly k corrections
    come with probability C(120, k) / 2^56, so where detections are too rare to count, the counts at 7 and 8 test the
    assumption behind the bound. ``shard`` (part, parts): only every parts-th image of the ``count``, from the part-th
    on, so that a long run can be split over sessions; the parts' counts add up to the whole set's."""
    part, parts = shard
    every_image = unwatermarked_images(count, random.Random(13))
    images = [image for index, image in enumerate(every_image) if index % parts == part - 1]
    searching = replace(watermarker, presence=version_2_head())
    corrections: dict[int, int] = {}
    detections = readings = 0
    started = time.perf_counter()
    for index, image in enumerate(images):
        for reading in searching.readings(image):
            readings += 1
            detections += reading.detected
            if reading.payload is not None or reading.corrected_bits:
                corrections[reading.corrected_bits] = corrections.get(reading.corrected_bits, 0) + 1
        if (index + 1) % 50 == 0:
            print(
                f"... false positives: {index + 1}/{len(images)} images, {detections} detections, {readings} readings, "
                f"by corrections {dict(sorted(corrections.items()))}, {time.perf_counter() - started:.0f} s",
                file=sys.stderr, flush=True,
            )  # fmt: skip
    return {
        "images": len(images),
        **({"shard": f"{part}/{parts} of {count}"} if parts > 1 else {}),
        "detections": detections,
        "bch_decoded_readings": readings,
        "readings_by_corrections": {str(k): corrections.get(k, 0) for k in range(9)},
        "expected_if_coin_flips": coin_flip_counts(readings),
        "bound_per_image": bound_per_image(watermarker),
        "seconds_per_image": round((time.perf_counter() - started) / len(images), 2),
    }


def _networks_rows(per_network: dict[str, dict[str, Any]]) -> list[str]:
    networks = {
        f"{name}, {image_set}": found for name, per_set in per_network.items() for image_set, found in per_set.items()
    }
    rows = ["| attack, read blind | " + " | ".join(f"{name}: bits / payload" for name in networks) + " |"]
    rows.append("|---|" + "---|" * len(networks))
    for quality in ("psnr", "ssim"):
        cells = [f"{found[quality]['mean']} (worst {found[quality]['min']})" for found in networks.values()]
        rows.append(f"| {quality.upper()} | " + " | ".join(cells) + " |")
    for crop_name in CROPS:
        for attack_name in ATTACKS:
            attack_row = crop_name + attack_name
            cells = [
                f"{found[f'{attack_row} bits']['mean']:.3f} / {found[f'{attack_row} payload']['mean']:.2f}"
                for found in networks.values()
            ]
            rows.append(f"| {attack_row} | " + " | ".join(cells) + " |")
    wrong = [
        str(sum(row["mean"] > 0 for key, row in found.items() if key.endswith(("wrong", "detected"))))
        for found in networks.values()
    ]
    rows.append("| attacks with a wrong or false payload | " + " | ".join(wrong) + " |")
    return rows


def markdown(results: dict[str, Any]) -> str:
    rows = _networks_rows(results["networks"]) if "networks" in results else []
    tolerance = results.get("geometry_tolerance")
    if tolerance:
        rows += ["", f"| {results['geometry_tolerance_of']}, photos | confidence (max over shifts) | payload |"]
        rows.append("|---|---|---|")
        for key in (key.removesuffix(" payload") for key in tolerance if key.endswith(" payload")):
            rows.append(
                f"| {key} | {tolerance[key + ' confidence']['mean']:.3f} | {tolerance[key + ' payload']['mean']:.2f} |"
            )
    known = results.get("known_geometry")
    if known:
        columns = ("blind", "searched", "known", "wrong")
        rows += [
            "",
            f"| {results['geometry_tolerance_of']}, photos | payload: shifts only | with the turn and scale search "
            "| turn and scale given | wrong payload |",
            "|---|---|---|---|---|",
        ]
        for name in TURNED_OR_RESIZED:
            cells = " | ".join(f"{known[f'{name} {column}']['mean']:.2f}" for column in columns)
            rows.append(f"| {name} | {cells} |")
        seconds = [known[f"seconds per {what}"]["mean"] for what in ("search", "candidate read")]
        rows.append(f"| seconds (mean) | | {seconds[0]:.1f} | {seconds[1]:.1f} | |")
    attacked = results.get("issue_attacks")
    if attacked:
        rows += ["", "| photo | size | version | PSNR dB | SSIM |", "|---|---|---|---|---|"]
        rows += [
            f"| {photo['photo']} | {photo['size']} | {photo['version']} | {photo['psnr']:.2f} | {photo['ssim']:.4f} |"
            for photo in attacked["photos"]
        ]
        rows += [
            "",
            "| benchmarks.watermark's attacks, photos whole, bits / payload (wrong) | shipped (version by size, every "
            "version read) | version 1 alone | most corrections a found payload needed: shipped / version 1 |",
            "|---|---|---|---|",
        ]
        found, corrections = attacked["attacks"], attacked.get("corrections_of_found_payloads", {})
        stacks = ("shipped", "version 1")
        for name in ISSUE_ATTACKS:
            cells = [
                f"{found[f'{stack} {name} bits']['mean']:.3f} / {found[f'{stack} {name} payload']['mean']:.2f}"
                f" ({found[f'{stack} {name} wrong']['mean']:.2f})"
                for stack in stacks
            ]
            most = " / ".join(str(max(corrections.get(f"{stack} {name}", []), default="-")) for stack in stacks)
            rows.append(f"| {name} | {' | '.join(cells)} | {most} |")
    searched = results.get("thorough")
    if searched:
        rows += ["", "| turned or resized, photos whole: payloads (wrong) | " + " | ".join(READERS) + " |"]
        rows.append("|---|---|---|")
        for name in TURNED_OR_RESIZED:
            cells = [f"{searched[f'{r} {name} payload']['mean']:.2f} ({searched[f'{r} {name} wrong']['mean']:.2f})"
                     for r in READERS]  # fmt: skip
            rows.append(f"| {name} | {' | '.join(cells)} |")
        for key, label in (("copy", "seconds per copy"), ("unwatermarked", "seconds per unwatermarked photo")):
            cells = [f"{searched[f'{r} {key} seconds']['mean']:.1f}" for r in READERS]
            rows.append(f"| {label} (mean) | {' | '.join(cells)} |")
        cells = [f"{searched[f'{r} unwatermarked detected']['mean']:.2f}" for r in READERS]
        rows.append(f"| unwatermarked photos detected | {' | '.join(cells)} |")
    shown = results.get("invisibility")
    if shown:
        rows += [
            "",
            "| image (not used to choose the texture mask) | size | version 3 PSNR / SSIM | version 2 PSNR / SSIM "
            "| version 3 read after JPEG 60 |",
            "|---|---|---|---|---|",
        ]
        rows += [
            f"| {row['image']} | {row['size']} | "
            + " | ".join(f"{row[f'version {n} psnr']:.2f} / {row[f'version {n} ssim']:.4f}" for n in (3, 2))
            + f" | {'yes' if row.get('version 3 read after jpeg 60') else 'no'} |"
            for row in shown["images"]
        ]
    fpr = results.get("false_positives")
    if fpr:
        part = f" (part {fpr['shard']})" if "shard" in fpr else ""
        part = f" ({fpr['parts']} parts added up)" if "parts" in fpr else part
        rows += [
            "",
            f"{results['geometry_tolerance_of']} with the turn and scale search on {fpr['images']} unwatermarked "
            f"images{part}: {fpr['detections']} detections in {fpr['bch_decoded_readings']} BCH-decoded readings "
            f"({fpr['seconds_per_image']} s per image); bound per image {fpr['bound_per_image']:.1e}.",
            "",
            "| corrections BCH needed | " + " | ".join(fpr["readings_by_corrections"]) + " |",
            "|---|" + "---|" * len(fpr["readings_by_corrections"]),
            "| readings | " + " | ".join(str(n) for n in fpr["readings_by_corrections"].values()) + " |",
            "| coin flips | " + " | ".join(f"{n:.3g}" for n in fpr["expected_if_coin_flips"].values()) + " |",
        ]
    return "\n".join(rows)


SECTIONS = (
    "tables", "geometry_tolerance", "known_geometry", "issue_attacks", "thorough", "invisibility", "false_positives"
)  # fmt: skip


def shard(value: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as (K, N), for --fpr-shard."""
    part, _, parts = value.partition("/")
    if not (part.isdigit() and parts.isdigit() and 1 <= int(part) <= int(parts)):
        raise argparse.ArgumentTypeError(f"{value!r}: give the part and the number of parts as K/N, 1 <= K <= N")
    return int(part), int(parts)


def joined_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The false positives of a run split with --fpr-shard (each part's ``false_positives``), added up as one run on the
    whole set would have counted them. Refused (ValueError) unless the parts are 1/N to N/N of one set, each once, read
    with the same bound."""
    labels = [fpr.get("shard", "") for fpr in parts]
    split = [label.replace(" of ", "/").split("/") for label in labels]
    if not all(len(numbers) == 3 and all(number.isdigit() for number in numbers) for numbers in split):
        raise ValueError(f"every part must be one of a --fpr-shard run (a 'shard' like '2/4 of 2000'), got {labels}")
    wholes = {(int(parts_in), int(count)) for _, parts_in, count in split}
    numbers = sorted(int(part) for part, _, _ in split)
    if len(wholes) != 1 or numbers != list(range(1, next(iter(wholes))[0] + 1)):
        raise ValueError(f"the parts must be 1/N to N/N of one set, each once; got {sorted(labels)}")
    if len({fpr["bound_per_image"] for fpr in parts}) != 1:
        raise ValueError("the parts were read with different bounds (different readers); rerun them with one reader")
    images = sum(fpr["images"] for fpr in parts)
    readings = sum(fpr["bch_decoded_readings"] for fpr in parts)
    return {
        "images": images,
        "parts": len(parts),
        "detections": sum(fpr["detections"] for fpr in parts),
        "bch_decoded_readings": readings,
        "readings_by_corrections": {
            k: sum(fpr["readings_by_corrections"][k] for fpr in parts) for k in parts[0]["readings_by_corrections"]
        },
        "expected_if_coin_flips": coin_flip_counts(readings),
        "bound_per_image": parts[0]["bound_per_image"],
        "seconds_per_image": round(sum(fpr["seconds_per_image"] * fpr["images"] for fpr in parts) / images, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=12, help="held-out crops (256-512 px)")
    parser.add_argument("--tiles", default="128,256", help="tile sides (pixels) to run version 1's networks with")
    parser.add_argument("--checkpoint", type=Path, help="also a training run's last checkpoint (--layout periodic)")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS),
        help="which to run (comma-separated, of %(default)s); the others are kept from --out as they were, each "
        "with its own date under 'when'",
    )  # fmt: skip
    parser.add_argument(
        "--fpr-images", type=int, default=2000, help="unwatermarked images for false_positives (2-3 s each on 2 cores)"
    )
    parser.add_argument(
        "--fpr-shard", type=shard, default=(1, 1), metavar="K/N",
        help="false_positives on every N-th of the --fpr-images images from the K-th on (a long run split in N parts)",
    )  # fmt: skip
    parser.add_argument(
        "--join-parts", type=Path, nargs="+", metavar="FILE",
        help="instead of running anything: add up the false_positives of every part of a --fpr-shard run (their --out "
        "files) into --out's",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.setdefault("when", {})
    if args.join_parts:
        missing = [str(path) for path in args.join_parts if not path.exists()]
        if missing:
            parser.error(f"no such part: {', '.join(missing)}; run each with --fpr-shard K/N --out FILE first")
        runs = [json.loads(path.read_text()) for path in args.join_parts]
        try:
            results["false_positives"] = joined_parts([run["false_positives"] for run in runs])
            results["when"]["false_positives"] = max(run["when"]["false_positives"] for run in runs)
        except KeyError as missing_key:
            parser.error(f"{missing_key} missing in one of the parts: give the --out files of a --fpr-shard run")
        except ValueError as refused:
            parser.error(str(refused))
        results["geometry_tolerance_of"] = runs[0]["geometry_tolerance_of"]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(markdown(results))
        return 0
    sections = chosen_sections(parser, args.sections, SECTIONS)
    tiles = [int(side) for side in args.tiles.split(",")]
    candidates = {f"version 1 networks, {tile} px tiles": version_1_periodic(tile) for tile in tiles}
    if args.checkpoint:
        candidates[f"{args.checkpoint.name}, {periodic.TILE} px tiles"] = load_watermarker(args.checkpoint)
    tolerance_of = f"version 1 networks, {max(tiles)} px tiles"  # the layout that reads the photos best
    photos = held_out_whole()
    results["geometry_tolerance_of"] = tolerance_of
    for section in sections:
        if section == "tables":
            image_sets = {"crops": held_out_crops(args.images), "photos": photos}
            results.setdefault("images", {}).update(
                {"crops": HELD_OUT_CROPS.format(count=args.images), "photos": HELD_OUT_WHOLE}
            )
            results["networks"] = {
                name: {
                    image_set: measure(watermarker, images, f"{name}, {image_set}")
                    for image_set, images in image_sets.items()
                }
                for name, watermarker in candidates.items()
            }
            results["weights"] = {name: watermarker.version for name, watermarker in candidates.items()}
        elif section == "geometry_tolerance":
            results["geometry_tolerance"] = geometry_tolerance(candidates[tolerance_of], photos)
        elif section == "known_geometry":
            results.setdefault("images", {})["known_geometry"] = f"{HELD_OUT_WHOLE}; {MORE_DESCRIPTION}"
            results["known_geometry"] = known_geometry(candidates[tolerance_of], [*photos, *more_held_out_photos()])
        elif section == "issue_attacks":
            results.setdefault("images", {})["issue_attacks"] = f"{HELD_OUT_WHOLE}; {MORE_DESCRIPTION}"
            names = [*HELD_OUT_NAMES, *SOURCES]
            difference = args.out.with_name(f"{args.out.stem}-worst-difference.png")
            results["issue_attacks"] = issue_attacks([*photos, *more_held_out_photos()], names, difference)
        elif section == "thorough":
            results.setdefault("images", {})["thorough"] = f"{HELD_OUT_WHOLE}; {MORE_DESCRIPTION}"
            results["thorough"] = thorough([*photos, *more_held_out_photos()])
        elif section == "invisibility":
            results["invisibility"] = invisibility()
        else:
            results["false_positives"] = false_positives(candidates[tolerance_of], args.fpr_images, args.fpr_shard)
        results["when"][section] = now()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")  # after each section: a long run keeps its parts
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
