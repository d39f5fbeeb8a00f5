"""Keys that processes starting together create: every one of them gets the same, complete key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from streams.config import Settings
from streams.keyfiles import create_directory_once, read_or_create
from streams.provenance import load_credentials

PROCESSES = 4
TRIALS = 25


def _signer_key(data_dir: Path) -> bytes:
    return load_credentials(None, None, None, data_dir).key_pem


def _pseudonym_key(data_dir: Path) -> bytes:
    return Settings(data_dir=data_dir).hmac_key()


def _together(work, data_dir: Path, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()  # all processes call ``work`` at the same moment
    results.put(work(data_dir))


def _race(work, directories: list[Path]) -> list[list[bytes]]:  # type: ignore[no-untyped-def]
    """What each of PROCESSES processes, started together on each directory, got from ``work``."""
    context = multiprocessing.get_context("fork")
    outcomes = []
    for directory in directories:
        barrier, results = context.Barrier(PROCESSES), context.Queue()
        processes = [
            context.Process(target=_together, args=(work, directory, barrier, results)) for _ in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        outcomes.append([results.get(timeout=30) for _ in processes])
        for process in processes:
            process.join()
    return outcomes


def test_processes_starting_together_share_one_complete_pseudonym_key(tmp_path: Path) -> None:
    for keys in _race(_pseudonym_key, [tmp_path / f"trial-{n}" for n in range(TRIALS)]):
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys


def test_processes_starting_together_share_one_development_signer(tmp_path: Path) -> None:
    for keys in _race(_signer_key, [tmp_path / f"trial-{n}" for n in range(TRIALS // 5)]):
        assert len(set(keys)) == 1 and b"PRIVATE KEY" in keys[0]


def test_a_created_file_is_private_and_the_first_content_stays(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "a.key"
    assert read_or_create(target, lambda: b"first") == b"first"
    assert read_or_create(target, lambda: b"second") == b"first"
    assert target.stat().st_mode & 0o077 == 0
    assert [path.name for path in target.parent.iterdir()] == ["a.key"]  # no temporary file left


def test_a_directory_is_created_once_with_everything_in_it(tmp_path: Path) -> None:
    target = tmp_path / "c2pa"
    create_directory_once(target, lambda staging: (staging / "one").write_text("1"))
    create_directory_once(target, lambda staging: (staging / "two").write_text("2"))
    assert sorted(path.name for path in target.iterdir()) == ["one"]
    assert [path.name for path in tmp_path.iterdir()] == ["c2pa"]


@pytest.mark.parametrize("key", ["short", "x" * 31])
def test_a_configured_key_shorter_than_32_bytes_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="MODSTREAM_PSEUDONYM_KEY holds .* at least 32"):
        Settings(data_dir=tmp_path, pseudonym_key=key).hmac_key()


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / "pseudonym.key").write_text("")
    with pytest.raises(ValueError, match="pseudonym.key .* holds 0 bytes"):
        Settings(data_dir=tmp_path).hmac_key()
