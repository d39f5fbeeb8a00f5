"""The model catalogue, the Triton model repository and the policy schema agree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from modstream_models.catalogue import SAFETY_MODELS, TRITON_MODELS, FindingKind, Tensor
from streams.events import Context
from streams.policy import DEFAULT_POLICY, load_policy
from streams.policy.model import KINDS, MODELS, REDACTABLE

REPOSITORY = Path(__file__).parents[3] / "triton_models"


def config(name: str) -> model_config_pb2.ModelConfig:
    return text_format.Parse((REPOSITORY / name / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())


def tensors(declared) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {t.name: (model_config_pb2.DataType.Name(t.data_type), tuple(t.dims)) for t in declared}


def contract(catalogued: tuple[Tensor, ...]) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {t.name: (t.config_type, t.dims) for t in catalogued}


def test_every_catalogued_model_is_in_the_repository_and_nothing_else() -> None:
    assert {path.parent.name for path in REPOSITORY.glob("*/config.pbtxt")} == set(TRITON_MODELS)


@pytest.mark.parametrize("name", sorted(TRITON_MODELS))
def test_the_repository_configuration_matches_the_catalogue(name: str) -> None:
    declared, model = config(name), TRITON_MODELS[name]
    assert declared.name == name and declared.backend == "python"
    assert tensors(declared.input) == contract(model.inputs)
    assert tensors(declared.output) == contract(model.outputs)
    assert declared.max_batch_size > 1 and declared.HasField("dynamic_batching")


@pytest.mark.parametrize("name", sorted(TRITON_MODELS))
def test_adapters_import_the_model_package_not_the_stream_app(name: str) -> None:
    tree = ast.parse((REPOSITORY / name / "1" / "model.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(module.split(".")[0] == "streams" for module in imported), imported
    assert any(module.startswith("modstream_models") for module in imported)


def test_the_policy_schema_takes_its_models_and_kinds_from_the_catalogue() -> None:
    assert (
        set(MODELS[Context.OUTPUT])
        == set(MODELS[Context.REFERENCE])
        == {name for name, model in SAFETY_MODELS.items() if not model.reads_text}
    )
    assert MODELS[Context.PROMPT] == ("prompt_pii",)
    assert KINDS[Context.PROMPT] == {FindingKind.PII, FindingKind.PROTECTED_NAME, FindingKind.PROHIBITED}
    assert REDACTABLE[Context.OUTPUT] == {FindingKind.FACE, FindingKind.PII}
    assert REDACTABLE[Context.PROMPT] == {FindingKind.PII}


def test_the_shipped_policy_checks_only_catalogued_models_and_kinds() -> None:
    policy = load_policy(DEFAULT_POLICY).rules
    for context in Context:
        assert set(policy.required_models(context)) <= set(SAFETY_MODELS)
    assert {rule.kind for rule in policy.rules} <= set(FindingKind)
