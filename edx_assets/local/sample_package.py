"""Per-course files of a weekly package of the sample world, written as edX writes them."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

from edx_assets.local.sample_events import forum_oid, welcome_oid
from edx_assets.local.sample_world import Course, Enrollment, SampleWorld

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
        return {
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
            # A table the old system never loaded: kept on disk and listed, not loaded.
            "student_anonymoususerid": tsv(["id", "user_id", "anonymous_user_id", "course_id"], ([
                e.enrollment_id, e.learner.user_id, hashlib.md5(str(e.enrollment_id).encode()).hexdigest(),
                course.course_id] for e in enrollments)),
        }

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
                    score = 1.0 if visit.solved else 0.0
                    state = orjson.dumps({
                        "attempts": visit.attempts, "done": True,
                        "correct_map": {f"{unit.block_id}_2_1": {"correctness": "correct" if score else "incorrect"}},
                        "student_answers": {f"{unit.block_id}_2_1": "choice_1" if score else "choice_0"},
                    }).decode()
                    grade, max_grade = score, 1.0
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
                                 "end": course.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "grading_policy": {"GRADE_CUTOFFS": course.grade_cutoffs, "GRADER": [
                                     {"type": "Homework", "min_count": 1, "drop_count": 0, "weight": 1.0}]}})
            if block.category == "problem":
                metadata["graded"] = True
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

    def course_tarball(self, course: Course) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            data = f'<course org="{course.cid.org}" course="{course.cid.number}" url_name="{course.cid.run}"/>\n'
            info = tarfile.TarInfo("course/course.xml")
            info.size = len(data.encode())
            tar.addfile(info, io.BytesIO(data.encode()))
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
        first = self.world.courses[0].cid.file_prefix
        (ora / f"{first}-ora2_submissions-prod-analytics.sql").write_text("id\tuuid\tstudent_id\n")
        written.append(ora / f"{first}-ora2_submissions-prod-analytics.sql")
        return written

    def failed_member(self) -> tuple[str, bytes]:
        """An export task that failed leaves a `.failed` file holding its traceback."""
        prefix = self.world.courses[-1].cid.file_prefix
        text = ("Traceback (most recent call last):\n  File \"export.py\", line 88, in run\n"
                "OperationalError: (2013, 'Lost connection to MySQL server during query')\n")
        return f"{prefix}-grades_persistentcoursegrade-prod-analytics.sql.failed", text.encode()
