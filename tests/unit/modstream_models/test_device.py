import pytest
import torch

from modstream_models.device import DeviceError, Placement, parse, resolve
from modstream_models.settings import ModelSettings


@pytest.mark.parametrize(
    ("setting", "normalised"), [("auto", "auto"), ("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:2", "cuda:2")]
)
def test_the_setting_forms(setting: str, normalised: str) -> None:
    assert parse(setting) == normalised


@pytest.mark.parametrize("setting", ["gpu", "cuda:", "cuda:x", "tpu:0"])
def test_other_settings_are_refused_saying_what_to_use(setting: str) -> None:
    with pytest.raises(DeviceError, match="use auto, cpu, cuda or cuda:N"):
        parse(setting)


def test_cpu_is_the_cpu_even_with_gpus() -> None:
    assert resolve("cpu", ["NVIDIA H200"]) == Placement("cpu", "cpu")


def test_auto_without_a_gpu_is_the_cpu() -> None:
    assert resolve("auto", []) == Placement("cpu", "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_auto_on_this_machine_without_a_gpu_is_the_cpu() -> None:
    placement = ModelSettings(device="auto").placement()
    assert placement.device == "cpu" and not placement.gpu


def test_auto_picks_the_first_visible_gpu(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="modstream.device")
    placement = resolve("auto", ["NVIDIA H200", "NVIDIA H200"])
    assert placement == Placement("cuda:0", "NVIDIA H200") and placement.gpu and placement.index == 0
    assert "picked cuda:0 (NVIDIA H200)" in caplog.text


def test_a_gpu_that_is_not_there_is_a_clear_error() -> None:
    with pytest.raises(DeviceError, match="cuda:1: 1 GPU"):
        resolve("cuda:1", ["NVIDIA H200"])
    with pytest.raises(DeviceError, match="no GPU visible; set MODSTREAM_DEVICE=auto or cpu"):
        resolve("cuda", [])


def test_half_precision_only_on_a_gpu_and_where_the_model_tolerates_it() -> None:
    gpu, cpu = Placement("cuda:0", "gpu"), Placement("cpu", "cpu")
    assert gpu.torch_dtype(half_safe=True) == torch.float16
    assert gpu.torch_dtype(half_safe=False) == cpu.torch_dtype(half_safe=True) == torch.float32


def test_onnx_sessions_take_the_cuda_provider_on_a_gpu_when_onnxruntime_has_it() -> None:
    gpu = Placement("cuda:1", "gpu")
    both = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert gpu.onnx_providers(both) == [("CUDAExecutionProvider", {"device_id": 1}), "CPUExecutionProvider"]
    assert gpu.onnx_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert Placement("cpu", "cpu").onnx_providers(both) == ["CPUExecutionProvider"]


def test_the_setting_is_validated_where_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSTREAM_DEVICE", "gpu")
    with pytest.raises(ValueError, match="device"):
        ModelSettings()
