"""retired_learners: learners edX or the partner retired, registered and removed from everything stored."""

import dagster as dg

from edx_assets.defs.common import MONGO_POOL, OWNERS, TRANSIENT_RETRY, Build, counts_table
from edx_assets.defs.resources import MongoResource, PrivacyResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import retirement

NONE_REMAIN = "no_retired_learner_remains"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.weekly, deps=["course_collections"], group_name="mongo", kinds={"mongodb"},
              owners=OWNERS, retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL, freshness_policy=ctx.weekly_freshness,
              code_version=VERSIONED, check_specs=[dg.AssetCheckSpec(
                  NONE_REMAIN, asset="retired_learners", partitions_def=ctx.weekly, blocking=True,
                  description="No document of a retired learner remains: in the course collections, learner_day, "
                              "learner_totals, learner_ips and learner_locations for every registered learner, "
                              "and in Eventos (and its quarantine) for the learners registered this run.")])
    def retired_learners(context: dg.AssetExecutionContext, mongo: MongoResource, privacy: PrivacyResource,
                         workspace: WorkspaceResource):
        """The `retired_learners` collection: one document per retired user id (`_id`), with `source` (`edx`:
        the week's `auth_user` rows carry a `retired__user_…` username or e-mail; or the name of the
        partner's EDX_RETIRED_LEARNERS_FILE, one user id per line), the `week` it was registered and when it
        was `purged`.

        Every run removes every registered learner from the course collections (the week's package brings
        them back), learner_day, learner_totals, learner_ips and learner_locations, and pulls their forum
        votes from others' posts, so the week's reports, which run after this asset, never see them.
        Learners registered this run are also removed, once, from `Eventos` and its quarantine (a scan of
        every day; each day's load record then counts their events as `retired`; later loads skip them) and
        from the report files already written (every week's CSV and Parquet file with a `user_id` column;
        files written later never hold them). Aggregates of earlier days (activity_daily) hold no identity
        and are not recomputed; copies already on S3 are not rewritten (docs/privacy.md).
        """
        week = context.partition_key
        with mongo.get_database() as db:
            found = {i: "edx" for i in retirement.retired_in_packages(db)}
            listed_file = privacy.retired_file()
            listed: set[int] = set()
            if listed_file is not None:
                try:
                    listed = retirement.read_file(listed_file)
                except FileNotFoundError:
                    raise dg.Failure(description=f"EDX_RETIRED_LEARNERS_FILE {listed_file} does not exist",
                                     allow_retries=False) from None
                except ValueError as exc:
                    raise dg.Failure(description=str(exc), allow_retries=False) from None
                for user_id in listed:
                    found.setdefault(user_id, listed_file.name)
            new = retirement.register(db, found, week)
            every = retirement.registered(db)
            deleted = retirement.purge(db, every, config.events_collection, event_ids=new)
            retirement.record_purge(db, new, deleted)
            left = retirement.remaining(db, every, config.events_collection, event_ids=new)
        # Files written after a learner was registered never hold them (reports run after this asset): only the
        # learners registered now are looked for in the files already written, so a week costs the same later.
        files = retirement.clean_report_files(workspace.reports_root(), new)
        if new:
            context.log.info(f"{len(new)} learner(s) newly retired and purged")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(every),
            "newly_registered": len(new),
            "retired_in_packages": sum(1 for source in found.values() if source == "edx"),
            "listed_in_file": len(listed),
            "documents_removed": counts_table(deleted, "collection", "documents"),
            "report_rows_removed": counts_table(files, "file", "rows"),
        })
        yield dg.AssetCheckResult(check_name=NONE_REMAIN, passed=not left,
                                  metadata={"remaining": dg.MetadataValue.json(left), "retired_learners": len(every)})

    return dg.Definitions(assets=[retired_learners])
