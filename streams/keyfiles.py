"""Key files that the first process to need them creates: atomically, so that processes starting together
all read the same complete key (an exclusive create followed by a write let a second process read the
file between the two, empty).

A single file is written under a temporary name and hard-linked into place (the link fails if the name
exists, and the file is complete before it has its name); a set of files is written to a temporary
directory renamed into place. Either way the loser of a race discards its own and reads the winner's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MIN_KEY_BYTES = 32


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of ``path``, created first from ``make()`` (mode 0600) when it does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process created it first: read theirs
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_bytes()


def create_directory_once(directory: Path, write: Callable[[Path], None]) -> None:
    """``directory`` with the files ``write(staging)`` puts in it, unless it exists already (or meanwhile)."""
    if directory.exists():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))  # mode 0700
    try:
        write(staging)
        try:
            os.rename(staging, directory)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):  # not: another process created it first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_key(key: bytes, source: str) -> bytes:
    """``key`` if it is long enough to key an HMAC; otherwise ValueError naming ``source`` and the fix."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"{source} holds {len(key)} bytes; a key needs at least {MIN_KEY_BYTES} "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )
    return key
