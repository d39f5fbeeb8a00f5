"""Protected-image matching: PDQ hashes against a persisted bank of protected images.

Each bank entry keeps the PDQ hash of the whole image and of crops of it (three sizes, centre and
corners), because PDQ alone loses a crop of a few percent. A query is hashed in its eight dihedral
variants (rotations and mirror images), so flips match too. The distance to an entry is the least
Hamming distance over all those pairs, out of 256 bits.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from modstream_models.detections import Detection

HASH_BITS = 256
CROP_SIDES = (0.95, 0.9, 0.85)
CROP_ANCHORS = ((0.5, 0.5), (0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))
HASH_SIDE = 512  # PDQ reduces to 64x64 anyway; hashing a smaller copy is as good and much faster
LOW_QUALITY = 50  # PDQ's own advice: hashes of quality under 50 are unreliable (flat or tiny images)


def _pixels(image: Image.Image) -> np.ndarray:
    image = image.convert("RGB")
    if max(image.size) > HASH_SIDE:
        image = image.copy()
        image.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(image)


def _crop(image: Image.Image, side: float, anchor: tuple[float, float]) -> Image.Image:
    width, height = round(image.width * side), round(image.height * side)
    left, top = round((image.width - width) * anchor[0]), round((image.height - height) * anchor[1])
    return image.crop((left, top, left + width, top + height))


def pdq_hash(image: Image.Image) -> tuple[np.ndarray, int]:
    """The 256-bit PDQ hash (bool array) and its quality (0-100)."""
    bits, quality = pdqhash.compute(_pixels(image))
    return bits.astype(bool), int(quality)


def dihedral_hashes(image: Image.Image) -> tuple[np.ndarray, int]:
    """PDQ hashes of the eight rotations and mirror images of ``image``, shape (8, 256), and the quality."""
    variants, quality = pdqhash.compute_dihedral(_pixels(image))
    return np.array(variants, dtype=bool), int(quality)


def reference_hashes(image: Image.Image) -> np.ndarray:
    """The hashes a bank keeps for one protected image: the whole image and its crops, shape (16, 256)."""
    image = image.convert("RGB")
    crops = [_crop(image, side, anchor) for side in CROP_SIDES for anchor in CROP_ANCHORS]
    return np.array([pdq_hash(view)[0] for view in [image, *crops]])


def to_hex(bits: np.ndarray) -> str:
    return np.packbits(bits).tobytes().hex()


def from_hex(text: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(text), np.uint8)).astype(bool)


@dataclass(frozen=True)
class BankEntry:
    id: str
    label: str
    source: str
    added_at: str
    quality: int
    hashes: tuple[str, ...]


class BankError(ValueError):
    """A bank operation that cannot be done (unknown entry, unreadable bank file)."""


class ProtectedBank:
    """The bank of protected images, kept in one JSON file that is replaced atomically on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.revision = 0
        self.entries: dict[str, BankEntry] = {}
        self.reload()

    def reload(self) -> None:
        if not self.path.exists():
            self.revision, self.entries = 0, {}
            return
        try:
            stored = json.loads(self.path.read_text())
            entries = [BankEntry(**{**entry, "hashes": tuple(entry["hashes"])}) for entry in stored["entries"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BankError(f"protected bank {self.path} cannot be read: {exc}") from exc
        self.revision = int(stored["revision"])
        self.entries = {entry.id: entry for entry in entries}

    def _save(self) -> None:
        self.revision += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        document = {"revision": self.revision, "entries": [asdict(entry) for entry in self.entries.values()]}
        temporary.write_text(json.dumps(document, indent=1))
        os.replace(temporary, self.path)

    def add(self, image: Image.Image, label: str, source: str = "") -> BankEntry:
        """Adds ``image`` (idempotent: the same pixels give the same entry id)."""
        image = image.convert("RGB")
        entry_id = hashlib.sha256(image.tobytes()).hexdigest()[:16]
        if entry_id in self.entries:
            return self.entries[entry_id]
        entry = BankEntry(
            id=entry_id,
            label=label,
            source=source,
            added_at=datetime.now(UTC).isoformat(timespec="seconds"),
            quality=pdq_hash(image)[1],
            hashes=tuple(to_hex(bits) for bits in reference_hashes(image)),
        )
        self.entries[entry_id] = entry
        self._save()
        return entry

    def remove(self, entry_id: str) -> BankEntry:
        entry = self.entries.pop(entry_id, None)
        if entry is None:
            raise BankError(f"no entry {entry_id!r} in the protected bank (see `modstream bank list`)")
        self._save()
        return entry


class ProtectedMatcher:
    """Reports the closest bank entries of each image with their Hamming distances.

    The bank file is re-read when it changes, so `modstream bank add` takes effect on the next request.
    Score is ``1 - distance / 256``; the threshold for a match is the routing's business.
    """

    name = "protected_match"
    extra_shapes: dict[str, tuple[int, ...]] = {"DISTANCES": ()}
    version: str

    def __init__(self, bank_path: Path, top_k: int = 3) -> None:
        self.bank_path = bank_path
        self.top_k = top_k
        self._loaded_stamp: tuple[int, int] | None = None
        self._refresh()

    def _refresh(self) -> None:
        stat = self.bank_path.stat() if self.bank_path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        if stamp == self._loaded_stamp:
            return
        bank = ProtectedBank(self.bank_path)
        self._ids = [entry.id for entry in bank.entries.values() for _ in entry.hashes]
        self._hashes = np.array(
            [from_hex(text) for entry in bank.entries.values() for text in entry.hashes], dtype=bool
        ).reshape(-1, HASH_BITS)
        self.version = f"pdqhash {version('pdqhash')}, bank revision {bank.revision} ({len(bank.entries)} entries)"
        self._loaded_stamp = stamp

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        self._refresh()
        return [self._closest(image) for image in images]

    def _closest(self, image: Image.Image) -> list[Detection]:
        if not self._ids:
            return []
        variants, _ = dihedral_hashes(image)
        distances = (variants[:, None, :] != self._hashes[None, :, :]).sum(axis=2).min(axis=0)
        best: dict[str, int] = {}
        for entry_id, distance in zip(self._ids, distances.tolist(), strict=True):
            best[entry_id] = min(distance, best.get(entry_id, HASH_BITS))
        ranked = sorted(best.items(), key=lambda item: item[1])[: self.top_k]
        return [
            Detection(
                label=entry_id, score=1.0 - distance / HASH_BITS, extras={"DISTANCES": np.array(distance, np.float32)}
            )
            for entry_id, distance in ranked
        ]
