"""Flink's filesystem plugins: which jar of the image's ``opt/`` an object store needs.

The pod builders enable it (``ENABLE_BUILT_IN_PLUGINS``) and validation asks for the patch
version its file name carries; both read it here.
"""

from __future__ import annotations

FILESYSTEM_PLUGINS = {
    "s3://": "flink-s3-fs-hadoop",
    "s3a://": "flink-s3-fs-hadoop",
    "s3p://": "flink-s3-fs-presto",
    "gs://": "flink-gs-fs-hadoop",
    "abfs://": "flink-azure-fs-hadoop",
    "abfss://": "flink-azure-fs-hadoop",
    "wasbs://": "flink-azure-fs-hadoop",
    "oss://": "flink-oss-fs-hadoop",
}
"""URI scheme -> the plugin's jar name, without its version."""


def filesystem_plugin(storage_dir: str | None, flink_version: str) -> str | None:
    """The plugin jar ``storage_dir`` needs, e.g. 'flink-s3-fs-hadoop-1.20.3.jar', if any."""
    for scheme, plugin in FILESYSTEM_PLUGINS.items():
        if (storage_dir or "").startswith(scheme):
            return f"{plugin}-{flink_version}.jar"
    return None
