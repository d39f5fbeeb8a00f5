"""``modstream scan``: every safety model on local image files, through the Triton server.

Uses the configured Triton server (``MODSTREAM_TRITON_URL``), else an embedded one that is already
running (``modstream up``), else starts the embedded one for the scan and stops it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from modstream_models.catalogue import IMAGE_SAFETY_MODELS
from streams.config import Settings
from streams.events import Finding
from streams.inference import InferenceRejected, InferenceUnavailable, TritonClient
from streams.policy import Context, Policy, Verdict, judge, load_policy

# Each image safety model's findings in its own section of the report.
SECTIONS = {model.kind: model.section for model in IMAGE_SAFETY_MODELS}


@contextlib.contextmanager
def triton_server(settings: Settings, progress: Callable[[str], None]) -> Iterator[str]:
    """The gRPC address of a Triton server with the modstream models, starting one if there is none."""
    from streams.processes import http_ok
    from streams.stack import start_triton

    if settings.triton_url:
        yield settings.triton_url
        return
    if http_ok(f"http://127.0.0.1:{settings.triton_http_port}/v2/health/ready"):
        progress(f"using the running embedded Triton server on port {settings.triton_grpc_port}")
        yield settings.triton_grpc
        return
    progress("starting the embedded Triton server (loading the models takes a while)")
    part = start_triton(settings, settings.data_dir / "logs")
    try:
        yield settings.triton_grpc
    finally:
        part.stop()


def _finding_json(finding: Finding, verdict: Verdict) -> dict[str, Any]:
    fired = [e for e in verdict.evidence if e.finding == finding]
    return {
        "label": finding.label,
        "score": round(finding.score, 4),
        "box": [round(value, 1) for value in finding.box] if finding.box else None,
        **{name: value for name, value in finding.detail.items()},
        "counts": bool(fired),
        "rules": [{"rule": e.rule, "action": e.action, "reason_code": e.reason_code} for e in fired],
        "model": finding.model,
        "model_version": finding.model_version,
    }


def _redacted_copy(data: bytes, verdict: Verdict) -> bytes:
    from streams.policy.redaction import redact_image

    return redact_image(data, verdict.evidence)  # it blurs the faces and fills the PII text among them


async def scan_files(
    paths: list[Path], settings: Settings, triton_url: str, redact_dir: Path | None = None, tenant: str = "default"
) -> list[dict[str, Any]]:
    """One report per image: every finding, and what the policy (for ``tenant``, on outputs) makes of it."""
    policy = load_policy(settings.policy_path)
    client = TritonClient(triton_url, timeout_s=settings.triton_timeout_s, retries=settings.triton_retries)
    try:
        return list(await asyncio.gather(*(_scan_one(client, path, policy, tenant, redact_dir) for path in paths)))
    finally:
        await client.close()


async def _scan_one(
    client: TritonClient, path: Path, policy: Policy, tenant: str, redact_dir: Path | None
) -> dict[str, Any]:
    report: dict[str, Any] = {"image": str(path)}
    try:
        data = path.read_bytes()
        scan = await client.scan(data, request_id=f"scan-{hashlib.sha256(data).hexdigest()[:16]}")
    except (OSError, InferenceRejected, InferenceUnavailable) as exc:
        report["error"] = str(exc)
        return report
    verdict = judge(policy, tenant, Context.OUTPUT, scan.detections)
    for kind, section in SECTIONS.items():
        report[section] = [_finding_json(f, verdict) for f in scan.detections if f.kind == kind]
    report["flagged"] = bool(verdict.evidence)
    report["verdict"] = {"action": verdict.action.value, "reason_code": verdict.reason_code, "reason": verdict.reason}
    report["policy_version"] = policy.version
    report["model_versions"] = scan.model_versions
    if redact_dir is not None:
        redact_dir.mkdir(parents=True, exist_ok=True)
        target = redact_dir / f"{path.stem}.redacted.png"
        target.write_bytes(_redacted_copy(data, verdict))
        report["redacted"] = str(target)
    return report


def format_report(report: dict[str, Any]) -> str:
    if "error" in report:
        return f"{report['image']}: ERROR {report['error']}"
    verdict = report["verdict"]
    lines = [f"{report['image']}: {verdict['action'].upper()} ({verdict['reason']})"]
    for section in SECTIONS.values():
        shown = [item for item in report[section] if item["counts"]]
        described = ", ".join(
            f"{item['label']} {item['score']:.2f}" + (f" at {item['box']}" if item["box"] else "") for item in shown
        )
        lines.append(f"  {section}: {described or '-'}")
    if "redacted" in report:
        lines.append(f"  redacted copy: {report['redacted']}")
    return "\n".join(lines)
