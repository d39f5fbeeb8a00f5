"""The API's dependencies: the services opened at start-up, and who is calling.

Every service comes through a function here, so a test swaps one with ``app.dependency_overrides``
(the Kafka sender for a list, the clock for a fixed time).
"""

from __future__ import annotations

import hmac
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from streams.authentication import DecisionSigner
from streams.blobs import BlobStore
from streams.config import Settings
from streams.reviewing.sender import Sender
from streams.reviewing.services import Services
from streams.store import Accounts, AuditStore, ReviewQueue, User
from streams.store.timeutil import Clock

SESSION_COOKIE = "modstream_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="API token from `modstream users add`")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="console login session")


async def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


async def get_accounts(services: ServicesDep) -> Accounts:
    return services.accounts


async def get_queue(services: ServicesDep) -> ReviewQueue:
    return services.queue


async def get_audit(services: ServicesDep) -> AuditStore:
    return services.audit


async def get_blobs(services: ServicesDep) -> BlobStore:
    return services.blobs


async def get_decision_signer(services: ServicesDep) -> DecisionSigner:
    return services.decision_signer


async def get_sender(services: ServicesDep) -> Sender:
    """Where decisions and view events go: the Kafka producer (a test puts a list in its place)."""
    return services.sender


async def get_clock(services: ServicesDep) -> Clock:
    return services.clock


SettingsDep = Annotated[Settings, Depends(get_settings)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
QueueDep = Annotated[ReviewQueue, Depends(get_queue)]
AuditDep = Annotated[AuditStore, Depends(get_audit)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
SenderDep = Annotated[Sender, Depends(get_sender)]
DecisionSignerDep = Annotated[DecisionSigner, Depends(get_decision_signer)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SessionCookie = Annotated[str | None, Depends(session_cookie)]


def current_user(
    request: Request,
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: SessionCookie,
    accounts: AccountsDep,
) -> User:
    """The caller, by API token or by console session; a session must send its CSRF token to change anything."""
    if token is not None:
        user = accounts.by_token(token.credentials)
        if user is None:
            raise HTTPException(
                401,
                "unknown or expired API token: `modstream users rotate-token NAME` issues a new one",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return user
    session = accounts.session(cookie) if cookie else None
    if session is None:
        raise HTTPException(
            401,
            "log in (POST /api/login) or send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get("x-csrf-token", "").encode(), session.csrf_token.encode()
    ):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header: reload the console")
    return session.user


CurrentUser = Annotated[User, Depends(current_user)]
