"""Where the models run: one setting (``MODSTREAM_DEVICE``: auto, cpu, cuda, cuda:N) for every model module.

``auto`` takes the first GPU when one is visible and the CPU otherwise. Torch models move to the chosen
device; onnxruntime sessions get the CUDA execution provider first when the device is a GPU and the
installed onnxruntime has it. Half precision is used where the model tolerates it (``Placement.half``
says where: the generator); detectors whose thresholds were set in float32 stay in float32.

Plain Python until ``resolve`` is called, so the worker tier (no torch) can parse the setting.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

DEVICE_PATTERN = r"^(auto|cpu|cuda(:\d+)?)$"

logger = logging.getLogger("modstream.device")


class DeviceError(ValueError):
    """A device setting that cannot be honoured on this machine; the message says what to set instead."""


@dataclass(frozen=True)
class Placement:
    """The device chosen for the models of one process."""

    device: str  # "cpu" or "cuda:N"
    name: str  # what it is, for logs and benchmark results ("cpu", "NVIDIA H200")

    @property
    def gpu(self) -> bool:
        return self.device.startswith("cuda")

    @property
    def index(self) -> int | None:
        return int(self.device.split(":")[1]) if self.gpu else None

    def torch_dtype(self, half_safe: bool) -> Any:
        """float16 on a GPU for a model that tolerates it, float32 otherwise (CPU kernels are float32)."""
        import torch

        return torch.float16 if self.gpu and half_safe else torch.float32

    def onnx_providers(self, available: list[str]) -> list[str | tuple[str, dict[str, Any]]]:
        """onnxruntime execution providers in order of preference, of those ``available``."""
        if self.gpu and "CUDAExecutionProvider" in available:
            return [("CUDAExecutionProvider", {"device_id": self.index}), "CPUExecutionProvider"]
        if self.gpu:
            logger.warning(
                "device %s: this onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu); "
                "ONNX models run on the CPU",
                self.device,
            )
        return ["CPUExecutionProvider"]


CPU = Placement("cpu", "cpu")


def parse(setting: str) -> str:
    """The setting, normalised (``cuda`` is ``cuda:0``); DeviceError when it is not one of the forms."""
    value = setting.strip().lower()
    if not re.match(DEVICE_PATTERN, value):
        raise DeviceError(f"device {setting!r}: use auto, cpu, cuda or cuda:N (MODSTREAM_DEVICE)")
    return "cuda:0" if value == "cuda" else value


def resolve(setting: str, gpu_names: list[str] | None = None) -> Placement:
    """The placement for ``setting``; ``gpu_names`` defaults to the GPUs torch sees (tests pass a list)."""
    wanted = parse(setting)
    names = visible_gpus() if gpu_names is None else gpu_names
    if wanted == "cpu":
        return CPU
    if wanted == "auto":
        if not names:
            logger.info("device auto: no GPU visible, models run on the CPU")
            return CPU
        logger.info("device auto: picked cuda:0 (%s) of %d visible GPU(s)", names[0], len(names))
        return Placement("cuda:0", names[0])
    index = int(wanted.split(":")[1])
    if index >= len(names):
        seen = f"{len(names)} GPU(s) visible" if names else "no GPU visible"
        raise DeviceError(f"device {wanted}: {seen}; set MODSTREAM_DEVICE=auto or cpu, or check CUDA_VISIBLE_DEVICES")
    return Placement(wanted, names[index])


def visible_gpus() -> list[str]:
    """Names of the GPUs this process can use: torch's view where torch is installed, else nvidia-smi's."""
    try:
        import torch
    except ImportError:
        return driver_gpus()
    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())]


def driver_gpus() -> list[str]:
    """The GPUs that ``nvidia-smi`` lists (none without NVIDIA drivers): for processes without torch.

    It ignores CUDA_VISIBLE_DEVICES; processes with torch use ``visible_gpus``.
    """
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        listing = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [match.group(1) for match in re.finditer(r"^GPU \d+: (.+?)(?: \(UUID.*)?$", listing, re.MULTILINE)]
