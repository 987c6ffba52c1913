"""The sample delivery: what edX would put in S3 for the sample world, encrypted to the partner's key.

Daily `{org}/{site}/events/{YYYY}/{org}-{site}-events-{date}.log.gz.gpg` objects and Sunday
`{org}-{date}.zip` packages whose members are each `.gpg`. Files are generated as streams and written
to a private temporary folder before encryption and upload, so a 1M-event day needs little memory.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from edx_assets.edx import crypto, layout
from edx_assets.local.gpg_tools import SenderKeyring
from edx_assets.local.sample_events import DayTruth, EventWriter
from edx_assets.local.sample_package import PackageWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld


@dataclass
class Delivery:
    """What was delivered: S3 keys and the per-day ground truth of the events."""

    spec: SampleSpec
    event_keys: dict[str, str] = field(default_factory=dict)
    package_keys: dict[str, str] = field(default_factory=dict)
    days: dict[str, DayTruth] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "org": self.spec.org, "site": self.spec.site, "start": str(self.spec.start),
            "end": str(self.spec.end), "seed": self.spec.seed,
            "event_keys": self.event_keys, "package_keys": self.package_keys,
            "days": {day: truth.as_dict() for day, truth in self.days.items()},
        }


Uploader = Callable[[str, str, Path], None]  # (bucket, key, file)


def write_event_log(world: SampleWorld, day: date, target: Path, compresslevel: int = 6) -> DayTruth:
    """The plaintext gzip of `day`'s tracking log (before encryption)."""
    truth = DayTruth(str(day))
    writer = EventWriter(world)
    with gzip.open(target, "wb", compresslevel=compresslevel) as out:
        batch: list[bytes] = []
        for line in writer.lines(day, truth):
            batch.append(line)
            if len(batch) >= 2000:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
    return truth


def write_package(world: SampleWorld, day: date, ring: SenderKeyring, recipient: str,
                  target: Path, workdir: Path, *, with_failed: bool) -> None:
    """The zip of Sunday `day`: top folder `{org}-{date}/`, every member encrypted on its own."""
    top = f"{world.spec.org}-{day.isoformat()}"
    plain = workdir / "plain"
    files = PackageWriter(world, day).write(plain)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in files:
            encrypted = path.with_name(path.name + ".gpg")
            ring.encrypt_file(path, encrypted, recipient)
            archive.write(encrypted, f"{top}/{encrypted.relative_to(plain).as_posix()}")
            encrypted.unlink()
            path.unlink()
        if with_failed:
            name, data = PackageWriter(world, day).failed_member()
            archive.writestr(f"{top}/{name}", data)
    shutil.rmtree(plain, ignore_errors=True)


def generate_delivery(spec: SampleSpec, public_key: str, upload: Uploader, *,
                      events_bucket: str = "edx-course-data", courses_bucket: str = "course-data",
                      log: Callable[[str], None] = lambda _msg: None) -> Delivery:
    """Generate, encrypt and upload the whole delivery of `spec`."""
    world = SampleWorld(spec)
    delivery = Delivery(spec)
    with crypto.gpg_home() as home, tempfile.TemporaryDirectory(prefix="edx-sample-") as tmp:
        ring = SenderKeyring(home, None)
        recipient = ring.import_key(public_key)[0]
        work = Path(tmp)
        for day in world.days():
            plain = work / "events.log.gz"
            truth = write_event_log(world, day, plain)
            encrypted = work / "events.log.gz.gpg"
            ring.encrypt_file(plain, encrypted, recipient)
            key = layout.event_log_key(spec.org, spec.site, day)
            upload(events_bucket, key, encrypted)
            delivery.event_keys[str(day)] = key
            delivery.days[str(day)] = truth
            log(f"events {day}: {truth.valid} events, {truth.rejected} malformed lines -> s3://{events_bucket}/{key}")
        for index, sunday in enumerate(world.sundays()):
            archive = work / "package.zip"
            write_package(world, sunday, ring, recipient, archive, work, with_failed=index == 1)
            key = layout.course_package_key(spec.org, sunday)
            upload(courses_bucket, key, archive)
            delivery.package_keys[str(sunday)] = key
            log(f"package {sunday}: {len(world.courses)} courses -> s3://{courses_bucket}/{key}")
    return delivery


def s3_uploader(client) -> Uploader:
    created: set[str] = set()

    def upload(bucket: str, key: str, path: Path) -> None:
        if bucket not in created:
            existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
            if bucket not in existing:
                client.create_bucket(Bucket=bucket)
            created.add(bucket)
        client.upload_file(str(path), bucket, key)

    return upload


def save_manifest(delivery: Delivery, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(delivery.as_dict(), indent=2, ensure_ascii=False))
