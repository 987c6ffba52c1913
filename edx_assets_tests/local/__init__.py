"""Tests of edx_assets/local/: the sample world, the local stack and the demo (the UI over it)."""
