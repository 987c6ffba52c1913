"""The shared demo's settings and its sample world (conftest.py runs it; the tests read the truth here)."""

from datetime import date

from edx_assets.local.sample_world import SampleSpec, SampleWorld

END = "2026-10-11"
LEARNERS = 30
EVENTS_PER_DAY = 120
RETIRED_BY_EDX = 10  # retired by edX: `retired__user_…` in the packages' auth_user
RETIRED = 6  # listed by the partner: a learner with events on most days, two enrollments and forum posts
PSEUDONYM_KEY = "pseudonym-key-7c41e09b2d"
WORLD = SampleWorld(SampleSpec(end=date.fromisoformat(END), learners=LEARNERS, events_per_day=EVENTS_PER_DAY,
                               retired_by_edx=(RETIRED_BY_EDX,)))
DAYS = [f"2026-10-{d:02d}" for d in range(4, 12)]  # the demo's days: SampleSpec's start to END
WEEKS = ["2026-10-04", "2026-10-11"]
