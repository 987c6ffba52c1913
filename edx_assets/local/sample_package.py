"""Per-course files of a weekly package of the sample world, written as edX writes them."""

from __future__ import annotations

import csv
import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

from edx_assets.local.sample_events import forum_oid, welcome_oid
from edx_assets.local.sample_world import PARTITION, Course, Enrollment, SampleWorld

AUTH_USER = ["id", "username", "first_name", "last_name", "email", "password", "is_staff", "is_active",
             "is_superuser", "last_login", "date_joined", "status", "email_key", "avatar_typ", "country",
             "show_country", "date_of_birth", "interesting_tags", "ignored_tags", "email_tag_filter_strategy",
             "display_tag_filter_strategy", "consecutive_days_visit_count"]
AUTH_USERPROFILE = ["id", "user_id", "name", "language", "location", "meta", "courseware", "gender",
                    "mailing_address", "year_of_birth", "level_of_education", "goals", "country", "city", "bio",
                    "profile_image_uploaded_at"]
ENROLLMENT = ["id", "user_id", "course_id", "created", "is_active", "mode"]
CERTIFICATE = ["id", "user_id", "download_url", "grade", "course_id", "key", "distinction", "status",
               "verify_uuid", "download_uuid", "name", "created_date", "modified_date", "error_reason", "mode"]
STUDENTMODULE = ["id", "module_type", "module_id", "student_id", "state", "grade", "created", "modified",
                 "max_grade", "done", "course_id"]
USER_ID_MAP = ["hash_id", "user_id", "username"]
COURSE_ACCESS_ROLE = ["id", "user_id", "org", "course_id", "role"]
FORUM_ROLE_USERS = ["id", "user_id", "course_id", "name"]  # the role's name, joined from django_comment_client_role
# The other tables as edx-analytics-exporter's SELECTs write them (docs/edx-package.md).
COURSE_GRADE = ["course_id", "user_id", "grading_policy_hash", "percent_grade", "letter_grade", "passed_timestamp",
                "created", "modified"]
SUBSECTION_GRADE = ["course_id", "user_id", "usage_key", "earned_all", "possible_all", "earned_graded",
                    "possible_graded", "first_attempted", "created", "modified"]
COHORT_MEMBERSHIP = ["user_id", "course_id", "group_type", "name"]
USER_COURSE_TAG = ["id", "user_id", "key", "course_id", "value"]
TEAMS = ["id", "team_id", "name", "course_id", "topic_id", "date_created", "description", "country", "language",
         "discussion_topic_id", "last_activity_at", "team_size"]
TEAM_MEMBERSHIP = ["id", "user_id", "team_id", "date_joined", "last_activity_at"]
ANONYMOUS_USER_ID = ["id", "user_id", "anonymous_user_id", "course_id"]
LANGUAGE_PROFICIENCY = ["id", "user_profile_id", "code"]
CREDIT_ELIGIBILITY = ["id", "created", "modified", "username", "deadline", "course_id"]
EMAIL_OPT_IN = ["user_id", "username", "email", "full_name", "course_id", "is_opted_in_for_email",
                "preference_set_datetime"]
ORA_STUDENT_ITEM = ["id", "student_id", "course_id", "item_id", "item_type"]
ORA_SUBMISSION = ["id", "uuid", "attempt_number", "submitted_at", "created_at", "raw_answer", "student_item_id",
                  "status"]
ORA_SCORE = ["id", "points_earned", "points_possible", "created_at", "reset", "student_item_id", "submission_id"]
ORA_ASSESSMENT = ["id", "submission_uuid", "rubric_id", "scored_at", "scorer_id", "score_type", "feedback"]
STAFF_SCORER = hashlib.md5(b"course-staff").hexdigest()  # the anonymous id of the staff member who grades essays
# Tables an old course's export does not carry.
NEWER_TABLES = ("grades_persistentcoursegrade", "grades_persistentsubsectiongrade", "course_groups_cohortmembership",
                "user_api_usercoursetag", "teams", "teams_membership", "student_anonymoususerid",
                "credit_crediteligibility")


def escape(value: object) -> str:
    """One TSV field as edX writes it: NULL, `\\\\`, and `\\t` `\\n` `\\r` as two characters."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def tsv(header: list[str], rows: Iterable[list[object]]) -> Iterator[bytes]:
    yield ("\t".join(header) + "\n").encode()
    for row in rows:
        yield ("\t".join(escape(v) for v in row) + "\n").encode()


def anonymous_id(enrollment: Enrollment) -> str:
    """The learner's course-specific anonymous id (student_anonymoususerid; the ORA tables' student_id)."""
    return hashlib.md5(str(enrollment.enrollment_id).encode()).hexdigest()


def _at(day: date, seconds: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)


class PackageWriter:
    """Writes the plaintext files of the package dated `day` (a Sunday) into a folder."""

    def __init__(self, world: SampleWorld, day: date) -> None:
        self.world = world
        self.day = day

    def tables(self, course: Course) -> dict[str, Iterator[bytes]]:
        w, day = self.world, self.day
        enrollments = w.enrollments_at(course, day)
        learners = w.learners_at(course, day)
        present = {lr.user_id for lr in learners}
        tables = {
            "auth_user": tsv(AUTH_USER, ([
                lr.user_id, *self._account(lr), "", lr.is_staff, True,
                False, None if lr.user_id % 7 == 0 else _at(day, -3600 * (lr.user_id % 48)), lr.date_joined,
                "", None, "", "", False, None, "", "", 0, 0, 0] for lr in learners)),
            "auth_userprofile": tsv(AUTH_USERPROFILE, ([
                lr.user_id, lr.user_id, f"{lr.first_name} {lr.last_name}", "es", "", "", "course.xml",
                lr.gender, "", lr.year_of_birth, lr.education,
                "Aprender\tmás\ny compartir con C:\\equipo" if lr.user_id % 5 == 0 else "", lr.country or "",
                "", "", None] for lr in learners if lr.has_profile)),
            "student_courseenrollment": tsv(ENROLLMENT, ([
                e.enrollment_id, e.learner.user_id, course.course_id, e.created, e.is_active_at(day), e.mode]
                for e in enrollments)),
            "certificates_generatedcertificate": tsv(CERTIFICATE, self._certificates(course, enrollments)),
            "courseware_studentmodule": tsv(STUDENTMODULE, self._studentmodule(course, enrollments)),
            "user_id_map": tsv(USER_ID_MAP, ([
                hashlib.sha1(f"{w.spec.seed}-{lr.user_id}".encode()).hexdigest(), lr.user_id, self._account(lr)[0]]
                for lr in learners)),
            "student_courseaccessrole": tsv(COURSE_ACCESS_ROLE, ([
                i, uid, course.cid.org, course.course_id, role] for i, (uid, table, role) in
                enumerate(w.roles(course), start=1) if table == "course")),
            "django_comment_client_role_users": tsv(FORUM_ROLE_USERS, ([
                i, uid, course.course_id, role] for i, (uid, table, role) in
                enumerate(w.roles(course), start=1) if table == "forum" and uid in present)),
            "student_anonymoususerid": tsv(ANONYMOUS_USER_ID, ([
                e.enrollment_id, e.learner.user_id, anonymous_id(e), course.course_id] for e in enrollments)),
            "grades_persistentcoursegrade": tsv(COURSE_GRADE, self._course_grades(course, enrollments)),
            "grades_persistentsubsectiongrade": tsv(SUBSECTION_GRADE, self._subsection_grades(course, enrollments)),
            "course_groups_cohortmembership": tsv(COHORT_MEMBERSHIP, ([
                e.learner.user_id, course.course_id, "cohort", w.cohort(e)] for e in enrollments if w.cohort(e))),
            "user_api_usercoursetag": tsv(USER_COURSE_TAG, ([
                e.enrollment_id, e.learner.user_id, f"xblock.partition_service.partition_{PARTITION['id']}",
                course.course_id, w.partition_group(e)] for e in enrollments if w.partition_group(e) is not None)),
            "teams": tsv(TEAMS, self._teams(course, enrollments)),
            "teams_membership": tsv(TEAM_MEMBERSHIP, ([
                e.enrollment_id, e.learner.user_id, w.team(e), e.created + timedelta(days=1), e.created + timedelta(days=2)]
                for e in enrollments if w.team(e))),
            "student_languageproficiency": tsv(LANGUAGE_PROFICIENCY, ([
                lr.user_id, lr.user_id, ("es", "en", "pt")[lr.user_id % 3]] for lr in learners
                if lr.has_profile and lr.user_id % 2)),
            "credit_crediteligibility": tsv(CREDIT_ELIGIBILITY, self._credit(course, enrollments)),
        }
        empty = {"teams", "teams_membership"} if not any(w.team(e) for e in enrollments) else set()
        dropped = {*(NEWER_TABLES if course.old_export else ()), *empty,
                   *(("certificates_generatedcertificate",) if course.self_paced else ())}
        return {table: rows for table, rows in tables.items() if table not in dropped}

    def _course_grades(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        policy_hash = hashlib.sha1(orjson.dumps(course.grader)).hexdigest()[:27] + "="
        for e in sorted(enrollments, key=lambda e: e.learner.user_id):  # the export orders by user_id
            grade = self.world.course_grade(e, self.day)
            if grade is None:
                continue
            percent, letter, passed = grade
            visits = e.problem_visits(self.day)
            created = _at(min(v.day for v in visits), 36000)
            modified = _at(max(v.day for v in visits), 72000)
            yield [course.course_id, e.learner.user_id, policy_hash, percent, letter, passed, created, modified]

    def _subsection_grades(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        rows = []
        for e in enrollments:
            for usage_key, earned, possible, first in self.world.subsection_grades(e, self.day):
                rows.append([course.course_id, e.learner.user_id, usage_key, earned, possible, earned, possible, first,
                             first or _at(self.day, -3600), first or _at(self.day, -3600)])
        # ordered by user_id, first_attempted (NULL first, as MySQL sorts it)
        yield from sorted(rows, key=lambda r: (r[1], r[7] is not None, r[7] or datetime.min))

    def _teams(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        sizes = [sum(1 for e in enrollments if self.world.team(e) == n) for n in (1, 2, 3)]
        for n, name in enumerate(self.world.TEAMS, start=1):
            slug = name.lower().replace(" ", "-").replace("í", "i")
            created = _at(course.start.date(), 3600 * n)
            yield [n, f"{slug}-{course.cid.run.lower()}", name, course.course_id, "topic-1", created,
                   f"Equipo de estudio {n}", ("CO", "PE", "CL")[n - 1], "es", f"{n:032x}", created, sizes[n - 1]]

    def _credit(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        """Credit eligibility (the first course offers credit): verified learners who passed."""
        if self.world.courses.index(course) != 0:
            return
        for e in sorted(enrollments, key=lambda e: self._account(e.learner)[0]):
            grade = self.world.course_grade(e, self.day)
            if e.mode == "verified" and grade and grade[2]:
                yield [e.enrollment_id, grade[2], grade[2], self._account(e.learner)[0],
                       grade[2] + timedelta(days=365), course.course_id]

    def email_opt_in(self) -> Iterator[bytes]:
        """The org's `{org}-email_opt_in-prod-analytics.csv`: one row per learner and course (comma-separated)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EMAIL_OPT_IN)
        for course in self.world.courses:
            for e in self.world.enrollments_at(course, self.day):
                username, first, last, email = self._account(e.learner)
                writer.writerow([e.learner.user_id, username, email, f"{first} {last}".strip(), course.course_id,
                                 "True" if self.world.email_opt_in(e) else "False",
                                 e.created.strftime("%Y-%m-%d %H:%M:%S")])
        yield out.getvalue().encode()

    def ora(self, course: Course) -> dict[str, Iterator[bytes]]:
        """The `ora/` tables of the first course's open-response problem: every sixth learner with visits
        submitted once and was scored by staff; each writer assessed the next one's essay (peer, in a ring),
        and every twelfth also assessed their own (self)."""
        if self.world.courses.index(course) != 0:
            return {}
        item = course.block_id("openassessment", "ensayo1")
        writers = [e for e in self.world.enrollments_at(course, self.day) if e.visits and e.learner.user_id % 6 == 0
                   and e.visits[0].day <= self.day]
        items = [[i, anonymous_id(e), course.course_id, item, "openassessment"] for i, e in enumerate(writers, start=1)]
        moments = [_at(e.visits[0].day, 50000) for e in writers]
        submissions = [[i, f"{e.enrollment_id:032x}", 1, moments[i - 1], moments[i - 1],
                        orjson.dumps({"parts": [{"text": "Mi ensayo:\tuna idea\ny otra"}]}).decode(), i, "A"]
                       for i, e in enumerate(writers, start=1)]
        scores = [[i, 3 + e.learner.user_id % 3, 5, moments[i - 1] + timedelta(days=1), False, i, i]
                  for i, e in enumerate(writers, start=1)]
        uuids = [row[1] for row in submissions]
        assessments = [[uuids[i], 1, moments[i] + timedelta(days=1), STAFF_SCORER, "ST", ""] for i in range(len(writers))]
        if len(writers) > 1:  # a ring: writer i assesses writer i + 1's essay
            assessments += [[uuids[(i + 1) % len(writers)], 1, moments[i] + timedelta(hours=2), anonymous_id(e), "PE", ""]
                            for i, e in enumerate(writers)]
        assessments += [[uuids[i], 1, moments[i] + timedelta(hours=1), anonymous_id(e), "SE", ""]
                        for i, e in enumerate(writers) if e.learner.user_id % 12 == 0]
        return {"submissions_studentitem": tsv(ORA_STUDENT_ITEM, items),
                "submissions_submission": tsv(ORA_SUBMISSION, submissions),
                "submissions_score": tsv(ORA_SCORE, scores),
                "assessment_assessment": tsv(ORA_ASSESSMENT, ([i, *a] for i, a in enumerate(assessments, start=1)))}

    def _account(self, learner) -> tuple[str, str, str, str]:
        """username, first name, last name, e-mail of `auth_user`: as edX writes them for a retired learner."""
        if learner.user_id in self.world.spec.retired_by_edx:
            retired = "retired__user_" + hashlib.sha1(f"retired-{learner.user_id}".encode()).hexdigest()
            return retired, "", "", f"{retired}@retired.invalid"
        return learner.username, learner.first_name, learner.last_name, learner.email

    def _certificates(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        for e in enrollments:
            cert = self.world.certificate(e, self.day)
            if cert is None:
                continue
            status, grade = cert
            created = _at(self.day, 3600)
            yield [e.enrollment_id, e.learner.user_id,
                   f"https://courses.edx.org/certificates/{e.enrollment_id:x}" if status == "downloadable" else "",
                   f"{grade:.2f}", course.course_id, f"{e.enrollment_id:032x}", False, status, "", "",
                   f"{e.learner.first_name} {e.learner.last_name}", created, created, "", e.mode]

    def _studentmodule(self, course: Course, enrollments: list[Enrollment]) -> Iterator[list[object]]:
        for e in enrollments:
            for visit in e.visits_until(self.day):
                unit = course.units[visit.unit_index]
                moment = _at(visit.day, 36000 + visit.unit_index * 60)
                if unit.category == "problem":
                    # One entry per response part, keyed as edX keys them (`<url_name>_2_1`, as in the events).
                    parts = course.problem_parts(unit.block_id)
                    state = orjson.dumps({
                        "attempts": visit.attempts, "done": True,
                        "correct_map": {p: {"correctness": "correct" if visit.solved else "incorrect"} for p in parts},
                        "student_answers": {p: "choice_1" if visit.solved else "choice_0" for p in parts},
                    }).decode()
                    grade, max_grade = float(len(parts)) if visit.solved else 0.0, float(len(parts))
                elif unit.category == "video":
                    state, grade, max_grade = '{"saved_video_position": "00:02:11"}', None, None
                else:
                    state, grade, max_grade = '{"position": 1}', None, None
                yield [e.enrollment_id * 1000 + visit.unit_index, unit.category, unit.block_id,
                       e.learner.user_id, state, grade, moment, moment, max_grade, "na", course.course_id]

    def structure(self, course: Course) -> bytes:
        blocks = {}
        for block in course.blocks:
            metadata: dict = {"display_name": block.display_name}
            if block.category == "course":
                metadata.update({"start": course.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "end": course.end.strftime("%Y-%m-%dT%H:%M:%SZ"), **self._course_settings(course)})
                if course.old_export:  # older tools wrote the (content-scoped) grading policy here
                    metadata["grading_policy"] = {"GRADE_CUTOFFS": course.grade_cutoffs, "GRADER": course.grader}
            if block.category == "sequential":  # settings edX keeps where they are set: the subsection
                metadata.update({"graded": True, "format": course.sequential_format(block.block_id),
                                 "due": course.due(block.block_id).strftime("%Y-%m-%dT%H:%M:%SZ")})
            if block.category == "problem":
                metadata.update({"graded": True, "weight": 1.0})
            blocks[block.block_id] = {"category": block.category, "children": list(block.children),
                                      "metadata": metadata}
        return orjson.dumps(blocks, option=orjson.OPT_INDENT_2)

    def forum(self, course: Course) -> Iterator[bytes]:
        """The forum dump: the instructor's welcome thread and first response, then the learners' threads
        (every second one up-voted by the instructor), their responses to the welcome thread (which they
        up-vote; every third response endorsed) and their comments on the welcome response."""
        w, day = self.world, self.day
        enrollments = w.enrollments_at(course, day)
        replies = {kind: [(e, v) for e in enrollments for v in w.forum_replies(e, day, kind)]
                   for kind in ("response", "comment")}
        staff = w.welcome_author(course)
        opened = _at(w.spec.start - timedelta(days=20), 36000)
        voters = sorted({str(e.learner.user_id) for e, _ in replies["response"]})
        yield self._post(welcome_oid(course, "thread"), "CommentThread", staff, course, opened, voters,
                         title="Bienvenida", comment_count=len(replies["response"]) + len(replies["comment"]) + 1)
        yield self._post(welcome_oid(course, "response"), "Comment", staff, course, opened + timedelta(minutes=5), [],
                         comment_thread_id=welcome_oid(course, "thread"), endorsed=False)
        for n, e in enumerate(enrollments):
            for visit in w.forum_posts(e, day):
                yield self._post(forum_oid(e, visit), "CommentThread", e.learner, course,
                                 _at(visit.day, 36000 + visit.unit_index * 60 + 20),
                                 [str(staff.user_id)] if n % 2 == 0 else [], title=f"Pregunta {visit.unit_index}")
        for n, (e, visit) in enumerate(replies["response"]):
            yield self._post(forum_oid(e, visit), "Comment", e.learner, course,
                             _at(visit.day, 36000 + visit.unit_index * 60 + 20), [],
                             comment_thread_id=welcome_oid(course, "thread"), endorsed=n % 3 == 0)
        for e, visit in replies["comment"]:
            yield self._post(forum_oid(e, visit), "Comment", e.learner, course,
                             _at(visit.day, 36000 + visit.unit_index * 60 + 20), [],
                             comment_thread_id=welcome_oid(course, "thread"),
                             parent_id={"$oid": welcome_oid(course, "response")}, endorsed=False)

    @staticmethod
    def _post(oid: str, kind: str, author, course: Course, created: datetime, up: list[str], **fields) -> bytes:
        body = {"CommentThread": "¿Alguien más tiene dudas con esta unidad?", "Comment": "Gracias, empiezo hoy."}[kind]
        return orjson.dumps({
            "_id": {"$oid": oid}, "_type": kind, "author_id": str(author.user_id),
            "author_username": author.username, "body": body, "course_id": course.course_id,
            "commentable_id": "course", "anonymous": False,
            "created_at": {"$date": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
            "updated_at": {"$date": int(created.timestamp() * 1000)},
            "votes": {"up": up, "down": [], "up_count": len(up), "down_count": 0, "count": len(up), "point": len(up)},
            **({"thread_type": "question", "closed": False, "comment_count": 0} if kind == "CommentThread" else {}),
            **{k: ({"$oid": v} if k == "comment_thread_id" else v) for k, v in fields.items()},
        }) + b"\n"

    def _course_settings(self, course: Course) -> dict:
        settings: dict = {"self_paced": course.self_paced}
        if self.world.courses.index(course) == 0:
            settings["user_partitions"] = [PARTITION]
        return settings

    def course_tarball(self, course: Course) -> bytes:
        """The OLX export: `course.xml` and `policies/<run>/policy.json`, plus `grading_policy.json` (where edX
        keeps GRADER and GRADE_CUTOFFS) except in an old course's export."""
        run = course.cid.run
        files = {"course/course.xml": f'<course org="{course.cid.org}" course="{course.cid.number}" '
                                      f'url_name="{run}"/>\n'.encode(),
                 f"course/policies/{run}/policy.json": orjson.dumps({f"course/{run}": {
                     "display_name": course.display_name, **self._course_settings(course)}})}
        if not course.old_export:
            files[f"course/policies/{run}/grading_policy.json"] = orjson.dumps(
                {"GRADER": course.grader, "GRADE_CUTOFFS": course.grade_cutoffs}, option=orjson.OPT_INDENT_2)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    def write(self, folder: Path) -> list[Path]:
        """Write every file of the package; returns their paths (relative names keep edX's layout)."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for course in self.world.courses:
            prefix = course.cid.file_prefix
            for table, chunks in self.tables(course).items():
                path = folder / f"{prefix}-{table}-prod-analytics.sql"
                with path.open("wb") as handle:
                    for chunk in chunks:
                        handle.write(chunk)
                written.append(path)
            for name, data in (
                (f"{prefix}-course_structure-prod-analytics.json", self.structure(course)),
                (f"{prefix}-course-prod-analytics.xml.tar.gz", self.course_tarball(course)),
                (f"{prefix}-prod.mongo", b"".join(self.forum(course))),
            ):
                (folder / name).write_bytes(data)
                written.append(folder / name)
        ora = folder / "ora"
        ora.mkdir(exist_ok=True)
        for course in self.world.courses:
            for table, chunks in self.ora(course).items():
                path = ora / f"{course.cid.file_prefix}-{table}-prod-analytics.sql"
                path.write_bytes(b"".join(chunks))
                written.append(path)
        opt_in = folder / f"{self.world.spec.org}-email_opt_in-prod-analytics.csv"
        opt_in.write_bytes(b"".join(self.email_opt_in()))
        written.append(opt_in)
        return written

    def failed_member(self) -> tuple[str, bytes]:
        """An export task that failed leaves a `.failed` file holding its traceback."""
        prefix = self.world.courses[-1].cid.file_prefix
        text = ("Traceback (most recent call last):\n  File \"export.py\", line 88, in run\n"
                "OperationalError: (2013, 'Lost connection to MySQL server during query')\n")
        return f"{prefix}-wiki_article-prod-analytics.sql.failed", text.encode()
