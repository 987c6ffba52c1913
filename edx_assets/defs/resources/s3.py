"""S3: dagster-aws' S3Resource, its client built once per process and configuration."""

from __future__ import annotations

import os
from typing import Any

from dagster_aws.s3 import S3Resource

_CLIENTS: dict[tuple, Any] = {}


class CachedS3Resource(S3Resource):
    """dagster-aws' S3Resource whose `get_client()` returns one client per process and configuration: building
    a boto3 client reads botocore's service models (0.3 s here), which every step and sensor tick paid. boto3
    clients are thread-safe; a forked process builds its own (the key holds the process id)."""

    def get_client(self) -> Any:
        key = (os.getpid(), self.endpoint_url, self.region_name, self.profile_name, self.aws_access_key_id,
               self.aws_secret_access_key, self.aws_session_token, self.max_attempts, self.use_ssl, self.verify,
               self.use_unsigned_session)
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = super().get_client()
        return client
