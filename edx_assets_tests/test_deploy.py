"""The production configuration in deploy/ parses and names Dagster classes that exist."""

import importlib

import dagster as dg
import yaml

from edx_assets_tests.support import ROOT

DEPLOY = ROOT / "deploy"


def _classes(node):
    if isinstance(node, dict):
        if "module" in node and "class" in node:
            yield node["module"], node["class"]
        for value in node.values():
            yield from _classes(value)


def _config_error(home, text: str) -> dg.DagsterInvalidConfigError | None:
    """The configuration error Dagster's own loader finds in `text` as DAGSTER_HOME/dagster.yaml, if any. The
    loader validates the whole file before it builds the instance; building it then needs the PostgreSQL
    server (and driver) the deployment has, so any other error means the configuration was accepted."""
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(text)
    try:
        dg.DagsterInstance.from_config(str(home)).dispose()
    except dg.DagsterInvalidConfigError as error:
        return error
    except Exception:  # past the configuration: connecting to PostgreSQL, not available here
        return None
    return None


def test_production_instance_config_names_existing_classes_and_validates(monkeypatch, tmp_path):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB",
                 "EDX_DAGSTER_LOGS_BUCKET"):
        monkeypatch.setenv(name, "set-by-the-deployment")
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    named = list(_classes(config))
    assert {c for _, c in named} == {"QueuedRunCoordinator", "K8sRunLauncher", "S3ComputeLogManager"}
    for module, cls in named:
        assert hasattr(importlib.import_module(module), cls), f"{module}.{cls}"
    assert importlib.import_module("dagster_postgres").PostgresEventLogStorage
    text = (DEPLOY / "dagster.yaml").read_text()
    assert _config_error(tmp_path / "deploy", text) is None
    # the same loader refuses a broken copy (the check can fail)
    assert _config_error(tmp_path / "broken", text.replace("max_concurrent_runs: 12", "max_concurrent_runs: lots"))
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
