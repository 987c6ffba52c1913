"""One demo for the tests of this folder that only look at what it left (package scope): `edx-assets demo`
run once as a careful partner would run it -- MongoDB authentication, EDX_STORE_PII=pseudonymize, a learner
edX retired in its packages and a partner's list of retired learners. test_browser serves it in the Dagster
UI (with the same settings), test_secrets searches it for secrets, identities and retired learners."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from edx_assets.local.stack import LocalStack, free_port, read_env_file
from edx_assets_tests.local.demo_world import (
    END,
    EVENTS_PER_DAY,
    LEARNERS,
    PSEUDONYM_KEY,
    RETIRED,
    RETIRED_BY_EDX,
)
from edx_assets_tests.support import ROOT


@pytest.fixture(scope="package")
def demo(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("private-demo")
    home = tmp / "edx-local"
    retired_file = tmp / "retired.txt"
    retired_file.write_text(f"# deletion requests received by the partner\n{RETIRED}\n")
    settings = {"EDX_LOCAL_MONGO_AUTH": "1", "EDX_LOCAL_MONGO_PORT": str(free_port()),
                "EDX_LOCAL_S3_PORT": str(free_port()), "EDX_STORE_PII": "pseudonymize",
                "EDX_REPORTS_PSEUDONYM_KEY": PSEUDONYM_KEY, "EDX_RETIRED_LEARNERS_FILE": str(retired_file)}
    env = {**os.environ, **settings}
    env.pop("DAGSTER_HOME", None)
    stack = LocalStack(home=home, mongo_port=int(env["EDX_LOCAL_MONGO_PORT"]),
                       s3_port=int(env["EDX_LOCAL_S3_PORT"]), mongo_auth=True)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "edx_assets.cli", "--home", str(home), "demo", "--end", END,
             "--learners", str(LEARNERS), "--events-per-day", str(EVENTS_PER_DAY),
             "--retired-by-edx", str(RETIRED_BY_EDX)],
            env=env, capture_output=True, timeout=900, cwd=ROOT,
        )
        assert run.returncode == 0, run.stdout.decode()[-3000:] + run.stderr.decode()[-3000:]
        client = MongoClient(read_env_file(stack.env_file)["EDX_MONGO_URI"])
        yield {"run": run, "home": home, "stack": stack, "db": client.edx, "env": env}
        client.close()
    finally:
        stack.down()
