"""Copy a delivered S3 object to the landing area, skipping the download when its ETag is unchanged."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError

TRANSIENT_S3_CODES = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "503", "500"}


class DeliveryMissingError(RuntimeError):
    """The object edX should have delivered is not in the bucket (yet)."""


class S3AccessError(RuntimeError):
    """S3 refused the request (credentials, permissions, bucket)."""


@dataclass(frozen=True)
class LandedObject:
    bucket: str
    key: str
    path: Path
    size: int
    etag: str
    last_modified: datetime
    downloaded: bool  # False when the landing copy already matched the object's ETag


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".s3.json")


def head(client, bucket: str, key: str) -> dict:
    try:
        return client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"404", "NoSuchKey", "NotFound"}:
            raise DeliveryMissingError(
                f"the delivery is not there yet: s3://{bucket}/{key} does not exist"
            ) from None
        if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            raise S3AccessError(
                f"S3 refused access to s3://{bucket}/{key} ({code}): check the AWS credentials and the "
                "bucket policy"
            ) from None
        if code == "NoSuchBucket":
            raise DeliveryMissingError(f"the bucket {bucket} does not exist") from None
        raise


def object_exists(client, bucket: str, key: str) -> bool:
    """Whether edX has delivered s3://bucket/key (access errors are raised, not read as 'no')."""
    try:
        head(client, bucket, key)
    except DeliveryMissingError:
        return False
    return True


def land(client, bucket: str, key: str, landing_dir: Path) -> LandedObject:
    """Download s3://bucket/key into `landing_dir` unless the copy there has the same ETag."""
    info = head(client, bucket, key)
    etag = str(info["ETag"]).strip('"')
    size = int(info["ContentLength"])
    landing_dir.mkdir(parents=True, exist_ok=True)
    target = landing_dir / Path(key).name
    sidecar = _sidecar(target)
    if target.exists() and sidecar.exists():
        try:
            seen = json.loads(sidecar.read_text())
        except ValueError:
            seen = {}
        if seen.get("etag") == etag and target.stat().st_size == size:
            return LandedObject(bucket, key, target, size, etag, info["LastModified"], downloaded=False)
    partial = target.with_name(target.name + ".part")
    client.download_file(bucket, key, str(partial))
    got = partial.stat().st_size
    if got != size:
        partial.unlink(missing_ok=True)
        raise S3AccessError(f"s3://{bucket}/{key}: downloaded {got} bytes, expected {size}")
    os.replace(partial, target)  # atomic: a crash never leaves a half file under the final name
    sidecar.write_text(json.dumps({"bucket": bucket, "key": key, "etag": etag, "size": size}))
    return LandedObject(bucket, key, target, size, etag, info["LastModified"], downloaded=True)


def list_objects(client, bucket: str, prefix: str = "") -> list[dict]:
    """Every object under `prefix` (Key, ETag, LastModified, Size), across pages."""
    paginator = client.get_paginator("list_objects_v2")
    found: list[dict] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        found.extend(page.get("Contents", []))
    return found
