"""The policy file's schema: rules that map findings, per context, to one action.

A rule fires for a finding when the kind and context match, the label is one of the rule's labels
(any label when none are listed), and the score reaches ``min_score``. An item's action is the
strictest action of the rules that fired (block > review > redact > allow); its reason code is that
of the strictest rule. Scores are the models' own: for protected images 1 - PDQ distance/256, for
styles the calibrated z-score, for listed names and prohibited terms 1.0.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from modstream_models.catalogue import SAFETY_MODELS, TERM_KINDS, FindingKind, redactable_kinds
from streams.events import Action, Context


def _reads_text(context: Context) -> bool:
    return context is Context.PROMPT


# The models that judge each context, the kinds of finding that occur there, and what redact can act on.
MODELS = {
    context: tuple(m.name for m in SAFETY_MODELS.values() if m.reads_text == _reads_text(context))
    for context in Context
}
KINDS = {
    context: frozenset(SAFETY_MODELS[name].kind for name in MODELS[context])
    | (frozenset(TERM_KINDS) if _reads_text(context) else frozenset())
    for context in Context
}
REDACTABLE = {context: redactable_kinds(text=_reads_text(context)) for context in Context}
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


PRIVATE_ACTIONS = (Action.REDACT, Action.BLOCK)  # what keeps PII in a prompt out of every record


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    id: RuleId
    kind: FindingKind
    contexts: list[Context] = Field(min_length=1)
    labels: list[str] | None = Field(None, description="Finding labels the rule covers; unset: all.")
    min_score: float = Field(0.0, description="The rule fires at scores at or above this threshold.")
    action: Action
    reason_code: ReasonCode
    unless_consent: bool = Field(False, description="Does not fire when the request states the subjects' consent.")

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        for context in self.contexts:
            if self.kind not in KINDS[context]:
                raise ValueError(f"kind {self.kind.value!r} does not occur in context {context.value!r}")
            if self.action is Action.REDACT and self.kind not in REDACTABLE[context]:
                raise ValueError(f"{self.kind.value!r} findings cannot be redacted in context {context.value!r}")
        return self

    def covers(self, kind: str, label: str, context: Context) -> bool:
        return kind == self.kind and context in self.contexts and (self.labels is None or label in self.labels)


class RuleChange(Strict):
    """A tenant's change to one rule."""

    min_score: float | None = None
    action: Action | None = None


class Lists(Strict):
    protected_names: dict[str, str] = Field(default_factory=dict, description="list name: file of names")
    prohibited: dict[str, str] = Field(default_factory=dict, description="category: file of terms")


class Generation(Strict):
    """How reference images condition generation (the generator's IP-Adapter scale, 0 to 1)."""

    reference_scale: float = Field(0.6, ge=0, le=1, description="The scale when the request sets none.")
    max_reference_scale: float = Field(1.0, ge=0, le=1, description="The largest scale a request may set.")

    def scale_for(self, requested: float | None) -> float:
        return min(self.reference_scale if requested is None else requested, self.max_reference_scale)


class PolicyFile(Strict):
    """What the YAML file holds."""

    version: str = Field(min_length=1, max_length=64)
    checks: dict[Context, list[str]] = Field(
        default_factory=dict, description="Models that must answer per context; unset: all of that context."
    )
    lists: Lists = Field(default_factory=Lists)
    generation: Generation = Field(default_factory=Generation)
    rules: list[Rule]
    tenants: dict[str, dict[str, RuleChange]] = Field(default_factory=dict)
    review_priority: dict[str, int] = Field(
        default_factory=dict, description="reason code: priority in the review queue (higher first; unlisted: 0)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PolicyFile:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique: {', '.join(duplicates)}")
        for tenant, changes in self.tenants.items():
            unknown = sorted(set(changes) - set(ids))
            if unknown:
                raise ValueError(f"tenant {tenant!r} changes unknown rules: {', '.join(unknown)}")
        for context, models in self.checks.items():
            unknown = sorted(set(models) - set(MODELS[context]))
            if unknown:
                raise ValueError(f"checks.{context.value}: unknown models {', '.join(unknown)}")
        self._prompts_stay_private()
        return self

    def _prompts_stay_private(self) -> None:
        """Prompts reach the audit store and the outcomes only as the PII check redacted them: a policy without
        that check, or under which some tenant's prompt PII is not redacted (or blocked), would put raw prompts
        there, so it is refused."""
        if "prompt_pii" not in self.required_models(Context.PROMPT):
            raise ValueError("checks.prompt must include prompt_pii: without it raw prompts reach the audit store")
        for tenant in ("", *self.tenants):
            if not any(
                rule.kind is FindingKind.PII and Context.PROMPT in rule.contexts and rule.action in PRIVATE_ACTIONS
                for rule in self.rules_for(tenant)
            ):
                whose = f"tenant {tenant!r}" if tenant else "the policy"
                raise ValueError(
                    f"{whose} has no rule that redacts or blocks PII in prompts: raw prompts would be kept"
                )

    def required_models(self, context: Context) -> tuple[str, ...]:
        return tuple(self.checks.get(context, MODELS[context]))

    def rules_for(self, tenant: str) -> list[Rule]:
        changes = self.tenants.get(tenant, {})
        return [
            rule.model_copy(update=changes[rule.id].model_dump(exclude_none=True)) if rule.id in changes else rule
            for rule in self.rules
        ]
