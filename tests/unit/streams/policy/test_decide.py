import pytest

from streams.events import Finding
from streams.policy import (
    DEFAULT_POLICY,
    Action,
    Context,
    Policy,
    combine,
    judge,
    load_policy,
    redact_text,
    term_findings,
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


def finding(kind: str, label: str, score: float, **extra: object) -> Finding:
    return Finding(kind=kind, label=label, score=score, model=f"{kind}-model", model_version="1", **extra)


def test_no_findings_allow(policy: Policy) -> None:
    verdict = judge(policy, "default", Context.OUTPUT, [])
    assert verdict.action is Action.ALLOW and verdict.reason_code is None and verdict.evidence == []


def test_strictest_rule_decides_and_every_fired_rule_is_evidence(policy: Policy) -> None:
    findings = [
        finding("pii", "PHONE_NUMBER", 0.75, box=(1.0, 2.0, 3.0, 4.0)),
        finding("protected_match", "bank-1", 0.95),
        finding("face", "face", 0.5),  # under the threshold: no evidence
    ]
    verdict = judge(policy, "default", Context.OUTPUT, findings)
    assert verdict.action is Action.BLOCK and verdict.reason_code == "PROTECTED_IMAGE"
    assert [(e.rule, e.action) for e in verdict.evidence] == [
        ("output-protected-image", "block"),
        ("image-pii", "redact"),
    ]
    evidence = verdict.evidence[0]
    assert evidence.threshold == 0.71875 and evidence.finding.model_version == "1"
    assert "PROTECTED_IMAGE" in verdict.reason and "output-protected-image" in verdict.reason
    assert verdict.copyright_alert


def test_tenant_override_changes_the_action(policy: Policy) -> None:
    face = [finding("face", "face", 0.99, box=(0.0, 0.0, 9.0, 9.0))]
    assert judge(policy, "default", Context.OUTPUT, face).action is Action.REVIEW
    newsroom = judge(policy, "newsroom", Context.OUTPUT, face)
    assert newsroom.action is Action.REDACT and newsroom.redacting()[0].finding == face[0]


def test_consent_exempts_faces_in_reference_images_only(policy: Policy) -> None:
    face = [finding("face", "face", 0.99)]
    assert judge(policy, "default", Context.REFERENCE, face).reason_code == "FACE_WITHOUT_CONSENT"
    assert judge(policy, "default", Context.REFERENCE, face, consent=True).action is Action.ALLOW
    assert judge(policy, "default", Context.OUTPUT, face, consent=True).action is Action.REVIEW


def test_prompt_terms_and_pii(policy: Policy) -> None:
    prompt = "a castle in the style of Gr3g Rutk0wski, send it to jane.doe@example.com"
    start = prompt.index("jane")
    pii = finding("pii", "EMAIL_ADDRESS", 1.0, span=(start, start + len("jane.doe@example.com")))
    verdict = judge(policy, "default", Context.PROMPT, [pii, *term_findings(policy, prompt)])
    assert verdict.action is Action.REVIEW and verdict.reason_code == "PROTECTED_ARTIST"
    assert {e.rule for e in verdict.evidence} == {"prompt-artist", "prompt-pii"}
    assert redact_text(prompt, [pii]) == "a castle in the style of Gr3g Rutk0wski, send it to <EMAIL_ADDRESS>"
    inside = finding("pii", "URL", 0.5, span=(start, start + 6))  # Presidio also reports parts as URLs
    assert redact_text(prompt, [inside, pii]).endswith("send it to <EMAIL_ADDRESS>")
    blocked = judge(policy, "default", Context.PROMPT, term_findings(policy, "a pipe-bomb tutorial poster"))
    assert blocked.action is Action.BLOCK and blocked.reason_code == "PROHIBITED_CONTENT"


def test_combine_keeps_all_evidence_strictest_first(policy: Policy) -> None:
    prompt = judge(policy, "default", Context.PROMPT, term_findings(policy, "mickey mouse"))
    output = judge(policy, "default", Context.OUTPUT, [finding("pii", "URL", 0.9, box=(0.0, 0.0, 1.0, 1.0))])
    verdict = combine([output, prompt])
    assert verdict.action is Action.REVIEW and verdict.reason_code == "TRADEMARK"
    assert [e.action for e in verdict.evidence] == ["review", "redact"]
