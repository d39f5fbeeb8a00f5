"""Schema evolution of the public topics: what may change within a schema version, checked.

The rules (README, "Schema evolution"):
- within one ``schema_version``, changes are additive: a new property must be optional; no property is
  removed, renamed or made required; a property's type only widens (a type or enum value may be added,
  none taken away); a constraint (length, range, pattern) is never tightened;
- anything else is a new ``schema_version``; during a migration window readers accept both versions.

``incompatibilities(old, new)`` lists every change of ``new`` (a JSON Schema as ``modstream schemas``
writes it) that breaks a producer or consumer written against ``old``. The released schemas live in
``schemas/released/``; a test compares the current ones with them.
"""

from __future__ import annotations

from typing import Any

# Keywords whose value may only grow (a larger maximum, a smaller minimum) between compatible schemas.
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems")


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every change from ``old`` to ``new`` that the rules forbid within a schema version, with where it is."""
    problems = _compare(old, new, "$", old.get("$defs", {}), new.get("$defs", {}))
    for name, definition in old.get("$defs", {}).items():
        if name not in new.get("$defs", {}):
            continue  # a definition no longer referenced; its uses are compared where they were
        problems += _compare(definition, new["$defs"][name], f"$defs.{name}", old["$defs"], new["$defs"])
    return problems


def _types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types (and referenced definitions) a schema admits, through ``anyOf``/``oneOf``."""
    if "$ref" in schema:
        return {schema["$ref"]}
    if "anyOf" in schema or "oneOf" in schema:
        return {t for option in schema.get("anyOf", schema.get("oneOf", [])) for t in _types(option, defs)}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"any"}


def _compare(old: dict[str, Any], new: dict[str, Any], where: str, old_defs: dict, new_defs: dict) -> list[str]:
    problems = []
    old_types, new_types = _types(old, old_defs), _types(new, new_defs)
    if "any" not in new_types and not old_types <= new_types:
        problems.append(f"{where}: type narrowed from {sorted(old_types)} to {sorted(new_types)}")
    if "enum" in old and not set(old["enum"]) <= set(new.get("enum", old["enum"])):
        problems.append(f"{where}: enum values removed: {sorted(set(old['enum']) - set(new['enum']))}")
    if "const" in new and new.get("const") != old.get("const"):
        problems.append(f"{where}: const changed to {new['const']!r}")
    for keyword in UPPER_BOUNDS + LOWER_BOUNDS:
        if keyword in new and (keyword not in old or _tighter(keyword, old[keyword], new[keyword])):
            problems.append(f"{where}: {keyword} tightened to {new[keyword]}")
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        problems.append(f"{where}: pattern changed to {new['pattern']!r}")
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}.{name}: required now" + ("" if name in old_properties else " (a new property)"))
    for name, old_property in old_properties.items():
        if name not in new_properties:
            problems.append(f"{where}.{name}: removed")
        else:
            problems += _compare(old_property, new_properties[name], f"{where}.{name}", old_defs, new_defs)
    if "items" in old and "items" in new:
        problems += _compare(old["items"], new["items"], f"{where}[]", old_defs, new_defs)
    return problems


def _tighter(keyword: str, old: float, new: float) -> bool:
    return new < old if keyword in UPPER_BOUNDS else new > old
