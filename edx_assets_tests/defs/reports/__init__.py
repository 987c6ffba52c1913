"""Tests of the reports lineage (edx_assets/defs/reports/), on one shared pipeline run (conftest.py)."""
