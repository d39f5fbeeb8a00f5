"""The watermark payload: 64 bits, BCH-coded to 120 bits, whitened with a fixed key.

BCH(127, t=8) over GF(2^7), shortened to 64 data bits and 56 parity bits, corrects any 8 wrong
bits of the 120. A watermark counts as detected only when at most 5 bits needed correcting: for the
bits of an unwatermarked image, which behave like coin flips, the chance to land that close to one
of the 2^64 codewords is 2^64 * V(120, 5) / 2^120, about 2.8e-9 (with 6 allowed, 5.3e-8; with 8, 1.2e-5).
Six were allowed until 2,000 unwatermarked images read by every search gave 3.6 times coin flips' count at
6 corrections (benchmarks.watermark_periodic's false_positives): a reader that BCH-decodes thousands of
readings of an image needs room under the 1e-6 false-positive target for bits that are not quite coin
flips. The whitening mask keeps the all-zero word, which a decoder may read from a flat image, from being
a codeword.
"""

from __future__ import annotations

from dataclasses import dataclass

import bchlib
import numpy as np

PAYLOAD_BITS = 64
BCH = bchlib.BCH(8, m=7)
CODE_BITS = PAYLOAD_BITS + BCH.ecc_bits  # 120
DETECTION_MAX_ERRORS = 5
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
