"""The production configuration in deploy/ parses and names Dagster classes that exist."""

import importlib

import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config_schema, validate_concurrency_config

from edx_assets_tests.support import ROOT

DEPLOY = ROOT / "deploy"


def _classes(node):
    if isinstance(node, dict):
        if "module" in node and "class" in node:
            yield node["module"], node["class"]
        for value in node.values():
            yield from _classes(value)


def test_production_instance_config_names_existing_classes_and_validates(monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB",
                 "EDX_DAGSTER_LOGS_BUCKET"):
        monkeypatch.setenv(name, "set-by-the-deployment")
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    named = list(_classes(config))
    assert {c for _, c in named} == {"QueuedRunCoordinator", "K8sRunLauncher", "S3ComputeLogManager"}
    for module, cls in named:
        assert hasattr(importlib.import_module(module), cls), f"{module}.{cls}"
    assert importlib.import_module("dagster_postgres").PostgresEventLogStorage
    validate_concurrency_config(config)
    evaluated = process_config(dagster_instance_config_schema(), config)
    assert evaluated.success, [e.message for e in evaluated.errors]
    assert config["concurrency"]["pools"]["default_limit"] >= 1


def test_helm_values_use_the_kubernetes_run_launcher_and_our_module():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "edx_assets.definitions"]
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert values["postgresql"]["enabled"] is False
    assert values["computeLogManager"]["type"] == "S3ComputeLogManager"


def test_the_k8s_executor_is_chosen_by_setting():
    from edx_assets.config import EdxConfig
    from edx_assets.definitions import build_defs

    for setting, expected in (("k8s", "k8s"), ("", "multi_or_in_process_executor")):
        defs = build_defs(EdxConfig.from_env({"EDX_EXECUTOR": setting}))
        assert defs.resolve_job_def("daily_events_job").executor_def.name.endswith(expected)
