"""The whole demo with MongoDB authentication: secrets never leak, decrypted files never linger."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bson import json_util
from pymongo import MongoClient

from edx_assets.local.stack import LocalStack, free_port, read_env_file

pytestmark = pytest.mark.services  # real gpg, mongod or S3


def _files(root: Path, skip: set[Path]):
    for path in root.rglob("*"):
        if path.is_file() and not any(path == s or s in path.parents for s in skip):
            yield path


def test_demo_with_auth_leaks_no_secret_anywhere(tmp_path):
    home = tmp_path / "edx-local"
    env = {**os.environ, "EDX_LOCAL_MONGO_AUTH": "1", "EDX_LOCAL_MONGO_PORT": str(free_port()),
           "EDX_LOCAL_S3_PORT": str(free_port())}
    env.pop("DAGSTER_HOME", None)
    stack = LocalStack(home=home, mongo_port=int(env["EDX_LOCAL_MONGO_PORT"]),
                       s3_port=int(env["EDX_LOCAL_S3_PORT"]), mongo_auth=True)
    try:
        demo = subprocess.run(
            [sys.executable, "-m", "edx_assets.cli", "--home", str(home), "demo", "--end", "2026-10-11",
             "--learners", "30", "--events-per-day", "120"],
            env=env, capture_output=True, timeout=900, cwd=Path(__file__).resolve().parents[1],
        )
        assert demo.returncode == 0, demo.stdout.decode()[-3000:] + demo.stderr.decode()[-3000:]

        password = stack.mongo_password_file.read_text()
        passphrase = stack.passphrase_file.read_text()
        key_line = stack.private_key_file.read_text().splitlines()[5]  # a line of the armored private key
        secrets = [s.encode() for s in (password, passphrase, key_line)]
        assert all(len(s) >= 16 for s in secrets)
        uri = read_env_file(stack.env_file)["EDX_MONGO_URI"]
        assert password in uri and "authSource=admin" in uri

        # MongoDB refuses anyone without the password...
        anonymous = MongoClient(f"mongodb://127.0.0.1:{stack.mongo_port}/", serverSelectionTimeoutMS=3000)
        try:
            anonymous.edx.list_collection_names()
            raise AssertionError("mongod accepted an unauthenticated client")
        except Exception as exc:
            assert "auth" in str(exc).lower()
        anonymous.close()
        # ...and the pipeline, given the URI, loaded everything.
        client = MongoClient(uri)
        db = client.edx
        assert db.Eventos.estimated_document_count() > 0 and db.courses.count_documents({}) == 4

        leaks = []
        for label, blob in (("demo stdout", demo.stdout), ("demo stderr", demo.stderr)):
            leaks += [label for s in secrets if s in blob]
        for path in _files(home, {stack.key_dir, stack.env_file, home / "mongo"}):
            data = path.read_bytes()
            leaks += [str(path.relative_to(home)) for s in secrets if s in data]
        for name in db.list_collection_names():
            for doc in db[name].find():
                text = json_util.dumps(doc).encode()
                leaks += [f"MongoDB {name}" for s in secrets if s in text]
        client.close()
        assert leaks == []

        decrypted = home / "data" / "decrypted"
        assert [p for p in decrypted.rglob("*") if p.is_file()] == []  # removed after loading
        reports = list((home / "data" / "reports").rglob("*.csv"))
        assert len(reports) >= 2 * 5
    finally:
        stack.down()
