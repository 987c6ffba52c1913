"""The one module of plain helpers the tests share (fixtures stay in conftest.py): configurations, definitions,
assets and resources built from a test's settings, without touching the process environment; packages and
deliveries built with real gpg and real zip files; independent readers of what the pipeline wrote."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.definitions import build_defs, lineage_definitions
from edx_assets.defs.common import Build
from edx_assets.defs.resources import build_resources
from edx_assets.edx import crypto
from edx_assets.local.gpg_tools import SenderKeyring, encrypt_bytes, make_package  # noqa: F401 (re-exported)
from edx_assets.local.sample_world import SampleSpec

ROOT = Path(__file__).resolve().parents[1]  # the project: README, docs, deploy, workspace.yaml
FIXTURES = ROOT.parent / "shared" / "fixtures" / "edx-public"
SMALL_SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 6), learners=40, events_per_day=300)


def config_of(env: Mapping[str, str]) -> EdxConfig:
    """The configuration a deployment with these settings would have (read from `env`, not os.environ)."""
    return EdxConfig.from_env(env)


@lru_cache(maxsize=32)
def _defs(config: EdxConfig) -> dg.Definitions:
    return build_defs(config)


def defs_of(env: Mapping[str, str] | EdxConfig) -> dg.Definitions:
    return _defs(env if isinstance(env, EdxConfig) else config_of(env))


@lru_cache(maxsize=32)
def _assets_by_name(config: EdxConfig) -> dict[str, list[dg.AssetsDefinition]]:
    """Each asset with the checks its module defines apart from it (they run after it, in their own step;
    the freshness checks of operations/ are left out: they judge the instance, not the run)."""
    out: dict[str, list[dg.AssetsDefinition]] = {}
    for defs in lineage_definitions(Build.of(config)):
        for asset in defs.assets or ():
            for key in getattr(asset, "keys", None) or [asset.key]:  # a spec (external asset) has one key
                out[key.to_user_string()] = [asset]
        for check in defs.asset_checks or ():
            for key in check.check_keys:
                if key.asset_key.to_user_string() in out and defs.assets:
                    out[key.asset_key.to_user_string()].append(check)
    return out


def assets(env: Mapping[str, str] | EdxConfig, *names: str) -> list[dg.AssetsDefinition]:
    """The code location's assets of these names with their separately defined checks, built for `env`'s
    configuration (resources not bound: pass them to dg.materialize)."""
    by_name = _assets_by_name(env if isinstance(env, EdxConfig) else config_of(env))
    found = [definition for name in names for definition in by_name[name]]
    return list({id(definition): definition for definition in found}.values())  # one step makes two assets


def resources_for(env: Mapping[str, str] | EdxConfig) -> dict[str, object]:
    """The code location's resources for `env`; secrets stay dg.EnvVar (set them in os.environ)."""
    return build_resources(env if isinstance(env, EdxConfig) else config_of(env))


def new_buckets(s3_client) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    names = {"events": f"events-{suffix}", "courses": f"courses-{suffix}", "reports": f"reports-{suffix}"}
    for name in names.values():
        s3_client.create_bucket(Bucket=name)
    return names


# The upstream of the weekly reports and the daily job's assets, as the tests materialize them.
UPSTREAM = ("raw_event_log", "decrypted_event_log", "eventos", "raw_course_package", "decrypted_course_package",
            "course_collections", "retired_learners")
DAILY = (*UPSTREAM[:3], "learner_day", "activity_daily")
REPORTS = ("learner_totals", "learner_ips", "general_report", "enrollments_report", "active_users_report",
           "learner_locations_report", "learners_master", "person_course", "course_summary", "enrollment_daily",
           "video_engagement", "problem_analysis", "video_segments", "answer_distribution", "at_risk_learners",
           "engagement_segments", "enrollment_by_demographics_daily", "geography", "forum_activity",
           "retention_by_cohort", "course_axis", "grading_policy", "person_grades", "person_subsection_grades",
           "person_problem", "person_item", "course_item", "item_reliability", "time_on_asset", "section_engagement",
           "ora_activity", "integrity_signals", "warehouse", "course_dashboards", "instructor_bundles")


def materialize(env: Mapping[str, str], partition: str, instance: dg.DagsterInstance, selection,
                graph=(*UPSTREAM, *REPORTS)) -> dg.ExecuteInJobResult:
    """Materialize `selection` of the code location's assets built for `env` (the rest of `graph`
    provides their upstream), in process."""
    return dg.materialize(assets(env, *graph), partition_key=partition, resources=resources_for(env),
                          instance=instance, selection=list(selection))


def expected_grade(world, enrollment, day: date) -> tuple[float, bool] | None:
    """(grade, passed) of an enrollment as the sample world's ground truth states it: the persistent course
    grade (passed when edX recorded a pass) where the world gives the learner one, else the certificate grade
    against the course's pass mark; None with neither."""
    persistent = world.course_grade(enrollment, day)
    if persistent is not None:
        return persistent[0], persistent[2] is not None
    certificate = world.certificate(enrollment, day)
    if certificate is not None:
        return certificate[1], certificate[1] >= enrollment.course.passing_grade
    return None


def read_rows(path: Path) -> list[dict]:
    """A CSV file's rows as the standard library reads them (every value text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_pseudonym(key: str, value: str) -> str:
    """A pseudonym as its definition states it (HMAC-SHA256, 20 hex digits), computed with the standard library."""
    return "p_" + hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:20]


def materialization_metadata(result: dg.ExecuteInJobResult, key: str) -> dict:
    """The metadata values of the last materialization of `key` in a run."""
    mats = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)]
    return {k: v.value for k, v in mats[-1].metadata.items()}


def dir_package(path: Path, folder: Path, public_key: str, top: str = "idbx-2026-10-04") -> Path:
    """A package of every file in `folder` (for the public fixtures)."""
    members = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return make_package(path, members, public_key, top)


def decrypted_packages(world, sundays: list[str], base: Path, public_key: str, private_key: str,
                       passphrase: str, *, with_failed: bool) -> dict[str, tuple]:
    """The world's packages of `sundays`, written, encrypted, then extracted and decrypted: sunday ->
    (manifest, folder)."""
    from datetime import date

    from edx_assets.edx import course_package
    from edx_assets.local.sample import write_package

    out = {}
    with crypto.gpg_home() as home:
        enc = SenderKeyring(home, None)
        recipient = enc.import_key(public_key)[0]
        with crypto.keyring(private_key, passphrase) as ring:
            for sunday in sundays:
                zip_path = base / f"idbx-{sunday}.zip"
                write_package(world, date.fromisoformat(sunday), enc, recipient, zip_path, base,
                              with_failed=with_failed)
                folder = base / sunday
                out[sunday] = (course_package.extract_and_decrypt(zip_path, folder, ring), folder)
    return out


def expected_collections(world, course, day) -> dict[str, int]:
    """The rows a package of `day` carries for `course`'s main collections (the sample world's ground truth)."""
    enrollments = world.enrollments_at(course, day)
    learners = world.learners_at(course, day)
    return {
        "users": len(learners),
        "demographics": sum(1 for lr in learners if lr.has_profile),
        "enrollments": len(enrollments),
        "userIDs": len(learners),
        "certificates": sum(1 for e in enrollments if world.certificate(e, day)),
        "courseware": sum(len(e.visits_until(day)) for e in enrollments),
        "structure": len(course.blocks),
        # The instructor's welcome thread and response, then the learners' threads, responses, comments.
        "forum": 2 + sum(len(world.forum_posts(e, day)) + len(world.forum_replies(e, day, "response"))
                         + len(world.forum_replies(e, day, "comment")) for e in enrollments),
        # Course access roles, and the forum roles of the learners the package carries.
        "roles": sum(1 for uid, table, _ in world.roles(course)
                     if table == "course" or uid in {lr.user_id for lr in learners}),
    }


@contextmanager
def daemon_running(env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` over the code location, in its own process group and logging to `log_path`;
    stopped afterwards with everything it started (code server, run workers)."""
    with log_path.open("w") as log:
        daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w",
                                   str(ROOT / "workspace.yaml")], cwd=ROOT, env={**os.environ, **env},
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield daemon
        finally:
            try:
                os.killpg(daemon.pid, signal.SIGTERM)
                daemon.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
