"""Human review and its records: the review service and queue, reviewer accounts, the audit trail, erasure."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

import click

from streams.cli.exits import CommandFailed, ModstreamGroup, NothingFound
from streams.cli.output import emit, json_option
from streams.cli.stack import LOG_LEVELS
from streams.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from streams.reviewing.client import ReviewClient
    from streams.store import Accounts

REQUEST_ID = click.argument("request_id")
NOTE = click.option("--reason", default="", help="a note for the audit record")


@click.command("review-service", help="run the review service: console, JSON API, audit store feed (what `up` starts)")
@click.option("--loglevel", default="info", show_default=True, type=LOG_LEVELS, help="uvicorn's log level")
def review_service(loglevel: str) -> None:
    import uvicorn

    from streams.reviewing.service import create_app
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-review", settings.span_file)
    uvicorn.run(create_app(settings), host=settings.review_host, port=settings.review_port, log_level=loglevel)


def _client() -> ReviewClient:
    from streams.reviewing.client import ReviewClient

    return ReviewClient(get_settings())


@click.group(
    cls=ModstreamGroup,
    short_help="work the review queue over the review service's API",
    help="Work the review queue over the review service's API. Needs MODSTREAM_REVIEW_TOKEN (an API token "
    "from `modstream users add`) and, for a remote service, MODSTREAM_REVIEW_URL.",
)
def review() -> None:
    pass


@review.command("list", help="waiting items, highest priority and oldest first")
@click.option("--reason-code", help="only this reason code")
@click.option("--tenant", help="only this tenant")
@json_option()
def review_list(reason_code: str | None, tenant: str | None) -> None:
    queue = _client().pending(reason_code, tenant)
    lines = [f"{queue['count']} waiting, oldest {queue['oldest_age_s'] or 0:.0f} s"]
    lines += [
        f"{i['request_id']}  {i['reason_code'] or '-':22} p{i['priority']}  {i['tenant']}  {i['queued_at']}"
        + (f"  claimed by {i['claimed_by']}" if i["claimed_by"] else "")
        for i in queue["items"]
    ]
    emit(queue, "\n".join(lines))


@review.command("show", help="an item with its evidence (claims it for you)")
@REQUEST_ID
@json_option()
def review_show(request_id: str) -> None:
    item = _client().open(request_id)
    evidence = [
        f"  {e['rule']}: {e['finding']['kind']} {e['finding']['label']} score {e['finding']['score']:.3f} "
        f">= {e['threshold']} ({e['finding']['model']} v{e['finding']['model_version']}) -> {e['action']}"
        for e in item["item"]["evidence"]
    ]
    lines = [f"{item['request_id']}: {item['reason_code']} ({item['reason']})", f"  prompt: {item['prompt']}"]
    emit(item, "\n".join(lines + evidence))


def _decide(request_id: str, action: str, reason_code: str | None, reason: str) -> None:
    applied = _client().decide(request_id, action, reason_code, reason)
    emit(applied, f"{request_id}: {action} sent")


@review.command("approve", help="publish the item")
@REQUEST_ID
@click.option("--redacted", is_flag=True, help="publish the redacted preview instead")
@NOTE
@json_option()
def review_approve(request_id: str, redacted: bool, reason: str) -> None:
    _decide(request_id, "redact_approve" if redacted else "approve", None, reason)


@review.command("reject", help="reject the item with a reason code")
@REQUEST_ID
@click.option("--reason-code", required=True, help="what upstream apps show, e.g. NUDITY")
@NOTE
@json_option()
def review_reject(request_id: str, reason_code: str, reason: str) -> None:
    _decide(request_id, "reject", reason_code, reason)


@review.command("recheck", help="run the image checks again (for an item whose checks did not run)")
@REQUEST_ID
@NOTE
@json_option()
def review_recheck(request_id: str, reason: str) -> None:
    _decide(request_id, "recheck", None, reason)


def _store() -> Engine:
    from streams.store import open_database

    return open_database(get_settings().database)


def _accounts() -> Accounts:
    from streams.reviewing.services import open_accounts

    return open_accounts(get_settings(), _store())


@click.group(cls=ModstreamGroup, help="manage reviewer accounts (in the audit and review store)")
def users() -> None:
    pass


def _password(name: str, from_stdin: bool) -> str | None:
    """The console password: a line of stdin, else asked for on a terminal; None gives an API token only."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {name} (empty: API token only): ") or None
    return None


@users.command("add", help="add an account; prints its API token once")
@click.argument("name")
@click.option(
    "--role",
    default="reviewer",
    show_default=True,
    type=click.Choice(["reviewer", "lead", "admin"]),
    help="what the account may do: leads and admins may also see unredacted images",
)
@click.option("--password-stdin", is_flag=True, help="read the console password from stdin")
@json_option()
def users_add(name: str, role: str, password_stdin: bool) -> None:
    from streams.store import Role

    token = _accounts().add(name, Role(role), _password(name, password_stdin))
    emit({"name": name, "role": role, "token": token}, f"added {name} ({role}); API token (shown once): {token}")


@users.command("remove", help="remove an account and end its sessions")
@click.argument("name")
@json_option()
def users_remove(name: str) -> None:
    if not _accounts().remove(name):
        raise CommandFailed(f"no user {name}")
    emit({"removed": name}, f"removed {name}")


@users.command("rotate-token", help="issue a new API token for an account; the old one stops working at once")
@click.argument("name")
@json_option()
def users_rotate_token(name: str) -> None:
    from streams.store import AuthError

    try:
        token = _accounts().rotate_token(name)
    except AuthError as exc:
        raise CommandFailed(str(exc)) from None
    emit({"name": name, "token": token}, f"new API token for {name} (shown once; the old one no longer works): {token}")


@users.command("list", help="list accounts and when their API tokens expire")
@json_option()
def users_list() -> None:
    found = _accounts().list()
    lines = [f"{a.name}  {a.role}  token expires {a.token_expires_at or 'never: rotate it'}" for a in found]
    emit(found, "\n".join(lines) or "no users")


@click.command(help="the recorded history of a request, from the audit store")
@REQUEST_ID
@json_option()
def audit(request_id: str) -> None:
    from streams.store import AuditStore

    history = AuditStore(_store()).history(request_id)
    lines = [
        f"{h.at.isoformat()}  {h.stage:9} {h.action:18} {h.reason_code or '':20} {h.reason}"
        + (f"  [{h.actor}]" if h.actor else "")
        for h in history
    ]
    emit(history, "\n".join(lines) or f"nothing recorded for {request_id}")
    if not history:
        raise NothingFound


@click.command(help="erase a user's prompts, images and review items from the store and the blob store")
@click.option("--user", required=True, metavar="PSEUDONYM", help="the pseudonymised user id (u_...)")
@json_option()
def erase(user: str) -> None:
    from streams.erasure import erase_user

    report = erase_user(get_settings(), user)
    left = "".join(f"\n  left: {entry['what']}: {entry['why']}" for entry in report["left"])
    emit(report, f"erased {user}: {len(report['requests'])} request(s), {report['blobs_deleted']} blob(s){left}")


COMMANDS = (review_service, review, users, audit, erase)
