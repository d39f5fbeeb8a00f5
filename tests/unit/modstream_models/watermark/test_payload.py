from math import comb

import numpy as np

from modstream_models.watermark.payload import (
    CODE_BITS,
    RELIABILITY_BUDGET,
    Decoded,
    decode_bits,
    decode_probabilities,
    encode_payload,
    words_within,
)


def test_round_trip_corrects_up_to_five_wrong_bits() -> None:
    payload = bytes.fromhex("0123456789abcdef")
    code = encode_payload(payload)
    assert code.shape == (CODE_BITS,) == (120,)
    rng = np.random.default_rng(1)
    for errors in range(6):
        flipped = code.copy()
        flipped[rng.choice(CODE_BITS, errors, replace=False)] ^= 1
        decoded = decode_bits(flipped)
        assert decoded.payload == payload and decoded.corrected_bits == errors


def test_random_and_flat_bits_are_not_detected() -> None:
    rng = np.random.default_rng(2)
    found = sum(decode_bits(rng.integers(0, 2, CODE_BITS)).payload is not None for _ in range(20000))
    assert found == 0  # expected rate about 2.8e-9 per read
    assert decode_bits(np.zeros(CODE_BITS, dtype=np.uint8)).payload is None
    assert decode_bits(np.ones(CODE_BITS, dtype=np.uint8)).payload is None


def test_more_than_five_wrong_bits_is_no_detection_but_is_counted() -> None:
    code = encode_payload(bytes(8))
    code[:6] ^= 1
    assert decode_bits(code) == Decoded(None, 6)
    assert decode_bits(code, max_errors=6).payload == bytes(8)


def test_seven_or_eight_wrong_bits_are_counted_but_not_detected() -> None:
    rng = np.random.default_rng(3)
    for errors in (7, 8):
        code = encode_payload(rng.integers(0, 256, 8, dtype=np.uint8).tobytes())
        code[rng.choice(CODE_BITS, errors, replace=False)] ^= 1
        assert decode_bits(code) == Decoded(None, errors)


def test_words_bchlib_would_correct_into_no_codeword_are_not_near_one() -> None:
    """bchlib "corrects" about 2 % of random 120-bit words by 8 bits into words that are no codeword; a true
    codeword lies within 8 bits of a random word with probability about 2e-5 (2^64 * V(120, 8) / 2^120)."""
    rng = np.random.default_rng(4)
    near = sum(decode_bits(rng.integers(0, 2, CODE_BITS)).corrected_bits > 0 for _ in range(20000))
    assert near <= 3


def _probabilities(code: np.ndarray, sure: float, doubtful: float, wrong: np.ndarray) -> np.ndarray:
    """Probabilities of ``code``'s bits, ``sure`` of them right, the ``wrong`` ones read wrong at ``doubtful``."""
    right = np.where(code == 1, sure, 1 - sure)
    right[wrong] = np.where(code[wrong] == 1, 1 - doubtful, doubtful)
    return right


def test_wrong_bits_that_are_the_doubtful_ones_are_corrected_beyond_five() -> None:
    payload = bytes.fromhex("0123456789abcdef")
    code = encode_payload(payload)
    wrong = np.random.default_rng(5).choice(CODE_BITS, 9, replace=False)
    decoded = decode_probabilities(_probabilities(code, 0.99, 0.55, wrong))
    assert decoded == Decoded(payload, 9)
    assert decode_bits(code ^ np.isin(np.arange(CODE_BITS), wrong)) == Decoded(None, 0)  # beyond BCH's 8 alone


def test_five_wrong_bits_read_as_surely_as_the_rest_are_not_detected() -> None:
    code = encode_payload(bytes(8))
    wrong = np.arange(5)
    probabilities = _probabilities(code, 0.9, 0.99, wrong)  # the wrong bits read more surely than the right ones
    assert decode_bits((probabilities > 0.5).astype(np.uint8)).payload == bytes(8)
    assert decode_probabilities(probabilities) == Decoded(None, 5)
    assert decode_probabilities(_probabilities(code, 0.9, 0.99, wrong[:4])) == Decoded(bytes(8), 4)


def test_words_within_a_weight_are_the_subsets_of_bits_no_heavier() -> None:
    # subsets of reliabilities 1, 1, 2 by their sums: 0: 1, 1: 2, 2: 2, 3: 2, 4: 1
    assert [words_within(np.array([1, 1, 2]), weight) for weight in range(5)] == [1, 3, 5, 7, 8]
    # bits of no reliability: any of their subsets is free; 2^27 words fit the budget, 2^28 do not
    assert words_within(np.array([0] * 27 + [300] * 93), 0) == 2**27 < RELIABILITY_BUDGET < 2**28
    assert words_within(np.full(CODE_BITS, 7), 35) == sum(comb(CODE_BITS, k) for k in range(6))  # 5 bits: V(120, 5)


def test_random_probabilities_are_not_detected() -> None:
    rng = np.random.default_rng(6)
    found = sum(decode_probabilities(rng.uniform(0, 1, CODE_BITS)).payload is not None for _ in range(1000))
    assert found == 0  # the same bound as decode_bits: about 2.8e-9 per reading
