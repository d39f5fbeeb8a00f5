"""The ``modstream`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from streams.config import Settings, get_settings


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text)


def cmd_up(args: argparse.Namespace) -> int:
    from streams.stack import Stack, StackError
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-cli", settings.span_file)
    stack = Stack(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack.start(progress=lambda step: print(f"... {step}", flush=True))
    except StackError as exc:
        print(f"modstream up failed: {exc}", file=sys.stderr)
        return 1
    effective = stack.effective_settings()
    print(
        f"ready: kafka {effective.kafka_bootstrap}, triton {effective.triton_grpc}, "
        f"worker http://127.0.0.1:{settings.worker_web_port}, review console {settings.review_base_url}; "
        f"logs in {stack.log_dir}. Ctrl-C stops.",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            for name, part in stack.parts.items():
                if not part.alive():
                    print(f"{name} exited (code {part.process.returncode}); see {part.log}", file=sys.stderr)
                    stop.set()
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        print("stopped", flush=True)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-worker", settings.span_file)
    import streams.stages  # noqa: F401  (registers the agents)
    from streams.app import app

    sys.argv = ["modstream-worker", "worker", "--loglevel", args.loglevel]
    app.main()
    return 0


async def _submit(args: argparse.Namespace, settings: Settings) -> str:
    from streams.client import ModstreamClient

    async with ModstreamClient(settings) as client:
        if args.image:
            return await client.submit_image(
                Path(args.image).read_bytes(), user_id=args.user, tenant=args.tenant, prompt=args.prompt
            )
        reference = Path(args.reference).read_bytes() if args.reference else None
        return await client.submit_prompt(
            args.prompt,
            user_id=args.user,
            tenant=args.tenant,
            reference_image=reference,
            subject_consent=args.consent,
            seed=args.seed,
        )


def cmd_submit(args: argparse.Namespace) -> int:
    from streams.telemetry import setup_tracing, shutdown_tracing

    if not args.prompt and not args.image:
        print("modstream submit: give --prompt TEXT (to generate) or --image FILE (to moderate)", file=sys.stderr)
        return 2
    settings = get_settings()
    setup_tracing("modstream-cli", settings.span_file)
    request_id = asyncio.run(_submit(args, settings))
    shutdown_tracing()
    _print({"request_id": request_id}, args.json, request_id)
    return 0


def cmd_outcome(args: argparse.Namespace) -> int:
    from streams.client import wait_for_ends

    ends = asyncio.run(wait_for_ends(get_settings(), [args.request_id], timeout_s=args.wait))[args.request_id]
    if not ends:
        _print({"request_id": args.request_id, "end": None}, args.json, f"{args.request_id}: no end yet")
        return 3
    records = [{"end": record.end, "topic": record.topic, "event": record.value} for record in ends]
    text = "\n".join(f"{args.request_id}: {record.end} ({record.value.get('reason', '')})" for record in ends)
    _print(records if len(records) > 1 else records[0], args.json, text)
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    from streams.telemetry import format_trace_tree, read_spans, spans_of_request

    spans = spans_of_request(read_spans(get_settings().span_file), args.request_id)
    _print(spans, args.json, format_trace_tree(spans))
    return 0 if spans else 3


def cmd_schemas(args: argparse.Namespace) -> int:
    from streams.events import json_schemas, write_json_schemas

    directory = Path(args.dir)
    if args.write:
        for path in write_json_schemas(directory):
            print(path)
        return 0
    stale = [
        name
        for name, text in json_schemas().items()
        if not (directory / name).is_file() or (directory / name).read_text() != text
    ]
    if stale:
        print(f"out of date in {directory}: {', '.join(stale)}; run: modstream schemas --write", file=sys.stderr)
        return 1
    print(f"{directory}: up to date")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(get_settings(), as_json=args.json, timeout_s=args.timeout)


def cmd_scan(args: argparse.Namespace) -> int:
    from streams.scan import format_report, scan_files, triton_server
    from streams.stack import StackError

    settings = get_settings()
    paths = [Path(path) for path in args.images]
    try:
        with triton_server(settings, progress=lambda step: print(f"... {step}", file=sys.stderr, flush=True)) as url:
            redact_dir = Path(args.redact) if args.redact else None
            reports = asyncio.run(scan_files(paths, settings, url, redact_dir))
    except StackError as exc:
        print(f"modstream scan: {exc}", file=sys.stderr)
        return 1
    _print(reports, args.json, "\n".join(format_report(report) for report in reports))
    return 1 if any("error" in report for report in reports) else 0


def cmd_bank(args: argparse.Namespace) -> int:
    from modstream_models.protected import BankError, ProtectedBank

    settings = get_settings()
    bank = ProtectedBank(settings.protected_bank_file)
    try:
        if args.bank_command == "add":
            added = []
            for path in args.images:
                entry = bank.add(_open_image(path), label=args.label or Path(path).stem, source=str(path))
                added.append({"id": entry.id, "label": entry.label, "quality": entry.quality, "source": entry.source})
            _print(
                added, args.json, "\n".join(f"added {a['id']} {a['label']} (PDQ quality {a['quality']})" for a in added)
            )
        elif args.bank_command == "remove":
            entry = bank.remove(args.id)
            _print({"removed": entry.id}, args.json, f"removed {entry.id} {entry.label}")
        else:
            rows = [
                {"id": e.id, "label": e.label, "source": e.source, "added_at": e.added_at, "quality": e.quality}
                for e in bank.entries.values()
            ]
            text = "\n".join(f"{r['id']}  {r['label']}  {r['added_at']}  {r['source']}" for r in rows)
            _print(rows, args.json, text or f"the protected bank ({bank.path}) is empty")
    except (BankError, ValueError) as exc:
        print(f"modstream bank: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    from streams.policy import PolicyError, load_policy

    path = Path(args.file) if args.file else get_settings().policy_path
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        print(f"modstream policy check: {exc}", file=sys.stderr)
        return 1
    tenants = sorted(policy.rules.tenants)
    summary = {
        "file": str(path),
        "version": policy.version,
        "rules": len(policy.rules.rules),
        "tenants": tenants,
        "protected_names": len(policy.protected_names),
        "prohibited_terms": len(policy.prohibited),
    }
    text = (
        f"{path}: policy {policy.version} is valid: {summary['rules']} rules, "
        f"{summary['protected_names']} protected names, {summary['prohibited_terms']} prohibited terms, "
        f"tenant overrides: {', '.join(tenants) or 'none'}"
    )
    _print(summary, args.json, text)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from streams.stats import audit_rates, format_rates, parse_window

    try:
        window = parse_window(args.window)
    except ValueError as exc:
        print(f"modstream stats: {exc}", file=sys.stderr)
        return 2
    result = asyncio.run(audit_rates(get_settings(), window))
    _print(result, args.json, format_rates(result))
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from streams.galleries import GalleryError, add_to_gallery, list_galleries, remove_gallery

    directory = get_settings().style_galleries_dir
    try:
        if args.gallery_command == "add":
            saved = add_to_gallery(directory, args.name, [_open_image(path) for path in args.images])
            _print([str(path) for path in saved], args.json, f"gallery {args.name}: {len(saved)} image(s) added")
        elif args.gallery_command == "remove":
            remove_gallery(directory, args.name)
            _print({"removed": args.name}, args.json, f"removed gallery {args.name}")
        else:
            galleries = list_galleries(directory)
            text = "\n".join(f"{name}  {count} image(s)" for name, count in galleries.items())
            _print(galleries, args.json, text or f"no style galleries in {directory}")
    except (GalleryError, ValueError) as exc:
        print(f"modstream gallery: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_review_service(args: argparse.Namespace) -> int:
    import uvicorn

    from streams.reviewing.service import create_app
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-review", settings.span_file)
    uvicorn.run(create_app(settings), host=settings.review_host, port=settings.review_port, log_level=args.loglevel)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from streams.reviewing.client import ReviewApiError, ReviewClient

    try:
        client = ReviewClient(get_settings())
        if args.review_command == "list":
            queue = client.pending(args.reason_code, args.tenant)
            lines = [f"{queue['count']} waiting, oldest {queue['oldest_age_s'] or 0:.0f} s"]
            lines += [
                f"{i['request_id']}  {i['reason_code'] or '-':22} p{i['priority']}  {i['tenant']}  {i['queued_at']}"
                + (f"  claimed by {i['claimed_by']}" if i["claimed_by"] else "")
                for i in queue["items"]
            ]
            _print(queue, args.json, "\n".join(lines))
        elif args.review_command == "show":
            item = client.open(args.request_id)
            evidence = [
                f"  {e['rule']}: {e['finding']['kind']} {e['finding']['label']} score {e['finding']['score']:.3f} "
                f">= {e['threshold']} ({e['finding']['model']} v{e['finding']['model_version']}) -> {e['action']}"
                for e in item["item"]["evidence"]
            ]
            text = "\n".join(
                [f"{item['request_id']}: {item['reason_code']} ({item['reason']})", f"  prompt: {item['prompt']}"]
                + evidence
            )
            _print(item, args.json, text)
        else:
            action = {"approve": "redact_approve" if args.redacted else "approve", "reject": "reject"}[
                args.review_command
            ]
            applied = client.decide(args.request_id, action, getattr(args, "reason_code", None), args.reason)
            _print(applied, args.json, f"{args.request_id}: {action} sent")
    except ReviewApiError as exc:
        print(f"modstream review: {exc}", file=sys.stderr)
        return 1
    return 0


def _store() -> Any:
    from streams.store import open_database

    return open_database(get_settings().database)


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from streams.store import Accounts, AuthError, Role

    accounts = Accounts(_store())
    if args.users_command == "add":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        if password is None and sys.stdin.isatty():
            password = getpass.getpass(f"password for {args.name} (empty: API token only): ") or None
        try:
            token = accounts.add(args.name, Role(args.role), password)
        except AuthError as exc:
            print(f"modstream users: {exc}", file=sys.stderr)
            return 1
        _print({"name": args.name, "role": args.role, "token": token}, args.json,
               f"added {args.name} ({args.role}); API token (shown once): {token}")  # fmt: skip
    elif args.users_command == "remove":
        if not accounts.remove(args.name):
            print(f"modstream users: no user {args.name}", file=sys.stderr)
            return 1
        _print({"removed": args.name}, args.json, f"removed {args.name}")
    else:
        found = accounts.list()
        _print(found, args.json, "\n".join(f"{u['name']}  {u['role']}" for u in found) or "no users")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from streams.store import AuditStore

    history = AuditStore(_store()).history(args.request_id)
    lines = [
        f"{h['at']}  {h['stage']:9} {h['action']:18} {h['reason_code'] or '':20} {h['reason']}"
        + (f"  [{h['actor']}]" if h["actor"] else "")
        for h in history
    ]
    _print(history, args.json, "\n".join(lines) or f"nothing recorded for {args.request_id}")
    return 0 if history else 3


def cmd_erase(args: argparse.Namespace) -> int:
    from streams.erasure import erase_user

    settings = get_settings()
    report = erase_user(settings, args.user)
    _print(report, args.json,
           f"erased {args.user}: {len(report['requests'])} request(s), {report['blobs_deleted']} blob(s)")  # fmt: skip
    return 0


def cmd_watermark(args: argparse.Namespace) -> int:
    from modstream_models.watermark.model import Watermarker
    from streams.verify import describe_watermark

    try:
        watermarker = Watermarker.load(Path(args.weights)) if args.weights else Watermarker.load()
        image = _open_image(args.image)
        if args.watermark_command == "embed":
            if not re.fullmatch(r"[0-9a-fA-F]{16}", args.payload):
                raise ValueError(f"--payload must be 16 hex digits (64 bits), not {args.payload!r}")
            payload = bytes.fromhex(args.payload)
            watermarker.embed_payload(image, payload).save(args.out)
            _print({"out": args.out, "payload": payload.hex()}, args.json, f"wrote {args.out}")
            return 0
    except ValueError as exc:
        print(f"modstream watermark: {exc}", file=sys.stderr)
        return 2
    mark = watermarker.read_payload(image).to_json()
    _print(mark, args.json, describe_watermark(mark))
    return 0 if mark["detected"] else 3


def cmd_verify(args: argparse.Namespace) -> int:
    from streams.verify import format_verification, verify_image

    try:
        data = Path(args.image).read_bytes()
    except OSError as exc:
        print(f"modstream verify: {args.image}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    result = verify_image(get_settings(), data)
    _print(result, args.json, format_verification(result))
    return 0 if result["record"] else 3


def _open_image(path: str) -> Any:
    from modstream_models.images import decode_image

    try:
        return decode_image(Path(path).read_bytes())
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modstream",
        description="Streaming moderation for AI image generation (Kafka + Faust + Triton). "
        "Configuration: MODSTREAM_* environment variables, or a TOML file named by MODSTREAM_CONFIG.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up", help="start the embedded stack (broker, Triton, worker, review service) until Ctrl-C"
    )
    up.set_defaults(func=cmd_up)

    worker = commands.add_parser("worker", help="run the Faust worker (what `up` starts)")
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    worker.set_defaults(func=cmd_worker)

    submit = commands.add_parser("submit", help="submit a prompt (to generate) or an image (to moderate)")
    submit.add_argument("--prompt", help="the text prompt")
    submit.add_argument("--reference", metavar="IMG", help="a reference (style) image for the prompt")
    submit.add_argument(
        "--consent", action="store_true", help="the people shown in the reference image consented to its use"
    )
    submit.add_argument("--image", metavar="IMG", help="an image generated elsewhere: moderation only")
    submit.add_argument("--user", default="cli-user", help="the user id (pseudonymised at ingress)")
    submit.add_argument("--tenant", default="default")
    submit.add_argument("--seed", type=int)
    submit.add_argument("--json", action="store_true", help="print JSON")
    submit.set_defaults(func=cmd_submit)

    outcome = commands.add_parser("outcome", help="where a request ended: outcome, review or dead-letter")
    outcome.add_argument("request_id")
    outcome.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for an end")
    outcome.add_argument("--json", action="store_true", help="print JSON")
    outcome.set_defaults(func=cmd_outcome)

    trace = commands.add_parser("trace", help="print a request's trace as a tree with span durations")
    trace.add_argument("request_id")
    trace.add_argument("--json", action="store_true", help="print the spans as JSON")
    trace.set_defaults(func=cmd_trace)

    schemas = commands.add_parser("schemas", help="check (default) or --write the JSON Schema files")
    schemas.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent / "schemas"))
    schemas.add_argument("--write", action="store_true")
    schemas.set_defaults(func=cmd_schemas)

    demo = commands.add_parser("demo", help="start the stack, submit a mixed sample set, print where each ended, stop")
    demo.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for every end")
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.set_defaults(func=cmd_demo)

    scan = commands.add_parser(
        "scan",
        help="run every safety model on image files through Triton and print the findings",
        description="Faces, PII text, nudity, protected-image matches and style similarity for each image, "
        "with scores, boxes and model versions. Uses MODSTREAM_TRITON_URL, else the running embedded server, "
        "else starts the embedded server for the scan. Exit code 1 if any image could not be scanned.",
    )
    scan.add_argument("images", nargs="+", metavar="IMG")
    scan.add_argument("--redact", metavar="OUT_DIR", help="write copies with faces blurred and PII text filled")
    scan.add_argument("--json", action="store_true", help="print JSON (every detection, with `counts`)")
    scan.set_defaults(func=cmd_scan)

    policy = commands.add_parser("policy", help="the acceptable-use policy file")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    check = policy_commands.add_parser("check", help="validate a policy file (default: the configured one)")
    check.add_argument("file", nargs="?", help="the YAML file; default MODSTREAM_POLICY_FILE or the shipped policy")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(func=cmd_policy)

    stats = commands.add_parser("stats", help="moderation rates over a time window, from the audit topic")
    stats.add_argument("--window", default="24h", help="how far back: 90s, 15m, 24h, 7d (default 24h)")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_stats)

    review_service = commands.add_parser(
        "review-service", help="run the review service: console, JSON API, audit store feed (what `up` starts)"
    )
    review_service.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    review_service.set_defaults(func=cmd_review_service)

    review = commands.add_parser(
        "review",
        help="work the review queue over the review service's API",
        description="Needs MODSTREAM_REVIEW_TOKEN (an API token from `modstream users add`) and, for a remote "
        "service, MODSTREAM_REVIEW_URL.",
    )
    review_commands = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    review_list = review_commands.add_parser("list", help="waiting items, highest priority and oldest first")
    review_list.add_argument("--reason-code", help="only this reason code")
    review_list.add_argument("--tenant", help="only this tenant")
    review_show = review_commands.add_parser("show", help="an item with its evidence (claims it for you)")
    review_show.add_argument("request_id")
    review_approve = review_commands.add_parser("approve", help="publish the item")
    review_approve.add_argument("request_id")
    review_approve.add_argument("--redacted", action="store_true", help="publish the redacted preview instead")
    review_reject = review_commands.add_parser("reject", help="reject the item with a reason code")
    review_reject.add_argument("request_id")
    review_reject.add_argument("--reason-code", required=True, help="what upstream apps show, e.g. NUDITY")
    for sub in (review_approve, review_reject):
        sub.add_argument("--reason", default="", help="a note for the audit record")
    for sub in (review_list, review_show, review_approve, review_reject):
        sub.add_argument("--json", action="store_true", help="print JSON")
    review.set_defaults(func=cmd_review)

    users = commands.add_parser("users", help="manage reviewer accounts (in the audit and review store)")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    users_add = users_commands.add_parser("add", help="add an account; prints its API token once")
    users_add.add_argument("name")
    users_add.add_argument("--role", default="reviewer", choices=["reviewer", "lead", "admin"])
    users_add.add_argument("--password-stdin", action="store_true", help="read the console password from stdin")
    users_remove = users_commands.add_parser("remove", help="remove an account and end its sessions")
    users_remove.add_argument("name")
    users_list = users_commands.add_parser("list", help="list accounts")
    for sub in (users_add, users_remove, users_list):
        sub.add_argument("--json", action="store_true", help="print JSON")
    users.set_defaults(func=cmd_users)

    audit = commands.add_parser("audit", help="the recorded history of a request, from the audit store")
    audit.add_argument("request_id")
    audit.add_argument("--json", action="store_true", help="print JSON")
    audit.set_defaults(func=cmd_audit)

    erase = commands.add_parser(
        "erase", help="erase a user's prompts, images and review items from the store and the blob store"
    )
    erase.add_argument("--user", required=True, metavar="PSEUDONYM", help="the pseudonymised user id (u_...)")
    erase.add_argument("--json", action="store_true", help="print JSON")
    erase.set_defaults(func=cmd_erase)

    watermark = commands.add_parser(
        "watermark", help="embed or read the invisible watermark (in this process; needs the models extra)"
    )
    watermark_commands = watermark.add_subparsers(dest="watermark_command", required=True, metavar="ACTION")
    watermark_embed = watermark_commands.add_parser("embed", help="write a watermarked copy of an image")
    watermark_embed.add_argument("image", metavar="IN", help="an image file (PNG, JPEG or WebP)")
    watermark_embed.add_argument("out", metavar="OUT", help="the watermarked image (format by its extension)")
    watermark_embed.add_argument("--payload", required=True, metavar="HEX", help="64 bits as 16 hex digits")
    watermark_decode = watermark_commands.add_parser("decode", help="read the payload (exit code 3: none found)")
    watermark_decode.add_argument("image", metavar="IN", help="an image file (PNG, JPEG or WebP)")
    for sub in (watermark_embed, watermark_decode):
        sub.add_argument("--weights", help="a weights file (default: the shipped one)")
        sub.add_argument("--json", action="store_true", help="print JSON")
    watermark.set_defaults(func=cmd_watermark)

    verify = commands.add_parser(
        "verify",
        help="the watermark, C2PA credentials and audit record of an image (exit code 3: not published here)",
    )
    verify.description = (
        "Read the invisible watermark (works on copies whose metadata was stripped), check the C2PA Content "
        "Credentials if still attached, and look the request up in the audit store (MODSTREAM_DATABASE_URL)."
    )
    verify.add_argument("image", metavar="IMG", help="an image file (PNG, JPEG or WebP)")
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(func=cmd_verify)

    bank = commands.add_parser("bank", help="manage the protected-image bank (PDQ hashes)")
    bank_commands = bank.add_subparsers(dest="bank_command", required=True, metavar="ACTION")
    bank_add = bank_commands.add_parser("add", help="add protected images")
    bank_add.add_argument("images", nargs="+", metavar="IMG")
    bank_add.add_argument("--label", help="a label for the entries (default: the file name)")
    bank_add.add_argument("--json", action="store_true", help="print JSON")
    bank_remove = bank_commands.add_parser("remove", help="remove an entry by id")
    bank_remove.add_argument("id")
    bank_remove.add_argument("--json", action="store_true", help="print JSON")
    bank_list = bank_commands.add_parser("list", help="list the entries")
    bank_list.add_argument("--json", action="store_true", help="print JSON")
    bank.set_defaults(func=cmd_bank)

    gallery = commands.add_parser("gallery", help="manage protected style galleries (reference images per style)")
    gallery_commands = gallery.add_subparsers(dest="gallery_command", required=True, metavar="ACTION")
    gallery_add = gallery_commands.add_parser("add", help="add reference images to a gallery (created if new)")
    gallery_add.add_argument("name", help="gallery name: letters, digits, '-' and '_'")
    gallery_add.add_argument("images", nargs="+", metavar="IMG")
    gallery_add.add_argument("--json", action="store_true", help="print JSON")
    gallery_remove = gallery_commands.add_parser("remove", help="remove a gallery")
    gallery_remove.add_argument("name")
    gallery_remove.add_argument("--json", action="store_true", help="print JSON")
    gallery_list = gallery_commands.add_parser("list", help="list galleries and their sizes")
    gallery_list.add_argument("--json", action="store_true", help="print JSON")
    gallery.set_defaults(func=cmd_gallery)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
