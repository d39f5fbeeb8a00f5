"""The audit history of a request."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from streams.reviewing.api.deps import AuditDep, CurrentUser
from streams.reviewing.api.models import AuditStep, Message

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("/{request_id}", responses={404: {"model": Message}})
def audit_history(request_id: str, user: CurrentUser, audit: AuditDep) -> list[AuditStep]:
    """Every recorded step of a request, oldest first."""
    history = audit.history(request_id)
    if not history:
        raise HTTPException(404, f"nothing recorded for {request_id}")
    return [AuditStep.of(record) for record in history]
