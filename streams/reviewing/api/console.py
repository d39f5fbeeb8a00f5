"""The service's own endpoints: its health, and the console page (which then calls the JSON API)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from streams.reviewing.api.models import Health

CONSOLE = Path(__file__).resolve().parent.parent / "console.html"

router = APIRouter()


@router.get("/health", tags=["service"])
async def health() -> Health:
    return Health(status="ok")


@router.get("/", include_in_schema=False)
def console() -> HTMLResponse:
    return HTMLResponse(CONSOLE.read_text(), headers={"Cache-Control": "no-store"})
