"""The embedded local stack: real processes, idempotent up, exact down, an env file a shell can source."""

import os
import stat
import subprocess

import psutil
import pytest
from pymongo import MongoClient

from edx_assets.local.stack import LocalStack, StackError, free_port, read_env_file

pytestmark = pytest.mark.services  # real gpg, mongod or S3


@pytest.fixture
def own_stack(tmp_path):
    local = LocalStack(home=tmp_path / "stack", mongo_port=free_port(), s3_port=free_port())
    yield local
    local.down()


def _pids(stack: LocalStack) -> dict[str, int]:
    return {name: int(state.split("pid ")[1].split(",")[0])
            for name, state in stack.status().items() if state.startswith("running")}


def test_up_is_idempotent_and_down_stops_exactly_what_it_started(own_stack, s3_client):
    own_stack.up()
    first = _pids(own_stack)
    assert set(first) == {"mongod", "s3"}
    assert all("answering" in s for s in own_stack.status().values())

    own_stack.up()  # a second `up` reuses what runs
    assert _pids(own_stack) == first

    # A process that is not ours on another port survives `down`.
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        assert sorted(own_stack.down()) == ["mongod", "s3"]
        for pid in first.values():
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        assert bystander.poll() is None
        assert own_stack.status() == {"mongod": "stopped", "s3": "stopped"}
        assert own_stack.down() == []  # nothing left to stop
    finally:
        bystander.kill()


def test_mongod_keeps_data_across_restarts(own_stack):
    own_stack.up()
    client = MongoClient(own_stack.mongo_uri)
    client.demo.things.insert_one({"_id": 1, "kept": True})
    client.close()
    own_stack.down()
    own_stack.up()
    client = MongoClient(own_stack.mongo_uri)
    assert client.demo.things.find_one({"_id": 1}) == {"_id": 1, "kept": True}
    client.close()


def test_env_file_is_private_and_sourceable(own_stack):
    env = own_stack.up()
    assert stat.S_IMODE(own_stack.env_file.stat().st_mode) == 0o600
    assert read_env_file(own_stack.env_file) == env
    # A shell that sources it exports the same values to the commands it runs.
    out = subprocess.run(["bash", "-c", f"source {own_stack.env_file} && env"], capture_output=True,
                         text=True, check=True).stdout
    exported = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for key in ("EDX_MONGO_URI", "EDX_S3_ENDPOINT_URL", "EDX_GPG_PRIVATE_KEY_FILE", "DAGSTER_HOME",
                "EDX_GPG_PASSPHRASE", "EDX_DATA_DIR"):
        assert exported[key] == env[key]
    assert stat.S_IMODE(own_stack.private_key_file.stat().st_mode) == 0o600
    assert (own_stack.dagster_home / "dagster.yaml").exists()


def test_a_taken_port_is_a_clear_error(tmp_path, stack):
    clash = LocalStack(home=tmp_path / "clash", mongo_port=stack.mongo_port, s3_port=free_port())
    with pytest.raises(StackError, match=f"port {stack.mongo_port} is taken"):
        clash.up()
    clash.down()


def test_services_log_to_files_not_to_the_terminal(own_stack):
    own_stack.up()
    for name, pid in _pids(own_stack).items():
        for fd in (1, 2):  # stdout and stderr of each service are its log file
            assert os.readlink(f"/proc/{pid}/fd/{fd}") == str(own_stack.log_dir / f"{name}.log")
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
