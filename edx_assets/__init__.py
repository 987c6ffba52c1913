"""edx-assets: the edX Research Data Package as Dagster software-defined assets."""
