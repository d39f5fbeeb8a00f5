"""Which detections count as findings, until the policy file of the next issue takes over.

Every safety model reports more than what matters (the closest bank entries at any distance, every
gallery's score, covered NudeNet classes); these thresholds from the settings pick what counts.
"""

from __future__ import annotations

from modstream_models.nudity import EXPOSED_CLASSES
from streams.config import Settings
from streams.events import Finding


def counts(finding: Finding, settings: Settings) -> bool:
    if finding.kind == "face":
        return finding.score >= settings.face_min_score
    if finding.kind == "pii":
        return finding.score >= settings.pii_min_score
    if finding.kind == "nudity":
        return finding.label in EXPOSED_CLASSES and finding.score >= settings.nudity_min_score
    if finding.kind == "protected_match":
        return float(finding.detail["distances"]) <= settings.protected_max_distance
    if finding.kind == "style":
        return finding.score >= settings.style_min_z
    raise ValueError(f"no threshold for findings of kind {finding.kind!r}")


def flagged(detections: list[Finding], settings: Settings) -> list[Finding]:
    return [finding for finding in detections if counts(finding, settings)]
