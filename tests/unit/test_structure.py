"""The code stays small enough to read: no module over 300 lines, no function over 50, in ``streams/``.

Alembic migrations and the event schema declarations (``streams/events.py``) are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

STREAMS = Path(__file__).parents[2] / "streams"
EXEMPT = {STREAMS / "events.py"}


def modules() -> list[Path]:
    return [p for p in sorted(STREAMS.rglob("*.py")) if "migrations" not in p.parts and p not in EXEMPT]


def test_no_module_over_300_lines() -> None:
    long = {str(p.relative_to(STREAMS)): n for p in modules() if (n := len(p.read_text().splitlines())) > 300}
    assert not long


def test_no_function_over_50_lines() -> None:
    long = [
        f"{p.relative_to(STREAMS)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for p in modules()
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 50
    ]
    assert not long
