"""Console logins: a session cookie (HttpOnly, SameSite=Strict) and the CSRF token that goes with it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from streams.reviewing.api.deps import (
    SESSION_COOKIE,
    AccountsDep,
    CurrentUser,
    ServicesDep,
    SessionCookie,
    SettingsDep,
)
from streams.reviewing.api.models import Login, Me, Message
from streams.store import AuthError

router = APIRouter(prefix="/api", tags=["session"])


@router.post("/login", responses={401: {"model": Message}, 429: {"model": Message}})
def login(
    body: Login,
    request: Request,
    response: Response,
    accounts: AccountsDep,
    settings: SettingsDep,
    services: ServicesDep,
) -> Me:
    """A console session. After 5 wrong passwords for a name (20 from an address) in 5 minutes: 429."""
    throttle, address = services.login_throttle, request.client.host if request.client else "unknown"
    wait = throttle.retry_after(body.username, address)
    if wait is not None:
        raise HTTPException(429, f"too many failed logins: try again in {wait} s", headers={"Retry-After": str(wait)})
    try:
        session = accounts.login(body.username, body.password)
    except AuthError as exc:
        throttle.failed(body.username, address)
        raise HTTPException(401, str(exc)) from None
    throttle.succeeded(body.username)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        # behind a TLS-terminating proxy the request arrives as http, with X-Forwarded-Proto saying https
        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
        max_age=int(settings.review_session_hours * 3600),
    )
    return Me(name=session.user.name, role=session.user.role.value, csrf_token=session.csrf_token)


@router.post("/logout")
def logout(user: CurrentUser, response: Response, cookie: SessionCookie, accounts: AccountsDep) -> Message:
    if cookie:
        accounts.logout(cookie)
    response.delete_cookie(SESSION_COOKIE)
    return Message(detail=f"{user.name} logged out")


@router.get("/me")
def me(user: CurrentUser, cookie: SessionCookie, accounts: AccountsDep) -> Me:
    session = accounts.session(cookie) if cookie else None
    return Me(name=user.name, role=user.role.value, csrf_token=session.csrf_token if session else None)
