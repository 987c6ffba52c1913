"""Dagster definitions, one folder per lineage; `edx_assets.definitions` loads and merges them."""
