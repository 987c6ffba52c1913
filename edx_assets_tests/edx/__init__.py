"""Tests of edx_assets/edx/: the domain code, no Dagster (most need no service)."""
