"""The weekly reports' one pipeline run, shared by every test of this folder (package scope): the days
2026-10-04..10 and the package of Sunday 2026-10-11 loaded through Dagster, then the week 2026-10-11's reports.
Expected values come from `truth` (the sample world and the generated logs read with the standard library),
never from the report code."""

from pathlib import Path

import dagster as dg
import pytest

from edx_assets.local.sample import generate_delivery, s3_uploader
from edx_assets_tests.defs.reports.truth import DAYS, SPEC, WEEK
from edx_assets_tests.support import DAILY, REPORTS, UPSTREAM, materialize, new_buckets


def _env(stack, tmp: Path, names: dict, db_name: str, **extra) -> dict[str, str]:
    return {**stack.env(), "EDX_MONGO_DB": db_name, "EDX_EVENTS_BUCKET": names["events"],
            "EDX_COURSES_BUCKET": names["courses"], "EDX_DATA_DIR": str(tmp / "data"), **extra}


@pytest.fixture(scope="package")
def run(stack, s3_client, public_key, mongo_client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    names = new_buckets(s3_client)
    generate_delivery(SPEC, public_key, s3_uploader(s3_client), events_bucket=names["events"],
                      courses_bucket=names["courses"])
    db_name = "reports_" + names["events"].split("-")[-1]
    # integrity_signals is opt-in; at 1 problem the small world has pairs to check
    env = _env(stack, tmp, names, db_name, EDX_REPORTS_BUCKET=names["reports"], EDX_INTEGRITY_SIGNALS="true",
               EDX_INTEGRITY_MIN_PROBLEMS="1")
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:  # secrets are resolved from the environment at run time
        for key, value in env.items():
            patch.setenv(key, value)
        daily_checks = []
        for day in DAYS:
            daily_checks += materialize(env, day, instance, DAILY, graph=DAILY).get_asset_check_evaluations()
        materialize(env, WEEK, instance, UPSTREAM[3:], graph=UPSTREAM[3:])
        result = materialize(env, WEEK, instance, REPORTS)
        yield {"env": env, "result": result, "db": mongo_client[db_name],
               "dir": tmp / "data" / "reports" / WEEK, "names": names, "instance": instance,
               "daily_checks": daily_checks}
    mongo_client.drop_database(db_name)
