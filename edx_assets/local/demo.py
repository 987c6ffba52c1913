"""The demo run: every job of the code location over the sample range, recorded in the local DAGSTER_HOME."""

from __future__ import annotations

from edx_assets.config import EdxConfig
from edx_assets.local.stack import LocalStack

# The runs' full logs are in the UI; the terminal only shows warnings and errors.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(stack: LocalStack, config: EdxConfig, days: list[str], weeks: list[str]) -> int:
    import dagster as dg

    from edx_assets.definitions import build_defs

    defs = build_defs(config)

    instance = dg.DagsterInstance.get()
    plan = [("daily_events_job", day) for day in days]
    plan += [(job.name, week) for job in defs.resolve_all_job_defs()
             if job.name.startswith("weekly") for week in weeks]
    failures = []
    for job_name, partition in plan:
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(partition_key=partition, instance=instance, raise_on_error=False,
                                        run_config=QUIET)
        status = "ok" if result.success else "FAILED"
        print(f"  {job_name:<22} {partition}  {status}  (run {result.run_id[:8]})")
        if not result.success:
            failures.append((job_name, partition))
    _summary(stack, config)
    if failures:
        print(f"{len(failures)} run(s) failed: see `make dev` (Runs) for the error of each.")
        return 1
    return 0


def _summary(stack: LocalStack, config: EdxConfig) -> None:
    from pymongo import MongoClient

    client: MongoClient = MongoClient(stack.mongo_uri, serverSelectionTimeoutMS=5000)
    db = client[config.mongo_db]
    print("\nMongoDB collections (documents):")
    for name in sorted(db.list_collection_names()):
        if not name.startswith("_"):
            print(f"  {name:<48} {db[name].estimated_document_count():>9}")
    print("\nPass marks (courses catalog):")
    for course in db.courses.find({}, {"passing_grade": 1, "passing_grade_source": 1}).sort("_id"):
        print(f"  {course['_id']:<48} {course.get('passing_grade')!s:>5}  {course.get('passing_grade_source')}")
    client.close()
    reports = stack.data_dir / "reports"
    files = sorted(reports.rglob("*.csv")) if reports.exists() else []
    if files:
        print(f"\nReport files under {reports}:")
        for path in files:
            print(f"  {path.relative_to(reports)}")
    print(
        "\nOpen the Dagster UI over this run history: `make dev` (http://127.0.0.1:3000)."
        "\nStop MongoDB and S3: `make down`."
    )
