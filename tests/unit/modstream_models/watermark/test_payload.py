import numpy as np

from modstream_models.watermark.payload import CODE_BITS, Decoded, decode_bits, encode_payload


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
