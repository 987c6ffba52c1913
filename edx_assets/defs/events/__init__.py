"""The daily events lineage: raw_event_log (S3) -> decrypted_event_log (file) -> eventos (MongoDB),
with eventos' checks, the daily job and schedule, and the S3 arrival sensor."""
