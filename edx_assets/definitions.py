"""The edx_assets code location: one dg.Definitions with every asset, check, job, schedule and resource."""

from __future__ import annotations

import os

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets import courses, events
from edx_assets.assets.reports import (
    active_users,
    activity_daily,
    course_summary,
    enrollment_daily,
    enrollments,
    general,
    locations,
    master,
    person_course,
    problem_analysis,
    video_engagement,
)
from edx_assets.automation.jobs import daily_events_job, weekly_courses_job
from edx_assets.automation.schedules import daily_events_schedule, weekly_courses_schedule
from edx_assets.automation.sensors import course_package_arrivals, event_log_arrivals, record_run_failures
from edx_assets.resources import GpgResource, MongoResource, ReportsResource, WorkspaceResource


def _secret(name: str) -> dg.EnvVar | None:
    """An environment variable read at run time (never shown in the UI); None when it is not set."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def build_resources() -> dict[str, object]:
    endpoint = os.environ.get("EDX_S3_ENDPOINT_URL", "").strip() or None  # empty: AWS itself
    return {
        "s3": S3Resource(
            endpoint_url=endpoint,
            region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            aws_access_key_id=_secret("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=_secret("AWS_SECRET_ACCESS_KEY"),
            max_attempts=5,
        ),
        "mongo": MongoResource(
            uri=dg.EnvVar("EDX_MONGO_URI"), database=os.environ.get("EDX_MONGO_DB", "edx") or "edx"
        ),
        "gpg": GpgResource(
            private_key_file=os.environ.get("EDX_GPG_PRIVATE_KEY_FILE") or None,
            private_key=_secret("EDX_GPG_PRIVATE_KEY"),
            passphrase=_secret("EDX_GPG_PASSPHRASE"),
        ),
        "workspace": WorkspaceResource(data_dir=os.environ.get("EDX_DATA_DIR", "").strip() or "data"),
        "reports": ReportsResource(
            pii=(os.environ.get("EDX_REPORTS_PII", "").strip() or "include").lower(),
            pseudonym_key=_secret("EDX_REPORTS_PSEUDONYM_KEY"),
            s3_bucket=os.environ.get("EDX_REPORTS_BUCKET", "").strip() or None,
            s3_prefix=os.environ.get("EDX_REPORTS_PREFIX", "").strip() or "reports",
            course_metadata_file=os.environ.get("EDX_COURSE_METADATA_FILE", "").strip() or None,
        ),
    }


def build_executor() -> dg.ExecutorDefinition:
    """Steps run in subprocesses on one machine; EDX_EXECUTOR=k8s gives each step its own Kubernetes Job."""
    if os.environ.get("EDX_EXECUTOR", "").strip().lower() == "k8s":
        from dagster_k8s import k8s_job_executor  # the `deploy` extra

        return k8s_job_executor
    return dg.multiprocess_executor


defs = dg.Definitions(
    assets=[
        events.raw_event_log, events.decrypted_event_log, events.eventos,
        courses.raw_course_package, courses.decrypted_course_package, courses.course_collections,
        general.general_report, enrollments.enrollments_report, active_users.active_users_report,
        locations.learner_locations_report, master.learners_master,
        person_course.person_course, course_summary.course_summary, activity_daily.activity_daily,
        enrollment_daily.enrollment_daily, video_engagement.video_engagement, problem_analysis.problem_analysis,
    ],
    jobs=[daily_events_job, weekly_courses_job],
    schedules=[daily_events_schedule, weekly_courses_schedule],
    sensors=[event_log_arrivals, course_package_arrivals, record_run_failures],
    resources=build_resources(),
    executor=build_executor(),
)
