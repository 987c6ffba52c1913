"""Tests of edx_assets/defs/: the assets, jobs, sensors and automation, materialized by Dagster."""
