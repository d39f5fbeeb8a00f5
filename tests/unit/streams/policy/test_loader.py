import shutil
from pathlib import Path

import pytest

from streams.policy import DEFAULT_POLICY, PolicyError, PolicyStore, load_policy


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """A copy of the default policy and its lists, free to edit."""
    shutil.copytree(DEFAULT_POLICY.parent / "lists", tmp_path / "lists")
    target = tmp_path / "policy.yaml"
    shutil.copy(DEFAULT_POLICY, target)
    return target


def test_the_default_policy_loads_with_its_lists() -> None:
    policy = load_policy(DEFAULT_POLICY)
    assert policy.version.startswith("2026.11.1+")
    assert len(policy.protected_names) > 20 and len(policy.prohibited) > 5
    assert {rule.id for rule in policy.rules.rules_for("newsroom")} == {rule.id for rule in policy.rules.rules}
    face = {rule.id: rule for rule in policy.rules.rules_for("newsroom")}["output-face"]
    assert face.action.value == "redact"


@pytest.mark.parametrize(
    "edit, message",
    [
        (("action: block", "action: obliterate"), r"policy.yaml:\d+: rules\.\d+\.action: Input should be"),
        (("reason_code: PII_IN_PROMPT", "reason_code: pii in prompt"), r"rules\.0\.reason_code"),
        (("id: prompt-artist", "id: prompt-pii"), "rule ids must be unique: prompt-pii"),
        (("output-face: {action: redact}", "output-feet: {action: redact}"), "unknown rules: output-feet"),
        (("  - id: prompt-pii\n    kind: pii", "  - id: prompt-pii\n    kind: nudity"), "does not occur in context"),
        (('version: "2026.11.1"', "version: [unclosed"), r"policy.yaml:\d+: not valid YAML"),
        (("lists/artists.txt", "lists/missing.txt"), "lists: .*missing.txt"),
        (("reference_scale: 0.6", "reference_scale: 1.5"), r"generation\.reference_scale: Input should be less"),
        # without the prompt PII check, or with PII in prompts only recorded, raw prompts would reach the audit
        (("prompt: [prompt_pii]", "prompt: []"), "checks.prompt must include prompt_pii"),
        (
            (
                "    min_score: 0.4\n    action: redact\n    reason_code: PII_IN_PROMPT",
                "    min_score: 0.4\n    action: allow\n    reason_code: PII_IN_PROMPT",
            ),
            "no rule that redacts or blocks PII",
        ),
        (
            ("output-face: {action: redact}", "output-face: {action: redact}\n    prompt-pii: {action: allow}"),
            "tenant 'newsroom' has no rule that redacts",
        ),
    ],
)
def test_invalid_policies_are_refused_naming_the_problem(
    policy_file: Path, edit: tuple[str, str], message: str
) -> None:
    text = policy_file.read_text()
    assert edit[0] in text
    policy_file.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(PolicyError, match=message):
        load_policy(policy_file)


def test_a_request_may_set_the_reference_scale_up_to_the_policys_maximum(policy_file: Path) -> None:
    policy_file.write_text(policy_file.read_text().replace("max_reference_scale: 1.0", "max_reference_scale: 0.5"))
    generation = load_policy(policy_file).rules.generation
    assert generation.scale_for(None) == 0.5  # the default 0.6, capped
    assert generation.scale_for(0.2) == 0.2 and generation.scale_for(0.9) == 0.5


def test_error_names_the_line_of_the_bad_value(policy_file: Path) -> None:
    lines = policy_file.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "action: block")
    policy_file.write_text(policy_file.read_text().replace("action: block", "action: obliterate", 1))
    with pytest.raises(PolicyError, match=f"policy.yaml:{line}: "):
        load_policy(policy_file)


def test_store_reloads_changes_and_keeps_the_running_policy_on_a_broken_file(policy_file: Path) -> None:
    store = PolicyStore(policy_file)
    first = store.current()
    policy_file.write_text(policy_file.read_text().replace('version: "2026.11.1"', 'version: "2026.11.2"'))
    second = store.current()
    assert second.version.startswith("2026.11.2+") and second is not first
    policy_file.write_text(policy_file.read_text().replace("min_score: 0.9", "min_score: high", 1))
    assert store.current() is second
    assert store.last_error and "min_score" in store.last_error
    (policy_file.parent / "lists" / "artists.txt").write_text("Jane Painter\n")
    policy_file.write_text(policy_file.read_text().replace("min_score: high", "min_score: 0.9", 1))
    third = store.current()
    assert third.version != second.version and store.last_error is None
    assert [m.term for m in third.protected_names.find("like jane painter")] == ["Jane Painter"]
