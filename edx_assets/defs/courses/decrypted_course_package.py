"""decrypted_course_package: every member of the week's package, extracted and decrypted privately."""

import json

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import OWNERS, Build, markdown_table, permanent_failures
from edx_assets.defs.courses.paths import MANIFEST, decrypted_package_dir, landed_package
from edx_assets.defs.resources import GpgResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import course_package
from edx_assets.edx.course_package import Manifest


def decrypt_package(config: EdxConfig, gpg: GpgResource, workspace: WorkspaceResource,
                    partition: str) -> Manifest:
    """Extract and decrypt the landed package; the manifest is written beside the files."""
    source = landed_package(config, workspace, partition)
    target = decrypted_package_dir(config, workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_course_package first")
        with gpg.keyring() as ring:
            manifest = course_package.extract_and_decrypt(source, target, ring)
    (target / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=1))
    return manifest


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.weekly, deps=["raw_course_package"], group_name="decrypted",
              kinds={"gpg", "file"}, owners=OWNERS, code_version=VERSIONED)
    def decrypted_course_package(context: dg.AssetExecutionContext, gpg: GpgResource,
                                 workspace: WorkspaceResource) -> dg.MaterializeResult:
        """Every member of the week's package, safely extracted and decrypted into private files.

        Refuses absolute paths, `..`, links, duplicate members and zip bombs. `*.failed` members (an export
        task's traceback) are reported, not fatal; files of no known kind are kept and listed.
        A manifest lists courses, tables, rows and bytes.
        """
        partition = context.partition_key
        manifest = decrypt_package(config, gpg, workspace, partition)
        target = decrypted_package_dir(config, workspace, partition)
        for failed in manifest.failed:
            context.log.warning(f"edX's export failed for {failed.member}: {(target / failed.path).read_text()[-300:]}")
        rows = [(f.course or "", f.table or "", f.kind, f.rows if f.rows is not None else "", f.bytes)
                for f in manifest.files]
        return dg.MaterializeResult(
            metadata={
                "courses": len(manifest.courses),
                "files": len(manifest.files),
                "dagster/row_count": sum(f.rows or 0 for f in manifest.files),
                "bytes": sum(f.bytes for f in manifest.files),
                "failed_exports": dg.MetadataValue.json([f.member for f in manifest.failed]),
                "not_loaded_files": dg.MetadataValue.json([f.path for f in manifest.unknown]),
                "manifest": markdown_table(["course", "table", "kind", "rows", "bytes"], rows, limit=200),
            }
        )

    return dg.Definitions(assets=[decrypted_course_package])
