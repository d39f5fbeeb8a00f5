"""Loading the policy file: YAML validated against ``streams.policy.model``, errors that name the line.

``PolicyStore`` serves the current policy to a worker and re-reads the file (and its lists) when one
of them changes, so a policy change takes effect on the next event without a restart. A file that
does not load is refused with the reason, and the running policy stays in force.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from streams.policy.model import PolicyFile
from streams.policy.terms import TermList

log = logging.getLogger("modstream.policy")
DEFAULT_POLICY = Path(__file__).with_name("default.yaml")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Policy:
    """A loaded policy: the file's rules, its term lists, and the version that verdicts record."""

    rules: PolicyFile
    protected_names: TermList
    prohibited: TermList
    version: str  # the file's version and a digest of its content and lists: "2026.11.1+3fa2c1"
    path: Path


def _line_of(node: yaml.Node | None, location: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at ``location`` (the deepest one that exists)."""
    line = node.start_mark.line + 1 if node else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _validation_message(path: Path, root: yaml.Node | None, error: ValidationError) -> str:
    problems = []
    for problem in error.errors()[:5]:
        location = tuple(part for part in problem["loc"] if not str(part).startswith("function-"))
        line = _line_of(root, location)
        where = ".".join(str(part) for part in location) or "the file"
        problems.append(f"{path}:{line}: {where}: {problem['msg'].removeprefix('Value error, ')}")
    return "invalid policy: " + "; ".join(problems)


def _list_files(policy: PolicyFile, base: Path) -> dict[str, dict[str, Path]]:
    return {
        "protected_names": {name: base / file for name, file in policy.lists.protected_names.items()},
        "prohibited": {name: base / file for name, file in policy.lists.prohibited.items()},
    }


def load_policy(path: Path) -> Policy:
    """The policy in ``path``; raises PolicyError naming the line of the first problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy {path}: {exc.strerror or exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise PolicyError(f"invalid policy: {path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        rules = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_validation_message(path, root, exc)) from None
    files = _list_files(rules, path.parent)
    digest = hashlib.sha256(text.encode())
    try:
        for group in files.values():
            for list_file in group.values():
                digest.update(list_file.read_bytes())
        protected_names = TermList.from_files(files["protected_names"])
        prohibited = TermList.from_files(files["prohibited"])
    except (OSError, ValueError) as exc:
        raise PolicyError(f"invalid policy: {path}: lists: {exc}") from None
    return Policy(rules, protected_names, prohibited, f"{rules.version}+{digest.hexdigest()[:8]}", path)


class PolicyStore:
    """The policy in force for one worker, re-read when its file or one of its lists changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._policy = load_policy(path)  # a worker does not start on a broken policy
        self._stamp = self._current_stamp()
        self.last_error: str | None = None

    def _current_stamp(self) -> tuple[tuple[str, int, int], ...]:
        files = [
            self.path,
            *[f for group in _list_files(self._policy.rules, self.path.parent).values() for f in group.values()],
        ]
        stamps = []
        for file in files:
            try:
                status = file.stat()
            except OSError:
                stamps.append((str(file), -1, -1))
            else:
                stamps.append((str(file), status.st_mtime_ns, status.st_size))
        return tuple(stamps)

    def current(self) -> Policy:
        stamp = self._current_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                policy = load_policy(self.path)
            except PolicyError as exc:
                self.last_error = str(exc)
                log.error("%s; keeping policy %s", exc, self._policy.version)
            else:
                log.info("policy %s loaded from %s (was %s)", policy.version, self.path, self._policy.version)
                self._policy, self.last_error = policy, None
                self._stamp = self._current_stamp()
        return self._policy
