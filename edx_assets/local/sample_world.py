"""A deterministic, made-up edX partner: courses, learners, enrollments and what each learner did.

Everything is derived from a seed, so the same spec always gives the same delivery, and tests can ask
the world for ground truth (who enrolled when, which modules a learner visited, which certificates
exist) without going through the pipeline's code.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from edx_assets.edx.layout import CourseId

GENDERS = ["m", "f", "f", "m", "o", "", None]
EDUCATION = ["p", "m", "b", "b", "a", "hs", "jhs", "el", "none", "other", None, ""]
FIRST = ["Ana", "José", "María", "Łukasz", "Zoë", "Juan Pablo", "Niño", "Françoise", "O'Brien", "Chen", "Anaïs"]
LAST = ["Pérez", "García", "Müller", "Smith, Jr.", "Núñez", "Silva", 'Dos "Santos"', "Kowalski", "Ødegaard"]

# The shapes of real courses, each from a published figure (docs/sample-world.md quotes the sources).
# Never start: 292,852 of 841,687 registrations (34.8%) never engaged with the content (Ho et al. 2014,
# HarvardX and MITx: The First Year of Open Online Courses).
NEVER_START = 0.35
# Weekly attrition: "on average, 50 percent of people left within a week or two of enrolling. After that
# window, attrition rates decreased" (MIT News on the same report): a starter stops after their first week
# with probability 0.30, after the second with 0.28 (together 0.50), then 0.12 a week.
STOP_AFTER_WEEK = (0.30, 0.28)
STOP_LATER = 0.12
# Enrollment modes: verified learners were 2.7% of 2017-18's enrollments and 4.7% of those who started
# (Reich & Ruipérez-Valiente 2019, The MOOC Pivot, supplementary tables S2 and S3); edX ended free ("honor")
# certificates in 2016 (Despujol et al. 2017), so honor is the free track of the runs before it.
MODE_WEIGHTS = {"audit": 93.5, "verified": 5.0, "professional": 1.5}
# Registration countries of a Spanish-language partner of the Americas: Colombia, Mexico and Spain lead
# (Semana, on MOOC learners in Spanish), Latin America is one eighth of edX's learners (IDB, The future of
# MOOCs in LAC), and the US is a quarter of edX's (27%: J. Kim, The Scope of edX): weights per address block
# (the offline database's country), and the profile's self-reported country with its blanks.
IP_WEIGHTS = {"190.85": 14, "181.49": 10, "187.188": 12, "189.203": 6, "83.44": 9, "200.48": 8, "190.216": 6,
              "186.46": 5, "8.8": 8, "177.70": 4, "200.1": 4, "201.217": 3, "186.4": 3, "152.231": 2, "88.26": 6}
IP_BLOCKS = list(IP_WEIGHTS)
COUNTRY_WEIGHTS = {"CO": 22, "MX": 17, "ES": 12, "PE": 7, "AR": 5, "EC": 4, "CL": 4, "US": 7, "BR": 3, "VE": 3,
                   "": 16}
# Mobile: a third of Coursera's learners in Latin America use its mobile app (World Bank, 2015); such a
# learner watches 3 videos out of 5 in edX's app.
MOBILE_LEARNERS = 1 / 3
MOBILE_VIDEOS = 0.6


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Block:
    block_id: str
    category: str
    display_name: str
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Course:
    cid: CourseId
    display_name: str
    start: datetime
    end: datetime
    legacy: bool  # ids written as Org/Num/Run in tables and events
    passing_grade: float
    blocks: tuple[Block, ...]
    letter_grades: bool = False  # several cutoffs (A/B/C): the lowest is the pass mark
    self_paced: bool = False  # no certificates are generated: grades only in grades_persistentcoursegrade
    # an old course's export: no persistent grades, cohorts, partition tags, teams, anonymous ids or credit
    # files, and the grading policy in the structure's course block (older tools) instead of the OLX export
    old_export: bool = False

    @property
    def grade_cutoffs(self) -> dict[str, float]:
        """What the structure's `grading_policy.GRADE_CUTOFFS` holds, as edX's export writes it."""
        if self.letter_grades:
            return {"A": 0.9, "B": 0.8, "C": self.passing_grade}
        return {"Pass": self.passing_grade}

    @property
    def course_id(self) -> str:
        return self.cid.legacy if self.legacy else self.cid.v1

    def block_id(self, category: str, name: str) -> str:
        if self.legacy:
            return f"i4x://{self.cid.org}/{self.cid.number}/{category}/{name}"
        return f"block-v1:{self.cid.org}+{self.cid.number}+{self.cid.run}+type@{category}+block@{name}"

    @cached_property
    def units(self) -> list[Block]:
        """Visitable leaves: videos, problems and html, in course order."""
        return [b for b in self.blocks if b.category in {"video", "problem", "html"}]

    @cached_property
    def problems(self) -> list[Block]:
        return [b for b in self.blocks if b.category == "problem"]

    @cached_property
    def videos(self) -> list[Block]:
        return [b for b in self.blocks if b.category == "video"]

    def video_duration(self, block_id: str) -> float:
        """Seconds, as the player reports them in every video event's `duration`: 3 to 6.5 minutes."""
        return 180.0 + 30 * (int(hashlib.sha256(block_id.encode()).hexdigest(), 16) % 8)

    def problem_parts(self, block_id: str) -> list[str]:
        """Response parts (`{short}_2_1`, ...): every other problem has a second, numeric part."""
        short = block_id.rsplit("@", 1)[-1].rsplit("/", 1)[-1]
        index = [b.block_id for b in self.problems].index(block_id)
        return [f"{short}_2_1", f"{short}_3_1"] if index % 2 == 0 else [f"{short}_2_1"]

    def randomized(self, block_id: str) -> bool:
        """Every third problem is randomized: each learner gets one of three variants (the seed)."""
        return [b.block_id for b in self.problems].index(block_id) % 3 == 0

    def sequential_format(self, block_id: str) -> str:
        """The assignment type of a graded sequential: the first of each chapter is Homework, the second Lab."""
        return "Homework" if block_id.rsplit("seq", 1)[-1].endswith("0") else "Lab"

    @property
    def grader(self) -> list[dict]:
        """The grading policy's GRADER: two types of 3 subsections with 2 problems each, weighted 0.5, so the
        course grade is the share of the 12 problems solved (what the certificates say)."""
        return [{"type": "Homework", "min_count": 3, "drop_count": 0, "short_label": "HW", "weight": 0.5},
                {"type": "Lab", "min_count": 3, "drop_count": 0, "short_label": "Lab", "weight": 0.5}]

    def due(self, block_id: str) -> datetime:
        """A graded sequential's due date: two weeks per chapter after the course start."""
        chapter = int(block_id.rsplit("seq", 1)[-1][0])
        return self.start + timedelta(days=14 * (chapter + 1), hours=23, minutes=59)

    @cached_property
    def sequentials(self) -> list[Block]:
        return [b for b in self.blocks if b.category == "sequential"]

    @cached_property
    def sequential_of(self) -> dict[str, str]:
        """Unit block id -> the id of the sequential (subsection) that holds it."""
        return self._ancestors("sequential")

    def _ancestors(self, category: str) -> dict[str, str]:
        """Unit block id -> the id of the `category` block above it."""
        parent = {child: b.block_id for b in self.blocks for child in b.children}
        kind = {b.block_id: b.category for b in self.blocks}
        result = {}
        for unit in self.units:
            node = unit.block_id
            while kind[node] != category:
                node = parent[node]
            result[unit.block_id] = node
        return result

    def letter(self, grade: float) -> str:
        """The letter grade edX stores: the highest cutoff the grade reaches; empty below the pass mark."""
        for name, cutoff in sorted(self.grade_cutoffs.items(), key=lambda kv: -kv[1]):
            if grade >= cutoff:
                return name
        return ""

    @cached_property
    def chapters(self) -> list[Block]:
        return [b for b in self.blocks if b.category == "chapter"]

    @cached_property
    def chapter_of(self) -> dict[str, str]:
        """Unit block id -> the id of the chapter that holds it."""
        return self._ancestors("chapter")


@dataclass(frozen=True)
class Learner:
    user_id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_staff: bool
    date_joined: datetime
    gender: str | None
    year_of_birth: int | None
    education: str | None
    country: str | None
    ip: str
    has_profile: bool
    # Every fourth learner also studies from a second place (work, travel) on two days out of three, so
    # the registration IP and the most frequent IP can lie in different countries.
    second_ip: str | None = None
    mobile: bool = False  # also uses edX's mobile app (MOBILE_LEARNERS)

    def ip_on(self, day: date) -> str:
        return self.second_ip if self.second_ip and day.toordinal() % 3 else self.ip


@dataclass(frozen=True)
class Visit:
    unit_index: int
    day: date
    correct: bool  # problems: right on the first attempt
    attempts: int

    @property
    def solved(self) -> bool:
        """Problems: right in the end (a learner who tried again got it right on the last attempt)."""
        return self.correct or self.attempts > 1


def visit_moment(visit: Visit) -> datetime:
    """When a visit's courseware record was written (the studentmodule's created/modified)."""
    return datetime.combine(visit.day, datetime.min.time()) + timedelta(seconds=36000 + visit.unit_index * 60)


@dataclass(frozen=True)
class Enrollment:
    enrollment_id: int
    learner: Learner
    course: Course
    created: datetime
    mode: str
    unenrolled: date | None
    visits: tuple[Visit, ...]

    def visits_until(self, day: date) -> list[Visit]:
        return [v for v in self.visits if v.day <= day]

    def grade_at(self, day: date) -> float:
        problems = {v.unit_index for v in self.visits_until(day)
                    if self.course.units[v.unit_index].category == "problem" and v.solved}
        return round(len(problems) / max(1, len(self.course.problems)), 2)

    def problem_visits(self, day: date) -> list[Visit]:
        return [v for v in self.visits_until(day) if self.course.units[v.unit_index].category == "problem"]

    def passed_at(self, day: date) -> datetime | None:
        """When the grade first reached the pass mark (the moment of the problem visit that got it there)."""
        solved: set[int] = set()
        for v in sorted(self.problem_visits(day), key=lambda v: (v.day, v.unit_index)):
            if v.solved:
                solved.add(v.unit_index)
            if round(len(solved) / max(1, len(self.course.problems)), 2) >= self.course.passing_grade:
                return visit_moment(v)
        return None

    def is_active_at(self, day: date) -> bool:
        return self.unenrolled is None or self.unenrolled > day


@dataclass(frozen=True)
class SampleSpec:
    org: str = "idbx"
    site: str = "edx"
    start: date = date(2026, 10, 4)
    end: date = date(2026, 10, 25)
    seed: int = 7
    learners: int = 150
    courses: int = 4
    events_per_day: int = 600
    malformed_per_day: int = 2
    # learners edX has retired: their `auth_user` and `user_id_map` rows carry `retired__user_…` in every
    # package (their events, logged before, still carry their username)
    retired_by_edx: tuple[int, ...] = ()


def _second_ip(seed: int, uid: int) -> str | None:
    if uid % 4 != 3:
        return None
    rng = _rng(seed, "second_ip", uid)  # its own stream: the other learner fields stay as they were
    return f"{_pick(rng, IP_WEIGHTS)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# The first course runs an A/B test (a random user partition, the course's `user_partitions`) on its videos.
PARTITION = {"id": 50, "name": "Experimento de video", "scheme": "random", "version": 3,
             "groups": [{"id": 0, "name": "Video corto", "version": 1}, {"id": 1, "name": "Video largo", "version": 1}]}
_PASS_MARKS = [0.6, 0.65, 0.7, 0.55]
_COURSE_TEMPLATES = [
    ("IDB4.1x", "2015_T4", "Gestión para resultados en el desarrollo", False),
    ("Niñez1x", "1T2026", "Desarrollo infantil temprano: ¿qué funciona?", False),
    ("IDB6x", "2014_T1", "Economics of Climate Change, \"Part I\"", True),
    ("IDB4.1x", "3T2026", "Gestión para resultados en el desarrollo", False),  # a new run of the first course
    ("DAT2x", "2T2026", "Datos abiertos para el sector público", False),
]


@dataclass
class SampleWorld:
    spec: SampleSpec
    _enrollments: list[Enrollment] | None = field(default=None, init=False, repr=False)

    # -- courses ---------------------------------------------------------------------------------

    @cached_property
    def courses(self) -> list[Course]:
        org = self.spec.org.upper().replace("X", "x") if self.spec.org.lower() == "idbx" else self.spec.org
        result = []
        for i in range(self.spec.courses):
            number, run, name, legacy = _COURSE_TEMPLATES[i % len(_COURSE_TEMPLATES)]
            if i >= len(_COURSE_TEMPLATES):
                number = f"{number}{i}"
            cid = CourseId(org, number, run)
            start = datetime.combine(self.spec.start - timedelta(days=30 + 7 * i), datetime.min.time())
            end = datetime.combine(self.spec.end + timedelta(days=60), datetime.min.time())
            if legacy:  # an archived run: past its midpoint during the delivery (at_risk_learners' grade rule)
                end = datetime.combine(self.spec.start + timedelta(days=3), datetime.min.time())
            # Pass marks as edX courses state them: 0.6, 0.65, 0.7, and one course with letter grades.
            course = Course(cid, name, start, end, legacy, _PASS_MARKS[i % len(_PASS_MARKS)], (),
                            letter_grades=i % len(_PASS_MARKS) == 3, self_paced=i == 1, old_export=legacy)
            object.__setattr__(course, "blocks", tuple(self._structure(course)))
            result.append(course)
        return result

    def _structure(self, course: Course) -> list[Block]:
        rng = _rng(self.spec.seed, "structure", course.cid.v1)
        blocks: list[Block] = []
        chapters = []
        for c in range(3):
            seqs = []
            for s in range(2):
                verts = []
                for v in range(2):
                    leaves = []
                    for cat in ("video", "problem", "html"):
                        name = f"{cat}{c}{s}{v}{rng.randrange(16**6):06x}"
                        bid = course.block_id(cat, name)
                        blocks.append(Block(bid, cat, f"{cat.title()} {c + 1}.{s + 1}.{v + 1}"))
                        leaves.append(bid)
                    vid = course.block_id("vertical", f"vert{c}{s}{v}")
                    blocks.append(Block(vid, "vertical", f"Unidad {c + 1}.{s + 1}.{v + 1}", tuple(leaves)))
                    verts.append(vid)
                sid = course.block_id("sequential", f"seq{c}{s}")
                blocks.append(Block(sid, "sequential", f"Lección {c + 1}.{s + 1}", tuple(verts)))
                seqs.append(sid)
            chid = course.block_id("chapter", f"chapter{c}")
            blocks.append(Block(chid, "chapter", f"Módulo {c + 1}", tuple(seqs)))
            chapters.append(chid)
        root = course.block_id("course", "course")
        blocks.append(Block(root, "course", course.display_name, tuple(chapters)))
        # Course order: root first, then depth-first.
        by_id = {b.block_id: b for b in blocks}
        ordered: list[Block] = []

        def walk(bid: str) -> None:
            ordered.append(by_id[bid])
            for child in by_id[bid].children:
                walk(child)

        walk(root)
        return ordered

    # -- learners --------------------------------------------------------------------------------

    @cached_property
    def learners(self) -> list[Learner]:
        result = []
        for uid in range(1, self.spec.learners + 1):
            rng = _rng(self.spec.seed, "learner", uid)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            staff = uid <= 2
            joined = datetime.combine(self.spec.start, datetime.min.time()) - timedelta(
                days=rng.randrange(1, 400), seconds=rng.randrange(86400)
            )
            result.append(
                Learner(
                    user_id=uid,
                    username=f"staff{uid}" if staff else f"learner{uid:05d}",
                    first_name=first,
                    last_name=last,
                    email=f"user{uid}@example.org",
                    is_staff=staff,
                    date_joined=joined,
                    gender=rng.choice(GENDERS),
                    year_of_birth=None if rng.random() < 0.15 else rng.randrange(1950, 2008),
                    education=rng.choice(EDUCATION),
                    country=_pick(rng, COUNTRY_WEIGHTS),
                    ip=f"{_pick(rng, IP_WEIGHTS)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}",
                    has_profile=rng.random() > 0.05,  # a few learners have no profile row at all
                    second_ip=_second_ip(self.spec.seed, uid),
                    mobile=_rng(self.spec.seed, "mobile", uid).random() < MOBILE_LEARNERS,
                )
            )
        return result

    # -- enrollments and activity ----------------------------------------------------------------

    @property
    def enrollments(self) -> list[Enrollment]:
        if self._enrollments is None:
            self._enrollments = list(self._make_enrollments())
        return self._enrollments

    def _make_enrollments(self) -> Iterator[Enrollment]:
        eid = 0
        days = (self.spec.end - self.spec.start).days
        for learner in self.learners:
            rng = _rng(self.spec.seed, "enroll", learner.user_id)
            courses = self.courses if learner.is_staff else rng.sample(
                self.courses, k=min(len(self.courses), rng.choice([1, 1, 2, 2, 3])))
            for course in courses:
                eid += 1
                # Most enrolled before the delivery range; some enroll during it.
                if rng.random() < 0.6:
                    created_day = self.spec.start - timedelta(days=rng.randrange(1, 25))
                else:
                    created_day = self.spec.start + timedelta(days=rng.randrange(0, days + 1))
                created = datetime.combine(created_day, datetime.min.time()) + timedelta(
                    seconds=rng.randrange(3600, 80000))
                mode = "honor" if learner.is_staff else _pick(rng, MODE_WEIGHTS)
                if mode == "audit" and course.cid.run[:4].isdigit() and int(course.cid.run[:4]) < 2016:
                    mode = "honor"  # a run before 2016: the free track had an honor certificate
                unenrolled = None
                if not learner.is_staff and rng.random() < 0.08:
                    unenrolled = created_day + timedelta(days=rng.randrange(1, 10))
                visits = [] if learner.is_staff else self._visits(rng, course, created_day, unenrolled)
                yield Enrollment(eid, learner, course, created, mode, unenrolled, tuple(visits))

    def _visits(self, rng: random.Random, course: Course, first_day: date,
                unenrolled: date | None) -> list[Visit]:
        """The learner's visits, in course order: none for those who never start (NEVER_START); the others
        work for some weeks (STOP_AFTER_WEEK, STOP_LATER) at their own pace, until they stop, unenroll or the
        delivery ends."""
        if rng.random() < NEVER_START:
            return []  # enrolled, never came
        weeks = 1
        while rng.random() >= (STOP_AFTER_WEEK[weeks - 1] if weeks <= len(STOP_AFTER_WEEK) else STOP_LATER):
            weeks += 1
        pace = rng.choice([0.5, 0.75, 1.0, 1.0, 1.5])  # units a week, as a share of a 6-week course's
        n = max(1, min(len(course.units), round(len(course.units) / 6 * pace * weeks)))
        last_day = min(self.spec.end, unenrolled - timedelta(days=1)) if unenrolled else self.spec.end
        if last_day < first_day:
            return []
        visits = []
        for index in range(n):  # learners work through the course in order
            day = first_day + timedelta(days=(7 * weeks - 1) * index // n)
            if day > last_day:
                break
            correct = rng.random() < 0.7
            visits.append(Visit(index, day, correct, 1 if correct else rng.choice([1, 2, 3])))
        return visits

    def watched_until(self, enrollment: Enrollment, visit: Visit) -> float:
        """Where a viewer of a video (in the browser) stopped, in seconds: the end, for most; shorter videos are
        finished more often, and a few leave in the first half minute (Guo, Kim & Rubin 2014: engagement
        falls with length, videos under 6 minutes are mostly watched; Kim et al. 2014: in-video drop-out is
        higher in longer videos)."""
        duration = enrollment.course.video_duration(enrollment.course.units[visit.unit_index].block_id)
        rng = _rng(self.spec.seed, "watched", enrollment.enrollment_id, visit.unit_index)
        finish = 0.75 - 0.05 * (duration / 60 - 3)  # 0.75 for 3 minutes, 0.575 for 6.5
        draw = rng.random()
        if draw < finish:
            return duration
        if draw < finish + 0.12:
            return round(rng.uniform(5, 30), 1)
        return round(rng.uniform(30, duration - 30), 1)

    def on_mobile(self, enrollment: Enrollment, visit: Visit) -> bool:
        """A video visit made in edX's mobile app (MOBILE_LEARNERS, MOBILE_VIDEOS)."""
        unit = enrollment.course.units[visit.unit_index]
        return unit.category == "video" and enrollment.learner.mobile and _rng(
            self.spec.seed, "on_mobile", enrollment.enrollment_id, visit.unit_index).random() < MOBILE_VIDEOS

    # -- ground truth helpers --------------------------------------------------------------------

    def sundays(self) -> list[date]:
        first = self.spec.start + timedelta(days=(6 - self.spec.start.weekday()) % 7)
        return [first + timedelta(days=7 * i) for i in range(((self.spec.end - first).days // 7) + 1)
                if first + timedelta(days=7 * i) <= self.spec.end]

    def days(self) -> list[date]:
        return [self.spec.start + timedelta(days=i) for i in range((self.spec.end - self.spec.start).days + 1)]

    def enrollments_at(self, course: Course, day: date) -> list[Enrollment]:
        return [e for e in self.enrollments_of(course) if e.created.date() <= day]

    def learners_at(self, course: Course, day: date) -> list[Learner]:
        seen: dict[int, Learner] = {}
        for e in self.enrollments_at(course, day):
            seen.setdefault(e.learner.user_id, e.learner)
        return sorted(seen.values(), key=lambda learner: learner.user_id)

    def certificate(self, enrollment: Enrollment, day: date) -> tuple[str, float] | None:
        """(status, grade) of the certificate row a package of `day` holds, or None (a self-paced course
        generates none)."""
        if enrollment.course.self_paced:
            return None
        answered = [v for v in enrollment.visits_until(day)
                    if enrollment.course.units[v.unit_index].category == "problem"]
        if not answered:
            return None
        grade = enrollment.grade_at(day)
        passing = grade >= enrollment.course.passing_grade
        if enrollment.mode == "audit":
            return ("audit_passing" if passing else "audit_notpassing"), grade
        return ("downloadable" if passing else "notpassing"), grade

    def course_grade(self, enrollment: Enrollment, day: date) -> tuple[float, str, datetime | None] | None:
        """(percent_grade, letter_grade, passed_timestamp) of the grades_persistentcoursegrade row a package of
        `day` holds: every learner who answered a problem has one, certificate or not; None otherwise (and
        for an old course's export, which carries no such table)."""
        if enrollment.course.old_export or not enrollment.problem_visits(day):
            return None
        grade = enrollment.grade_at(day)
        return grade, enrollment.course.letter(grade), enrollment.passed_at(day)

    def subsection_grades(self, enrollment: Enrollment, day: date) -> list[tuple[str, float, float, datetime | None]]:
        """(usage_key, earned, possible, first_attempted) of each graded subsection of a learner with a course
        grade: 2 problems each, earned = those solved, first_attempted = the first problem visit in it."""
        if self.course_grade(enrollment, day) is None:
            return []
        course = enrollment.course
        rows = []
        for seq in course.sequentials:
            visits = [v for v in enrollment.problem_visits(day) if course.sequential_of[course.units[v.unit_index].block_id]
                      == seq.block_id]
            problems = [u for u in course.problems if course.sequential_of[u.block_id] == seq.block_id]
            earned = len({v.unit_index for v in visits if v.solved})
            first = min((visit_moment(v) for v in visits), default=None)
            rows.append((seq.block_id, float(earned), float(len(problems)), first))
        return rows

    def cohort(self, enrollment: Enrollment) -> str | None:
        """Modern courses with cohorts (the first two): learners in `Cohorte A` or `B` by id; every fifth in none."""
        course = enrollment.course
        if course.old_export or self.courses.index(course) > 1 or enrollment.learner.user_id % 5 == 0:
            return None
        return "Cohorte A" if enrollment.learner.user_id % 2 else "Cohorte B"

    def partition_group(self, enrollment: Enrollment) -> int | None:
        """The group the first course's A/B test put a learner in once they visited the course."""
        if self.courses.index(enrollment.course) != 0 or not enrollment.visits:
            return None
        return enrollment.learner.user_id % 2

    TEAMS = ("Equipo Andes", "Equipo Caribe", "Equipo Pacífico")

    def team(self, enrollment: Enrollment) -> int | None:
        """The second course has teams: learners with visits join team 1-3 by id (every fourth joins none)."""
        if self.courses.index(enrollment.course) != 1 or not enrollment.visits or enrollment.learner.user_id % 4 == 0:
            return None
        return enrollment.learner.user_id % 3 + 1

    def email_opt_in(self, enrollment: Enrollment) -> bool:
        """The org-level e-mail opt-in: every third learner said no."""
        return enrollment.learner.user_id % 3 != 0

    def forum_posts(self, enrollment: Enrollment, day: date) -> list[Visit]:
        """Visits on which the learner also started a forum thread (every fourth html unit)."""
        return [v for v in enrollment.visits_until(day)
                if enrollment.course.units[v.unit_index].category == "html" and v.unit_index % 4 == 2]

    def forum_replies(self, enrollment: Enrollment, day: date, kind: str) -> list[Visit]:
        """Visits on which the learner answered the course's welcome thread (`response`, and up-voted it) or
        commented on the welcome response (`comment`): html units 5, 17, ... and 8, 20, ..."""
        rest = {"response": 1, "comment": 0}[kind]
        return [v for v in enrollment.visits_until(day)
                if enrollment.course.units[v.unit_index].category == "html" and v.unit_index % 4 == rest]

    def welcome_author(self, course: Course) -> Learner:
        """The instructor (staff1) opened the forum with a welcome thread and a first response."""
        return self.learners[0]

    def roles(self, course: Course) -> list[tuple[int, str, str]]:
        """(user_id, table, role) of the course's roles as edX's tables hold them: `course` rows of
        student_courseaccessrole, `forum` rows of django_comment_client_role_users (every enrolled learner is
        a forum Student). staff1: instructor + forum Administrator; staff2: staff + forum Moderator; in the
        first course the first learner enrolled with visits is a beta tester, in the second one a Community TA."""
        rows = [(1, "course", "instructor"), (2, "course", "staff")]
        mine = self.enrollments_of(course)
        learners = [e.learner for e in mine if e.visits and not e.learner.is_staff]
        index = self.courses.index(course)
        if learners and index == 0:
            rows.append((learners[0].user_id, "course", "beta_testers"))
        forum = {1: "Administrator", 2: "Moderator"}
        if learners and index == 1:
            forum[learners[0].user_id] = "Community TA"
        for e in mine:
            rows.append((e.learner.user_id, "forum", forum.get(e.learner.user_id, "Student")))
        return rows

    @cached_property
    def _by_course(self) -> dict[str, list[Enrollment]]:
        index: dict[str, list[Enrollment]] = {}
        for e in self.enrollments:
            index.setdefault(e.course.cid.v1, []).append(e)
        return index

    def enrollments_of(self, course: Course) -> list[Enrollment]:
        return self._by_course.get(course.cid.v1, [])

    def course_team(self, course: Course) -> set[int]:
        """Users whose rows the per-course aggregates leave out: any course access role, a forum role other
        than Student, or edX staff (auth_user.is_staff)."""
        team = {uid for uid, table, role in self.roles(course) if table == "course" or role != "Student"}
        return team | {lr.user_id for lr in self.learners if lr.is_staff}
