"""The public schemas stay compatible with the released ones within a schema version, and the check catches
what would break an app written against a release."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from streams.events import json_schemas
from streams.schema_evolution import incompatibilities

RELEASED = Path(__file__).resolve().parents[3] / "schemas" / "released"


def releases() -> list[Path]:
    return sorted(path for path in RELEASED.iterdir() if path.is_dir())


def current() -> dict[str, dict]:
    return {name: json.loads(text) for name, text in json_schemas().items()}


@pytest.mark.parametrize("release", releases(), ids=lambda path: path.name)
def test_the_current_schemas_are_compatible_with_every_release(release: Path) -> None:
    now = current()
    for path in sorted(release.glob("*.schema.json")):
        assert path.name in now, f"{path.name}: a public topic's schema was removed"
        released, current_schema = json.loads(path.read_text()), now[path.name]
        if version(current_schema) != version(released):  # a new schema version: the rules hold within one
            assert version(current_schema) > version(released), path.name
            continue
        assert incompatibilities(released, current_schema) == [], path.name


def version(schema: dict) -> int:
    return schema["properties"]["schema_version"]["const"]


def released_outcome() -> dict:
    return json.loads((releases()[-1] / "outcomes.schema.json").read_text())


def test_a_new_required_field_is_caught() -> None:
    changed = copy.deepcopy(released_outcome())
    changed["properties"]["region"] = {"type": "string"}
    changed["required"].append("region")
    assert incompatibilities(released_outcome(), changed) == ["$.region: required now (a new property)"]


def test_a_new_optional_field_is_allowed() -> None:
    changed = copy.deepcopy(released_outcome())
    changed["properties"]["region"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert incompatibilities(released_outcome(), changed) == []


def test_removed_fields_narrowed_types_lost_enum_values_and_tightened_limits_are_caught() -> None:
    old = released_outcome()
    changed = copy.deepcopy(old)
    del changed["properties"]["watermark"]
    changed["properties"]["tenant"]["type"] = "integer"
    status = changed["$defs"]["OutcomeStatus"]
    status["enum"] = [value for value in status["enum"] if value != "rejected"]
    changed["$defs"]["BlobRef"]["properties"]["size"]["minimum"] = 1
    problems = incompatibilities(old, changed)
    assert "$.watermark: removed" in problems
    assert any(p.startswith("$.tenant: type narrowed") for p in problems)
    assert "$defs.OutcomeStatus: enum values removed: ['rejected']" in problems
    assert "$defs.BlobRef.size: minimum tightened to 1" in problems
