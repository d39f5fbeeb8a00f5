"""From findings to a verdict: which rules fired, the action they ask for, and the evidence.

Pure logic over a loaded ``Policy``; the stages gather the findings (from Triton, and for prompts
from the term lists here) and act on the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from modstream_models.catalogue import COPYRIGHT_KINDS, FindingKind
from streams.events import Action, Context, Evidence, Finding
from streams.policy.loader import Policy
from streams.policy.terms import TermList

TERM_MODELS = {FindingKind.PROTECTED_NAME: "protected-names", FindingKind.PROHIBITED: "prohibited-terms"}


@dataclass(frozen=True)
class Verdict:
    """The rules that fired (strictest first, see ``verdict_of``) and what they ask for."""

    evidence: list[Evidence] = field(default_factory=list)

    @property
    def action(self) -> Action:
        """The strictest action of the evidence; allow when there is none."""
        return max((e.action for e in self.evidence), key=lambda a: a.severity, default=Action.ALLOW)

    @property
    def deciding(self) -> Evidence | None:
        """The evidence of the strictest rule that fired (the first of equals)."""
        strictest = [e for e in self.evidence if e.action is self.action]
        return strictest[0] if strictest and self.action is not Action.ALLOW else None

    @property
    def reason_code(self) -> str | None:
        return self.deciding.reason_code if self.deciding else None

    @property
    def reason(self) -> str:
        if self.deciding is None:
            return "no rule asks for more than allow"
        e = self.deciding
        return (
            f"{e.reason_code}: {e.context} {e.finding.kind} {e.finding.label!r} scored {e.finding.score:.3g} "
            f">= {e.threshold:.3g} (rule {e.rule})"
        )

    def redacting(self) -> list[Evidence]:
        return [e for e in self.evidence if e.action is Action.REDACT]

    @property
    def copyright_alert(self) -> bool:
        return any(e.finding.kind in COPYRIGHT_KINDS and e.action is not Action.ALLOW for e in self.evidence)


def judge(policy: Policy, tenant: str, context: Context, findings: Iterable[Finding], consent: bool = False) -> Verdict:
    """Every rule of ``tenant``'s policy that fires on ``findings`` in ``context``."""
    rules = policy.rules.rules_for(tenant)
    evidence = [
        Evidence(
            rule=rule.id,
            context=context,
            action=rule.action,
            reason_code=rule.reason_code,
            threshold=rule.min_score,
            finding=finding,
        )
        for finding in findings
        for rule in rules
        if rule.covers(finding.kind, finding.label, context)
        and finding.score >= rule.min_score
        and not (rule.unless_consent and consent)
    ]
    return verdict_of(evidence)


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict from several (prompt, reference, output): the strictest action, all the evidence."""
    return verdict_of([e for verdict in verdicts for e in verdict.evidence])


def verdict_of(evidence: Iterable[Evidence]) -> Verdict:
    """The verdict that ``evidence`` asks for: its strictest action (allow when there is none)."""
    return Verdict(sorted(evidence, key=lambda e: -e.action.severity))


def term_findings(policy: Policy, prompt: str) -> list[Finding]:
    """Listed protected names and prohibited terms in ``prompt``, with the spans they cover."""
    found = []
    for kind, terms in (
        (FindingKind.PROTECTED_NAME, policy.protected_names),
        (FindingKind.PROHIBITED, policy.prohibited),
    ):
        found += _term_findings(kind, terms, prompt, policy.version)
    return found


def _term_findings(kind: FindingKind, terms: TermList, prompt: str, version: str) -> list[Finding]:
    return [
        Finding(
            kind=kind,
            label=match.category,
            score=1.0,
            span=(match.start, match.end),
            model=TERM_MODELS[kind],
            model_version=f"policy {version}",
            detail={"term": match.term},
        )
        for match in terms.find(prompt)
    ]


def redact_text(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each PII finding's span replaced by its entity type: "mail <EMAIL_ADDRESS> now"."""
    spans = sorted(
        {(f.span, f.label) for f in findings if f.kind is FindingKind.PII and f.span},
        key=lambda item: (item[0][0], -item[0][1]),
    )
    pieces, position = [], 0
    for (start, end), label in spans:  # the widest entity first where several start together
        if start < position:  # inside an entity already replaced (a URL within an email address)
            continue
        pieces += [text[position:start], f"<{label}>"]
        position = end
    return "".join([*pieces, text[position:]])
