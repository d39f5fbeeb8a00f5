from pathlib import Path

import pytest
from PIL import ImageOps

from modstream_models.images import jpeg_round_trip
from modstream_models.protected import BankError, ProtectedBank, ProtectedMatcher
from tests.images import sample


def test_bank_persists_and_is_idempotent(tmp_path: Path) -> None:
    bank = ProtectedBank(tmp_path / "bank.json")
    first = bank.add(sample("coffee.jpg"), "coffee")
    assert bank.add(sample("coffee.jpg"), "again").id == first.id
    assert len(first.hashes) == 16 and first.quality >= 50
    reopened = ProtectedBank(tmp_path / "bank.json")
    assert list(reopened.entries) == [first.id] and reopened.revision == 1
    reopened.remove(first.id)
    assert ProtectedBank(tmp_path / "bank.json").entries == {}
    with pytest.raises(BankError, match="no entry"):
        reopened.remove(first.id)


def test_an_unreadable_bank_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bank.json").write_text("{not json")
    with pytest.raises(BankError, match="cannot be read"):
        ProtectedBank(tmp_path / "bank.json")


def test_matcher_finds_transformed_copies_and_not_other_images(tmp_path: Path) -> None:
    bank = ProtectedBank(tmp_path / "bank.json")
    coffee = bank.add(sample("coffee.jpg"), "coffee")
    matcher = ProtectedMatcher(tmp_path / "bank.json", top_k=1)
    original = sample("coffee.jpg")
    copies = [
        jpeg_round_trip(original, 50).resize((original.width * 3 // 4, original.height * 3 // 4)),
        ImageOps.mirror(original),
        original.crop((20, 15, original.width - 10, original.height - 20)),
    ]
    for found in matcher.detect(copies):
        assert found[0].label == coffee.id and float(found[0].extras["DISTANCES"]) <= 40
    (other,) = matcher.detect([sample("astronaut.jpg")])
    assert float(other[0].extras["DISTANCES"]) > 80


def test_matcher_sees_bank_changes_without_restart(tmp_path: Path) -> None:
    matcher = ProtectedMatcher(tmp_path / "bank.json")
    assert matcher.detect([sample("chelsea.jpg")]) == [[]]
    ProtectedBank(tmp_path / "bank.json").add(sample("chelsea.jpg"), "cat")
    (found,) = matcher.detect([sample("chelsea.jpg")])
    assert float(found[0].extras["DISTANCES"]) == 0 and "revision 1" in matcher.version
