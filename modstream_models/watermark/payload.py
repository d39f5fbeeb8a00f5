"""The watermark payload: 64 bits, BCH-coded to 120 bits, whitened with a fixed key.

BCH(127, t=8) over GF(2^7), shortened to 64 data bits and 56 parity bits, corrects any 8 wrong
bits of the 120. ``decode_bits`` counts a watermark as detected only when at most 5 bits needed correcting: for the
bits of an unwatermarked image, which behave like coin flips, the chance to land that close to one
of the 2^64 codewords is 2^64 * V(120, 5) / 2^120, about 2.8e-9 (with 6 allowed, 5.3e-8; with 8, 1.2e-5).
Six were allowed until 2,000 unwatermarked images read by every search gave 3.6 times coin flips' count at
6 corrections (benchmarks.watermark_periodic's false_positives): a reader that BCH-decodes thousands of
readings of an image needs room under the 1e-6 false-positive target for bits that are not quite coin
flips. The whitening mask keeps the all-zero word, which a decoder may read from a flat image, from being
a codeword.

A reading's bit probabilities say more than its bits: after a crop that leaves part of the tile unseen, or JPEG, the
wrong bits are mostly the doubtful ones. ``decode_probabilities`` (every reading the reader decodes as a detection)
accepts a codeword within 4 corrections, or one whose disagreeing bits are doubtful enough: their reliabilities (the
bits' |logit|, in steps of RELIABILITY_STEP) add up to at most the reading's own threshold, the largest at which at most
V(120, 5) - V(120, 4) words of 120 bits lie that close to a codeword. For bits that are coin flips, whatever their
reliabilities, that keeps the chance of a false detection at 2^64 * V(120, 5) / 2^120 per reading, as before: the
reliabilities only choose which words near a codeword count. A reading with many doubtful bits gets a lower threshold
(with 28 bits of reliability 0, no codeword is close enough); one whose wrong bits are its most doubtful can have more
than 5 corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import bchlib
import numpy as np

PAYLOAD_BITS = 64
BCH = bchlib.BCH(8, m=7)
CODE_BITS = PAYLOAD_BITS + BCH.ecc_bits  # 120
DETECTION_MAX_ERRORS = 5
# A reading is detected within this many corrections, or by its reliabilities (decode_probabilities), whose rule may
# accept the rest of the V(120, 5) words per codeword that DETECTION_MAX_ERRORS corrections would
SURELY_DETECTED = DETECTION_MAX_ERRORS - 1
RELIABILITY_BUDGET = comb(CODE_BITS, DETECTION_MAX_ERRORS)
RELIABILITY_STEP = 0.05  # of a bit's |logit|; rounded down, so a threshold never admits more words than it counts
CHASE_BITS = 7  # candidates: every pattern of the 7 most doubtful bits flipped, then decoded by BCH
ERASED = range(2, 34, 2)  # and the 2, 4, ..., 32 most doubtful bits set to 0 and to 1 (an erasure, for a binary code)
WHITENING = np.random.default_rng(0x6D6F6473).integers(0, 2, CODE_BITS, dtype=np.uint8)  # fixed: part of the format


@dataclass(frozen=True)
class Decoded:
    payload: bytes | None  # None when no watermark was found
    corrected_bits: int  # bits a codeword is away (also where more than detection allows); 0: none within 8


def _bits(data: bytes, count: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))[:count]


def encode_payload(payload: bytes) -> np.ndarray:
    """The 120 bits to embed for an 8-byte payload."""
    if len(payload) != PAYLOAD_BITS // 8:
        raise ValueError(f"the payload is {PAYLOAD_BITS // 8} bytes, not {len(payload)}")
    ecc = BCH.encode(bytearray(payload))
    code = np.concatenate([_bits(payload, PAYLOAD_BITS), _bits(bytes(ecc), BCH.ecc_bits)])
    return code ^ WHITENING


def decode_bits(bits: np.ndarray, max_errors: int = DETECTION_MAX_ERRORS) -> Decoded:
    """The payload from 120 read bits (0/1); None unless at most ``max_errors`` of them needed correcting (a reader
    that decodes many readings of one image asks fewer of each, so that together they keep the bound)."""
    if bits.shape != (CODE_BITS,):
        raise ValueError(f"expected {CODE_BITS} bits, got shape {bits.shape}")
    code = (np.asarray(bits, dtype=np.uint8) & 1) ^ WHITENING
    data = bytearray(np.packbits(code[:PAYLOAD_BITS]).tobytes())
    ecc = bytearray(np.packbits(code[PAYLOAD_BITS:]).tobytes())  # padded with zeros to whole bytes, as encode
    errors = BCH.decode(data, ecc)
    # an error located in the shortened-away positions means the word is no codeword of this code
    if errors < 0 or any(location >= CODE_BITS for location in BCH.errloc[:errors]):
        return Decoded(None, 0)
    BCH.correct(data, ecc)
    # bchlib reports about 2 % of random words as corrected by 7 or 8 bits into words that are no codeword
    # (measured: 716 of 720 such "corrections"); only a word that encodes to its own check bits is one
    if bytes(BCH.encode(data)) != bytes(ecc):
        return Decoded(None, 0)
    if errors > max_errors:
        return Decoded(None, errors)
    return Decoded(bytes(data), errors)


def decode_probabilities(probabilities: np.ndarray) -> Decoded:
    """The payload from 120 bit probabilities: within SURELY_DETECTED corrections of a codeword, or within the
    reading's reliability threshold (module docstring); ``corrected_bits`` counts the bits the payload's codeword
    differs in. Where none is found, ``decode_bits``'s count for the bits as read."""
    hard = decode_bits((np.asarray(probabilities) > 0.5).astype(np.uint8), SURELY_DETECTED)
    if hard.payload is not None:
        return hard
    found = nearest_by_reliability(probabilities)
    if found is None or found.words_as_close > RELIABILITY_BUDGET:
        return hard
    return Decoded(found.payload, found.differing_bits)


@dataclass(frozen=True)
class Nearest:
    """The codeword whose disagreeing bits are the least reliable, among those BCH finds near the bits read."""

    payload: bytes
    differing_bits: int
    weight: int  # the differing bits' reliabilities, summed
    words_as_close: float  # words of 120 bits that differ from the bits read in bits of at most that weight

    @property
    def chance(self) -> float:
        """Of coin-flip bits with these reliabilities landing as close to one of the 2^64 codewords."""
        return self.words_as_close * 2.0**PAYLOAD_BITS / 2.0**CODE_BITS


def nearest_by_reliability(probabilities: np.ndarray) -> Nearest | None:
    """The nearest codeword by reliability-weighted distance among the payloads BCH finds (within its 8) from the bits
    read with their most doubtful ones changed (Chase's and erasure decoding's candidates); None: BCH finds none."""
    bits, reliabilities = bits_and_reliabilities(probabilities)
    doubtful_first = np.argsort(reliabilities, kind="stable")
    words = []
    for pattern in range(2**CHASE_BITS):
        word = bits.copy()
        word[[doubtful_first[j] for j in range(CHASE_BITS) if pattern >> j & 1]] ^= 1
        words.append(word)
    for count in ERASED:
        for fill in (0, 1):
            word = bits.copy()
            word[doubtful_first[:count]] = fill
            words.append(word)
    candidates = {found for word in words if (found := decode_bits(word, 8).payload) is not None}
    if not candidates:
        return None
    differing = {candidate: encode_payload(candidate) != bits for candidate in candidates}
    weights = {candidate: int(reliabilities[differs].sum()) for candidate, differs in differing.items()}
    best = min(sorted(candidates), key=weights.__getitem__)
    weight = weights[best]
    return Nearest(best, int(differing[best].sum()), weight, words_within(reliabilities, weight))


def bits_and_reliabilities(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 120 bits read from their probabilities, and each one's reliability: its |logit| in RELIABILITY_STEPs."""
    if probabilities.shape != (CODE_BITS,):
        raise ValueError(f"expected {CODE_BITS} bit probabilities, got shape {probabilities.shape}")
    likely = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-7, 1 - 1e-7)
    logits = np.log(likely / (1 - likely))
    return (logits > 0).astype(np.uint8), np.floor(np.abs(logits) / RELIABILITY_STEP).astype(np.int64)


def words_within(reliabilities: np.ndarray, weight: int) -> float:
    """How many words differ from a given one in bits whose (integer) reliabilities add up to at most ``weight``."""
    return float(subsets_by_weight(reliabilities, weight).sum())


def subsets_by_weight(reliabilities: np.ndarray, heaviest: int) -> np.ndarray:
    """How many subsets of the bits have each weight (their reliabilities' sum) from 0 to ``heaviest``."""
    subsets = np.zeros(heaviest + 1)
    subsets[0] = 1.0
    for reliability in reliabilities:
        if reliability == 0:
            subsets *= 2
        elif reliability <= heaviest:
            subsets[reliability:] += subsets[:-reliability].copy()
    return subsets
