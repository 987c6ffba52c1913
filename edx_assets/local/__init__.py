"""The embedded local stack and the sample delivery generator (development and tests only)."""
