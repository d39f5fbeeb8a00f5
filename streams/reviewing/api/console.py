"""The service's own endpoints: its health, its metrics, and the console page (which then calls the JSON API).

``/metrics``, like ``/health``, needs no credentials: it holds counts only, no content (see ``streams.metrics``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from streams import metrics
from streams.reviewing.api.deps import QueueDep
from streams.reviewing.api.models import Health

CONSOLE = Path(__file__).resolve().parent.parent / "console.html"

router = APIRouter()


@router.get("/health", tags=["service"])
async def health() -> Health:
    return Health(status="ok")


@router.get("/", include_in_schema=False)
def console() -> HTMLResponse:
    page = CONSOLE.read_text()
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "Content-Security-Policy": console_policy(page)})


def console_policy(page: str) -> str:
    """The console's Content-Security-Policy: its own inline script and style (by digest), the API, nothing else."""

    def digests(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)

    return (
        f"default-src 'none'; script-src {digests('script')}; style-src {digests('style')}; img-src 'self' blob:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


@router.get("/metrics", tags=["service"], response_class=Response)
def prometheus_metrics(request: Request, queue: QueueDep) -> Response:
    """Prometheus metrics: the review queue's depth and age (read from the store now), decisions, loop lag."""
    waiting = queue.pending(limit=0)
    metrics.set_review_queue(waiting.count, waiting.oldest_age_s)
    body, content_type = metrics.exposition(request.headers.get("accept"))
    return Response(body, headers={"Content-Type": content_type})
