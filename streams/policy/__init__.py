"""The acceptable-use policy as data: the file's schema, loading and reloading, and verdicts from findings."""

from streams.events import Action, Context
from streams.policy.decide import Verdict, combine, judge, redact_text, term_findings, verdict_of
from streams.policy.loader import DEFAULT_POLICY, Policy, PolicyError, PolicyStore, load_policy

__all__ = [
    "DEFAULT_POLICY",
    "Action",
    "Context",
    "Policy",
    "PolicyError",
    "PolicyStore",
    "Verdict",
    "combine",
    "judge",
    "load_policy",
    "redact_text",
    "term_findings",
    "verdict_of",
]
