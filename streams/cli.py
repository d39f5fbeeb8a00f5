"""The ``modstream`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
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
        f"worker http://127.0.0.1:{settings.worker_web_port}; logs in {stack.log_dir}. Ctrl-C stops.",
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
            args.prompt, user_id=args.user, tenant=args.tenant, reference_image=reference, seed=args.seed
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modstream",
        description="Streaming moderation for AI image generation (Kafka + Faust + Triton). "
        "Configuration: MODSTREAM_* environment variables, or a TOML file named by MODSTREAM_CONFIG.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start the embedded stack (broker, Triton, worker) until Ctrl-C")
    up.set_defaults(func=cmd_up)

    worker = commands.add_parser("worker", help="run the Faust worker (what `up` starts)")
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    worker.set_defaults(func=cmd_worker)

    submit = commands.add_parser("submit", help="submit a prompt (to generate) or an image (to moderate)")
    submit.add_argument("--prompt", help="the text prompt")
    submit.add_argument("--reference", metavar="IMG", help="a reference (style) image for the prompt")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
