"""Dagster assets by lineage stage; each is thin and calls the domain code in `edx_assets.edx`."""
