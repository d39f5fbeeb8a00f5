import numpy as np

from modstream_models.watermark.payload import CODE_BITS, decode_bits, encode_payload


def test_round_trip_corrects_up_to_six_wrong_bits() -> None:
    payload = bytes.fromhex("0123456789abcdef")
    code = encode_payload(payload)
    assert code.shape == (CODE_BITS,) == (120,)
    rng = np.random.default_rng(1)
    for errors in range(7):
        flipped = code.copy()
        flipped[rng.choice(CODE_BITS, errors, replace=False)] ^= 1
        decoded = decode_bits(flipped)
        assert decoded.payload == payload and decoded.corrected_bits == errors


def test_random_and_flat_bits_are_not_detected() -> None:
    rng = np.random.default_rng(2)
    found = sum(decode_bits(rng.integers(0, 2, CODE_BITS)).payload is not None for _ in range(20000))
    assert found == 0  # expected rate about 1.4e-7 per read
    assert decode_bits(np.zeros(CODE_BITS, dtype=np.uint8)).payload is None
    assert decode_bits(np.ones(CODE_BITS, dtype=np.uint8)).payload is None


def test_more_than_six_wrong_bits_is_no_detection() -> None:
    code = encode_payload(bytes(8))
    code[:7] ^= 1
    assert decode_bits(code).payload is None
