"""The weekly course lineage: raw_course_package (S3) -> decrypted_course_package (files) ->
course_collections (MongoDB, + the `courses` catalog), with its checks, the weekly job and schedule, and
the S3 arrival sensor."""
