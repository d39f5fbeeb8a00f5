from streams.verify import describe_watermark

FOUND = {
    "detected": True, "payload": "00112233aabbccdd", "bit_confidence": 0.97, "corrected_bits": 1, "crop": None,
    "rotation": None, "flipped": False, "scale": None, "version": 2,
}  # fmt: skip


def test_a_watermark_found_as_it_is_is_described_without_a_geometry() -> None:
    assert describe_watermark(FOUND) == "payload 00112233aabbccdd (bit confidence 0.97), watermark version 2"


def test_a_watermark_found_turned_and_resized_back_says_so() -> None:
    said = describe_watermark({**FOUND, "rotation": -10.5, "flipped": True, "scale": 0.7502})
    assert said.endswith(", mirrored, turned by -10.5 degrees, resized to 75% of its side, watermark version 2")
