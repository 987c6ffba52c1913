"""Jobs, schedules and sensors that keep the partitions current."""
