"""Jobs built from the partitioned assets: the daily events lineage and the weekly course lineage."""

from __future__ import annotations

import dagster as dg

daily_events_job = dg.define_asset_job(
    "daily_events_job",
    selection=dg.AssetSelection.assets("raw_event_log", "decrypted_event_log", "eventos", "activity_daily"),
    description="S3 tracking log -> decrypted file -> Eventos -> daily activity, for one day.",
)

weekly_courses_job = dg.define_asset_job(
    "weekly_courses_job",
    selection=dg.AssetSelection.groups("raw", "decrypted", "mongo", "reports")
    - dg.AssetSelection.assets("raw_event_log", "decrypted_event_log", "eventos", "activity_daily"),
    description="S3 course package -> decrypted files -> per-course collections -> reports, for one week.",
)
