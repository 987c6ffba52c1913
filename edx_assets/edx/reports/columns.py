"""Every column of the report files: its type and a one-line definition (the UI shows them as the asset's
column schema). A column means the same in every file it appears in; `PER_TABLE` holds the few that differ."""

from __future__ import annotations

from collections.abc import Sequence

from edx_assets.edx.learner_day import COLUMNS as DAY_COLUMNS

STRING, INTEGER, FLOAT, FLAG, DATETIME, DATE, BOOLEAN = "string", "integer", "float", "0/1", "datetime", "date", "boolean"

_DAY = {name: definition for name, _, definition in DAY_COLUMNS}

COLUMNS: dict[str, tuple[str, str]] = {
    # who and where
    "course_id": (STRING, "course id in course-v1 form"),
    "suppressed": (STRING, "cells of this row emptied because they describe 1 to EDX_MIN_CELL-1 learners, `;`-joined"),
    "course_name": (STRING, "course name (catalog, or EDX_COURSE_METADATA_FILE)"),
    "user_id": (INTEGER, "the learner's edX user id"),
    "username": (STRING, "edX username (per EDX_REPORTS_PII: clear, pseudonym or absent)"),
    "name": (STRING, "full name from the profile, else first and last name (per EDX_REPORTS_PII)"),
    "email": (STRING, "e-mail (per EDX_REPORTS_PII)"),
    "gender": (STRING, "profile gender: m, f, o; empty when unknown"),
    "year_of_birth": (INTEGER, "profile year of birth; empty when unknown"),
    "level_of_education": (STRING, "profile level of education (edX codes: p, m, b, a, hs, jhs, el, none, other...)"),
    "country": (STRING, "profile country (ISO-2), as the learner typed it"),
    "ip_country": (STRING, "country (ISO-2) of the registration IP: earliest enrollment activation, else earliest "
                           "event; UNKNOWN for an IP not locatable, empty without any IP"),
    "ip_country_modal": (STRING, "country (ISO-2) of the learner's most frequent IP (edx2bigquery modal_ip); UNKNOWN "
                                 "for an IP not locatable, empty without any IP"),
    # course roles (edx2bigquery's roles table; <course>.roles)
    "roles": (STRING, "the learner's course roles, `;`-joined (course access roles, forum roles but Student)"),
    "role_instructor": (FLAG, "1 with the course access role instructor"),
    "role_staff": (FLAG, "1 with the course access role staff"),
    "role_beta_tester": (FLAG, "1 with the course access role beta_testers"),
    "role_forum_moderator": (FLAG, "1 with a forum role Administrator, Moderator, Community TA or Group Moderator"),
    "is_course_team": (FLAG, "1 for edX staff or any role above (left out of per-course aggregates by default)"),
    # enrollment and outcome
    "enrollment_date": (DATETIME, "when the enrollment was created (UTC)"),
    "mode": (STRING, "enrollment mode: audit, honor, verified, professional..."),
    "is_active": (FLAG, "1 while enrolled, 0 after unenrolling"),
    "grade": (FLOAT, "course grade, 0-1: the persistent course grade (grades_persistentcoursegrade), else the "
                     "certificate's; empty with neither (grade_source)"),
    "grade_source": (STRING, "where grade came from: grades_persistentcoursegrade or certificate; empty without any"),
    "passed": (FLAG, "1: the grade passes (edX's passed_timestamp, else the certificate grade >= the pass mark); "
                     "empty when nothing can say"),
    "passed_at": (DATETIME, "when edX recorded the pass (the persistent grade's passed_timestamp, UTC)"),
    "letter_grade": (STRING, "the persistent grade's letter (Pass, A, B...); empty below the pass mark or unknown"),
    "percent_grade": (FLOAT, "the persistent course grade, 0-1 (grades_persistentcoursegrade.percent_grade)"),
    "certificate_grade": (FLOAT, "the latest certificate's grade, 0-1"),
    "grading_policy_hash": (STRING, "hash of the grading policy the persistent grade was computed with"),
    "grade_modified": (DATETIME, "when the persistent grade was last computed (UTC)"),
    "cohort": (STRING, "the learner's cohort (course_groups_cohortmembership); empty when none or not delivered"),
    "partition_groups": (STRING, "A/B test groups, `<partition>: <group>` `;`-joined (user_api_usercoursetag, names "
                                 "from the course's user_partitions)"),
    "team": (STRING, "the learner's team (teams_membership); empty when none or not delivered"),
    "verified_upgrade_at": (DATETIME, "first enrollment mode change into verified (events, UTC)"),
    "email_opt_in": (FLAG, "1: opted in to the org's e-mail (the org's email_opt_in file); empty when unknown; "
                           "not written under EDX_REPORTS_PII=drop"),
    "certificate_status": (STRING, "certificate status: downloadable, notpassing, audit_passing..."),
    "certificate_mode": (STRING, "mode of the certificate"),
    "progress": (FLOAT, "share of the course's leaf blocks (videos, problems, html) visited; empty without structure"),
    "units_visited": (INTEGER, "leaf blocks of the structure with a courseware record"),
    "units_total": (INTEGER, "leaf blocks in the course structure"),
    "courseware_records": (INTEGER, "courseware_studentmodule rows (the old 'Repetitions')"),
    # activity: learner_day rows of the days before the week's Sunday (days = the day events were filed under)
    "first_event": (DATETIME, "first event before the week's Sunday (UTC)"),
    "last_event": (DATETIME, "last event before the week's Sunday (UTC)"),
    "events_last_7_days": (INTEGER, "events filed in the 7 days before the week's Sunday"),
    "events_last_30_days": (INTEGER, "events filed in the 30 days before the week's Sunday"),
    "nevents": (INTEGER, "events in the course before the week's Sunday"),
    "ndays_act": (INTEGER, "days with at least one event in the course"),
    "sessions": (INTEGER, "sessions: a gap over 30 minutes between events starts a new one (per day)"),
    # time on task: as learner_day defines it (summed over the days)
    "time_on_task_5": (FLOAT, _DAY["time_on_task_5"]),
    "time_on_task_30": (FLOAT, _DAY["time_on_task_30"]),
    "video_seconds_watched": (FLOAT, "seconds of video played: play to pause/stop/seek, capped at 2x wall clock"),
    "nvideos": (INTEGER, "distinct videos with a video event"),
    "nproblems": (INTEGER, "distinct problems with a server-side check"),
    "nshow_answer": (INTEGER, "show-answer events"),
    "nforum_threads": (INTEGER, "forum threads created"),
    "nforum_responses": (INTEGER, "forum responses created"),
    "nforum_comments": (INTEGER, "forum comments created"),
    "nplay_video": (INTEGER, "video plays (play_video, edx.video.played)"),
    "nproblem_check": (INTEGER, "server-side problem checks (submissions)"),
    "nforum_posts": (INTEGER, "forum threads, responses and comments created"),
    "nchapters": (INTEGER, "chapters with a visited block"),
    # person-course flags
    "registered": (FLAG, "1: enrolled (every row)"),
    "viewed": (FLAG, "1: any courseware record"),
    "explored": (FLAG, "1: visited at least half the chapters; empty without a course structure"),
    "certified": (FLAG, "1: a downloadable certificate"),
    "completed": (FLAG, "1: the course grade passes (passed); empty when nothing can say (no persistent grades "
                        "and no pass mark)"),
    # general report
    "id": (STRING, "course id in course-v1 form"),
    "sme": (STRING, "course owner (EDX_COURSE_METADATA_FILE)"),
    "start_date": (DATETIME, "course start"),
    "end_date": (DATETIME, "course end"),
    "total_users": (INTEGER, "enrollments"),
    "active_users": (INTEGER, "enrolled learners with a courseware record"),
    "approved_users": (INTEGER, "enrolled learners whose course grade passes (passed); empty when nothing can say "
                                "(no persistent grades and no pass mark)"),
    "certified_users": (INTEGER, "downloadable certificates"),
    "failed_users": (INTEGER, "notpassing certificates"),
    "male": (INTEGER, "enrolled learners with profile gender m"),
    "female": (INTEGER, "enrolled learners with profile gender f"),
    "countries": (INTEGER, "distinct profile countries of the enrolled"),
    "other_gender": (INTEGER, "enrolled learners with profile gender o"),
    "unknown_gender": (INTEGER, "enrolled learners without a profile gender"),
    "active_enrollments": (INTEGER, "enrollments with is_active = 1"),
    "unenrolled": (INTEGER, "enrollments with is_active = 0"),
    "verified_enrollments": (INTEGER, "enrollments in verified mode"),
    "certificates": (INTEGER, "certificate rows"),
    "passing_grade": (FLOAT, "the course's pass mark, 0-1; empty when unknown"),
    "in_latest_package": (BOOLEAN, "the course was in the latest weekly package"),
    "passing_grade_source": (STRING, "where the pass mark came from: structure:grading_policy.GRADE_CUTOFFS, "
                                     "structure:grade_cutoffs, metadata_file or unknown"),
    # enrollments report
    "mooc_name": (STRING, "course name"),
    "mooc_id": (STRING, "course id in course-v1 form"),
    "registration_date": (DATETIME, "when the enrollment was created (UTC)"),
    # learner locations
    "source": (STRING, "which event gave the registration IP: enrollment_activation or earliest_event"),
    "country_code": (STRING, "registration IP's country (ISO-2)"),
    "city": (STRING, "registration IP's city (DB-IP City Lite)"),
    "courses": (INTEGER, "courses the learner is enrolled in"),
    "modal_country_code": (STRING, "most frequent IP's country (ISO-2)"),
    "modal_country": (STRING, "most frequent IP's country name"),
    "modal_ip_events": (INTEGER, "events that carried the most frequent IP"),
    # course summary
    "dimension": (STRING, "all, gender or level_of_education"),
    "value": (STRING, "the gender or education value of the row (empty for all)"),
    "verified": (INTEGER, "registered in verified mode"),
    "share_viewed": (FLOAT, "viewed / registered"),
    "share_explored": (FLOAT, "explored / registered; empty without a course structure"),
    "share_certified": (FLOAT, "certified / registered"),
    "share_verified": (FLOAT, "verified / registered"),
    "median_ndays_act": (FLOAT, "median active days of those who viewed"),
    "median_grade_certified": (FLOAT, "median grade of the certified"),
    # daily tables
    "day": (DATE, "the day (UTC)"),
    "events": (INTEGER, "events filed under the day with a course and a user"),
    "users_played_video": (INTEGER, "learners with a video play"),
    "users_attempted_problem": (INTEGER, "learners with a server-side problem check"),
    "users_posted_forum": (INTEGER, "learners who created a forum post"),
    "enrolled": (INTEGER, "enrollment activations that day"),
    "net": (INTEGER, "enrolled - unenrolled + changed_in - changed_out"),
    "changed_in": (INTEGER, "enrolled learners whose mode changed into the mode that day (mode_changed, or an event naming another mode)"),
    "changed_out": (INTEGER, "enrolled learners whose mode changed out of the mode that day"),
    "cumulative": (INTEGER, "learners enrolled in the mode at the end of the day (running sum of net since the first loaded day)"),
    # engagement
    "video_id": (STRING, "the video's block id in the structure (the id events gave when the structure lacks it)"),
    "video_name": (STRING, "the video's display name; empty when the structure lacks it"),
    "viewers": (INTEGER, "learners with a play"),
    "plays": (INTEGER, "play events"),
    "mean_furthest_position": (FLOAT, "mean over viewers of the furthest position reported, seconds"),
    "share_watched_to_end": (FLOAT, "viewers with a stop or complete event / viewers"),
    "problem_id": (STRING, "the problem's block id"),
    "problem_name": (STRING, "the problem's display name; empty when the structure lacks it"),
    "learners_attempted": (INTEGER, "learners with a server-side check"),
    "attempts_per_learner": (FLOAT, "checks / learners_attempted"),
    "share_correct_first_attempt": (FLOAT, "learners right on attempt 1 / learners_attempted"),
    "mean_score": (FLOAT, "mean over learners of their best score / max grade"),
    "showanswer_count": (INTEGER, "show-answer events"),
    # video completion and timeline (video_engagement, video_segments)
    "duration": (FLOAT, "the video's length, seconds: median of what its events reported, else the structure, "
                        "else inferred from the viewers' drop-off (edx-analytics-pipeline)"),
    "duration_source": (STRING, "where the duration came from: events, structure or inferred; empty when unknown"),
    "completers": (INTEGER, "viewers who watched >= 95% of the duration or reached its last 30 s; empty if unknown"),
    "completion_share": (FLOAT, "completers / viewers; empty when the duration is unknown"),
    "median_seconds_watched": (FLOAT, "median over viewers of the seconds of video they played"),
    "segment": (INTEGER, "5-second segment of the video (0 = 0-5 s)"),
    "start_seconds": (INTEGER, "where the segment starts, seconds"),
    "views": (INTEGER, "viewings (play to pause/stop/seek, edx-analytics-pipeline's rule) covering the segment"),
    # answers (answer_distribution, edx-analytics-pipeline's columns)
    "part_id": (STRING, "the response part of the problem (<id>_2_1, ...)"),
    "question_text": (STRING, "the part's question as the events' submission carried it"),
    "variant": (STRING, "randomized problems' variant (seed); empty when not randomized"),
    "answer_value": (STRING, "the answer as the learner saw it: the submission's text, else the value sent (a list as [a|b])"),
    "answer_value_id": (STRING, "the value the event's `answers` sent (a choice id such as choice_0; a list as [a|b])"),
    "correct": (BOOLEAN, "whether the answer was graded correct; empty when no event said so"),
    "first_response_count": (INTEGER, "learners whose first answer to the part this was"),
    "last_response_count": (INTEGER, "learners whose last answer to the part this was"),
    # course outline (course_axis, edx2bigquery's columns first) and grading policy
    "index": (INTEGER, "the block's place in course order (depth first from the course root, 1 = the course)"),
    "block_id": (STRING, "the block's id as the package names it (block-v1: or i4x://)"),
    "module_id": (STRING, "org/number/category/url_name (edx2bigquery's module_id: no run)"),
    "url_name": (STRING, "the block's own name, the part every id form shares"),
    "category": (STRING, "course, chapter, sequential, vertical, problem, video, html..."),
    "path": (STRING, "/chapter, /chapter/sequential, then the position among siblings below (edx2bigquery's path)"),
    "depth": (INTEGER, "levels below the course root; empty for a block the outline does not reach"),
    "parent": (STRING, "url_name of the parent block"),
    "chapter_mid": (STRING, "module_id of the block's chapter"),
    "chapter_name": (STRING, "display name of the block's chapter (section)"),
    "sequential_name": (STRING, "display name of the block's sequential (subsection)"),
    "vertical_name": (STRING, "display name of the block's vertical (unit)"),
    "gformat": (STRING, "assignment type (format), inherited from the nearest block up the tree that sets it"),
    "graded": (FLAG, "1: graded, inherited like gformat; empty when no block up the tree says"),
    "due": (DATETIME, "due date (UTC), inherited like gformat"),
    "start": (DATETIME, "release date (UTC), inherited, never before the parent's"),
    "assignment_type_weight": (FLOAT, "the assignment type's weight in the course grade (grading policy)"),
    "problem_weight": (FLOAT, "the problem's own weight setting; empty when not set"),
    "max_score": (FLOAT, "the problem's max score (largest max_grade of its courseware records)"),
    # person_problem (courseware_studentmodule's problem records)
    "problem_raw_score": (FLOAT, "the learner's score on the problem: the courseware record's grade, as edX computed it"),
    "problem_max_score": (FLOAT, "the problem's possible score in that record (max_grade)"),
    "problem_pct_score": (FLOAT, "problem_raw_score / problem_max_score, 0-1; empty when either is unknown"),
    "n_attempts": (INTEGER, "submissions the record's state counts (attempts); empty when it says none"),
    "first_opened": (DATETIME, "when the learner first opened the problem (the record's created, UTC)"),
    "last_modified": (DATETIME, "when the record last changed (modified, UTC)"),
    # item tables (person_item, course_item, item_reliability; definitions in edx/reports/items.py)
    "item_id": (STRING, "the item: one response of the problem (its correct_map key, e.g. <block>_2_1)"),
    "item_grade": (INTEGER, "1: the learner's record says the response is correct; 0 otherwise"),
    "first_item_grade": (INTEGER, "1/0: the learner's first answer to the item as graded (server problem_check "
                                  "events); empty when no event graded it"),
    "item_weight": (FLOAT, "the item's share of the course grade: problem_weight * assignment type weight / items "
                           "of the problem / problem weights of its assignment / assignments of the type "
                           "(edx2bigquery); empty when not graded or the type has no weight"),
    "share_attempted": (FLOAT, "learners with the item / learners enrolled in the course"),
    "share_answer_shown_first": (FLOAT, "of the item's learners with events of its problem, the share shown the "
                                        "answer before their first right check; empty when none has events"),
    "difficulty": (FLOAT, "mean item_grade of the learners with the item: the share who got it right"),
    "discrimination": (FLOAT, "point-biserial correlation of item_grade with the rest score (the learner's other "
                              "graded items); empty when either does not vary"),
    "items": (INTEGER, "graded items of the assignment type with any learner's record"),
    "alpha": (FLOAT, "Cronbach's alpha of those items over those learners; empty with fewer than 2 items or no "
                     "variance"),
    # time on each module and along the outline (time_on_asset, section_engagement; edx/reports/modules.py)
    "time_umid5": (FLOAT, "seconds: gaps under 5 minutes between the learner's consecutive events in the module "
                          "(edx2bigquery's time_on_asset)"),
    "time_umid30": (FLOAT, "seconds: the same, gaps under 30 minutes"),
    "level": (STRING, "chapter or sequential"),
    # integrity_signals (edx/reports/integrity.py)
    "master_user_id": (INTEGER, "the account that got the answers right"),
    "harvester_user_id": (INTEGER, "the account shown the answers"),
    "common_problems": (INTEGER, "problems the harvester was shown and the master got right"),
    "show_ans_before": (INTEGER, "of those, shown before the master's first right answer"),
    "median_dt_seconds": (FLOAT, "seconds: median time from the show-answer to the master's first right answer, over "
                                 "those problems"),
    "within_5min": (INTEGER, "of those, answered within 5 minutes of the show-answer"),
    "shared_ips": (INTEGER, "IP addresses both accounts used (learner_ips; the addresses are not written)"),
    # ora_activity (edx/reports/ora.py)
    "submissions": (INTEGER, "the learner's submissions to the open-response item (submissions_submission)"),
    "first_submitted": (DATETIME, "first submission's submitted_at (UTC)"),
    "last_submitted": (DATETIME, "last submission's submitted_at (UTC)"),
    "points_earned": (INTEGER, "points of the latest score not reset (submissions_score): what the grade uses"),
    "points_possible": (INTEGER, "points possible in that score"),
    "peer_given": (INTEGER, "peer assessments the learner made of others' submissions (assessment_assessment PE)"),
    "self_given": (INTEGER, "self assessments the learner made (SE)"),
    "peer_received": (INTEGER, "peer assessments of the learner's submissions (PE)"),
    "self_received": (INTEGER, "self assessments of the learner's submissions (SE)"),
    "staff_received": (INTEGER, "staff assessments of the learner's submissions (ST)"),
    "learners_reached": (INTEGER, "learners with an event in the section or a block below it"),
    "median_time_umid30": (FLOAT, "seconds: the median of those learners' time_umid30 in the section"),
    "graded_problems": (INTEGER, "graded problems of the section (course_axis)"),
    "learners_completed": (INTEGER, "learners who reached the section with a graded score on every one of its graded "
                                    "problems (courseware records); empty when it has none"),
    "share_completed": (FLOAT, "learners_completed / learners_reached"),
    "video_duration": (FLOAT, "seconds: the median duration the video's events reported, else the structure's"),
    "is_split": (FLAG, "1: inside an A/B test (split_test)"),
    "split_url_name": (STRING, "url_name of the enclosing split_test"),
    "in_outline": (FLAG, "1: reached from the course root; 0: in the structure but in no chapter (listed last)"),
    "assignment_type": (STRING, "the GRADER entry's type (Homework, Lab, Exam...)"),
    "short_label": (STRING, "the GRADER entry's short label"),
    "fraction_of_overall_grade": (FLOAT, "the GRADER entry's weight"),
    "min_count": (INTEGER, "assignments of the type the grade expects"),
    "drop_count": (INTEGER, "lowest-scored assignments of the type dropped"),
    "grade_cutoffs": (STRING, "GRADE_CUTOFFS as JSON, highest first"),
    "policy_source": (STRING, "where the policy was found: course_xml:<path> (the OLX export), "
                              "structure:grading_policy, or unknown"),
    # subsection grades (person_subsection_grades)
    "earned_all": (FLOAT, "points earned in the subsection, graded or not"),
    "possible_all": (FLOAT, "points possible in the subsection, graded or not"),
    "earned_graded": (FLOAT, "graded points earned"),
    "possible_graded": (FLOAT, "graded points possible"),
    "attempted": (FLAG, "1: the learner attempted a problem of the subsection (first_attempted set)"),
    "first_attempted": (DATETIME, "first attempt in the subsection (UTC)"),
    # risk and engagement (at_risk_learners, engagement_segments)
    "days_inactive": (INTEGER, "whole days from the last event to the week's Sunday"),
    "reasons": (STRING, "why at risk: inactive_7_days; below_pass_mark_after_midpoint"),
    "week": (DATE, "the week's Sunday (the partition): the 7 days before it"),
    "days_active": (INTEGER, "days with events the learner caused in the week (enrollment events not counted)"),
    "problem_attempts": (INTEGER, "server-side problem checks in the week"),
    "problems_attempted": (INTEGER, "distinct problems checked in the week"),
    "problems_completed": (INTEGER, "distinct problems with a full score in the week"),
    "problem_attempts_per_completed": (FLOAT, "problem_attempts / problems_completed; empty with none completed "
                                              "(the pipeline's infinity)"),
    "videos_viewed": (INTEGER, "distinct videos played in the week"),
    "discussion_contributions": (INTEGER, "forum threads, responses and comments created in the week"),
    "active_previous_week": (FLAG, "1 with events in the week before"),
    "segments": (STRING, "highly_engaged, struggling, disengaging, inactive (;-joined); empty: active, no segment"),
    # enrollment_by_demographics_daily
    "date": (DATE, "the day (UTC) enrollments were created"),
    "enrollments": (INTEGER, "enrollments created that day"),
    "cumulative_enrollments": (INTEGER, "enrollments created up to that day"),
    "cumulative_active": (INTEGER, "of those, still enrolled in the week's package"),
    # geography
    "continent": (STRING, "the country's continent"),
    "un_region": (STRING, "the country's UN M49 sub-region"),
    # forum_activity
    "threads": (INTEGER, "threads authored (forum dump)"),
    "responses": (INTEGER, "responses authored: comments on a thread (forum dump)"),
    "comments": (INTEGER, "comments authored under a response (forum dump)"),
    "votes_cast": (INTEGER, "posts the learner up- or down-voted (forum dump)"),
    "votes_received": (INTEGER, "up-votes on the learner's posts (forum dump)"),
    "endorsed": (INTEGER, "the learner's responses marked endorsed (forum dump)"),
    "first_post": (DATETIME, "first post's creation (forum dump, UTC)"),
    "last_post": (DATETIME, "last post's creation (forum dump, UTC)"),
    "posts_in_events": (INTEGER, "threads, responses and comments created in the events before the Sunday"),
    # retention_by_cohort
    "cohort_week": (DATE, "Sunday starting the week the learners enrolled in"),
    "week_number": (INTEGER, "weeks after the enrollment week (0 = that week)"),
    "learners": (INTEGER, "learners in the cohort"),
    "active_learners": (INTEGER, "of those, with any learner day in week week_number; empty when no day of the week was loaded"),
    "days_covered": (INTEGER, "days of week week_number with events loaded (0-7): below 7 the week is partly known"),
    "share_active": (FLOAT, "active_learners / learners"),
}

# Columns whose meaning in one table differs from the shared one.
PER_TABLE: dict[str, dict[str, tuple[str, str]]] = {
    "activity_daily": {"active_users": (INTEGER, "learners (user ids) with an event filed under the day")},
    "enrollment_daily": {"enrolled": (INTEGER, "activations that enrolled a learner that day (in the event's mode)"),
                         "unenrolled": (INTEGER, "deactivations that unenrolled a learner that day (in the mode they "
                                                 "were enrolled in)")},
    "learner_locations": {"country": (STRING, "registration IP's country name")},
    "at_risk_learners": {"passing_grade": (FLOAT, "the course's pass mark, 0-1; empty when no source states it")},
    "enrollment_by_demographics_daily": {
        "dimension": (STRING, "gender, birth_year_band, level_of_education or mode"),
        "value": (STRING, "the dimension's value (pipeline's names; unknown when the profile says nothing)")},
    "geography": {"country_code": (STRING, "ISO-2 country of the registration IP; UNKNOWN for an IP not "
                                           "locatable, empty for learners with no IP"),
                  "registered": (INTEGER, "enrollments"), "viewed": (INTEGER, "with a courseware record"),
                  "explored": (INTEGER, "visited at least half the chapters; empty without structure"),
                  "certified": (INTEGER, "with a downloadable certificate"),
                  "verified": (INTEGER, "in verified mode")},
    "course_axis": {"name": (STRING, "the block's display name")},
    "course_item": {"learners": (INTEGER, "learners with a record of the item"),
                    "problem_id": (STRING, "the problem's usage key (its block's name when nobody opened it)")},
    "ora_activity": {"events": (INTEGER, "the learner's events in the item's block before the week's Sunday "
                                         "(time_on_asset)"),
                     "item_id": (STRING, "the open-response block's usage key (submissions_studentitem.item_id)"),
                     "problem_name": (STRING, "the block's display name (course_axis); empty when the outline lacks it"),
                     "time_umid30": (FLOAT, "seconds: the learner's time on asset in the block, gaps under 30 "
                                            "minutes (time_on_asset)")},
    "time_on_asset": {"nevents": (INTEGER, "the learner's events in the module before the week's Sunday")},
    "item_reliability": {"learners": (INTEGER, "learners with a record of any of the type's graded items")},
    "grading_policy": {"name": (STRING, "the GRADER entry's name (its type when unnamed)"),
                       "passing_grade": (FLOAT, "the course's pass mark, 0-1; empty when no source states it")},
    "general_report": {"grade_source": (STRING, "where the course's grades come from: grades_persistentcoursegrade "
                                                "(the package's persistent grades), certificate, or unknown")},
    "course_summary": {"registered": (INTEGER, "enrollments"), "viewed": (INTEGER, "with a courseware record"),
                       "explored": (INTEGER, "visited at least half the chapters; empty without structure"),
                       "certified": (INTEGER, "with a downloadable certificate")},
}


def describe(table: str, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """(name, type, definition) of each column of `table`; KeyError names a column nobody described."""
    own = PER_TABLE.get(table, {})
    out = []
    for name in names:
        kind, text = own.get(name) or COLUMNS[name]
        out.append((name, kind, text))
    return out
