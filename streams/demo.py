"""``modstream demo``: start the embedded stack, submit a mixed sample set, print where each ended, stop."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass

from streams import topics
from streams.client import EndRecord, ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.stack import REPO_ROOT, running_stack
from streams.telemetry import setup_tracing, shutdown_tracing

SAMPLES = REPO_ROOT / "samples"
STAGES = ("screen", "generate", "moderate", "outcomes")


@dataclass(frozen=True)
class DemoItem:
    label: str
    expected: str
    request_id: str = ""


async def _submit_samples(settings: Settings) -> list[DemoItem]:
    items: list[DemoItem] = []
    async with ModstreamClient(settings) as client:
        # Fixed seeds: the tiny random generator makes noise, and a fixed seed makes the same noise every run.
        for seed, prompt in enumerate(("a lighthouse on a cliff at dusk", "a bowl of ramen, studio light"), 1):
            request_id = await client.submit_prompt(prompt, user_id="demo-user", seed=seed)
            items.append(DemoItem(f"prompt: {prompt}", "published", request_id))
        for name, expected in (("astronaut.jpg", "review"), ("coffee.jpg", "published")):
            request_id = await client.submit_image((SAMPLES / name).read_bytes(), user_id="demo-user")
            items.append(DemoItem(f"image: {name}", expected, request_id))
        request_id = await client.submit_image(b"GIF89a but not really an image", user_id="demo-user")
        items.append(DemoItem("image: non-image bytes", "dead-letter", request_id))
        await client.send_raw(topics.REQUESTS, b'{"prompt": "no request id, no schema"', key="demo-malformed")
        items.append(DemoItem("malformed JSON event", "dead-letter", "demo-malformed"))
    return items


def _row(item: DemoItem, ends: list[EndRecord]) -> dict[str, object]:
    end = ", ".join(record.end for record in ends) or "NONE"
    value = ends[0].value if ends else {}
    timings = value.get("timings_ms", {})
    return {
        "request_id": item.request_id,
        "input": item.label,
        "end": end,
        "expected": item.expected,
        "reason": value.get("reason", ""),
        **{f"{stage}_ms": timings.get(stage) for stage in STAGES},
    }


def _table(rows: list[dict[str, object]]) -> str:
    header = ["input", "end", "reason", *[f"{s} ms" for s in STAGES]]
    lines = [header]
    for row in rows:
        timings = [row[f"{s}_ms"] for s in STAGES]
        lines.append(
            [
                str(row["input"])[:40],
                str(row["end"]),
                str(row["reason"])[:60],
                *["-" if t is None else f"{t:.0f}" for t in timings],
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines)


def run_demo(settings: Settings, *, as_json: bool, timeout_s: float) -> int:
    setup_tracing("modstream-demo", settings.span_file)
    with running_stack(settings, progress=lambda step: print(f"... {step}", flush=True)) as stack:
        print("ready", flush=True)
        effective = stack.effective_settings()
        items = asyncio.run(_submit_samples(effective))
        print(f"... submitted {len(items)} items; waiting for their ends", flush=True)
        ends = asyncio.run(wait_for_ends(effective, [i.request_id for i in items], timeout_s, settle_s=2.0))
    shutdown_tracing()
    rows = [_row(item, ends[item.request_id]) for item in items]
    print(json.dumps(rows, indent=2) if as_json else _table(rows))
    wrong = [r for r in rows if r["end"] != r["expected"]]
    for row in wrong:
        print(f"unexpected: {row['input']} ended in {row['end']}, expected {row['expected']}", file=sys.stderr)
    if not wrong:
        print(f"every item reached exactly one end; trace one with: modstream trace {items[0].request_id}")
    return 1 if wrong else 0
