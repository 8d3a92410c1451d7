"""Writing a prepared table: Spark writes a folder of part files (one per task), which is then
merged into the one ``<table>.parquet`` file the local engine writes.

Why one file and not the folder: the dataset's readers (:class:`kit.dataset.Dataset`, its damage
check, each run's row counts) open ``<table>.parquet`` as a file, and the local engine's internals
are being changed by others; a merged file keeps them unchanged. The merge copies row groups
(no decoding of values into Python objects, one row group in memory at a time) and is done on
the driver, which must bring the dataset to its local cache folder anyway. ``coalesce(1)`` in
Spark was the alternative: it also yields one file, but runs the table's last stage (the session
window over all events) in a single task, where the merge keeps every task working.

Parts written to a remote staging folder (``spark.staging``: hdfs://, s3a://) are first copied
to the driver through the cluster's Hadoop file system.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pyarrow.parquet as pq


def stage(frame, staging: str, name: str) -> str:
    """Write ``frame`` as Parquet part files into ``<staging>/<name>``; return that folder's URI."""
    target = f"{staging.rstrip('/')}/{name}"
    frame.write.mode("overwrite").option("compression", "zstd").parquet(target)
    return target


def fetch(spark, uri: str, local: Path) -> Path:
    """The part files at ``uri`` as a local folder: the folder itself when local, else a copy."""
    if uri.startswith("file:") or "://" not in uri:
        return Path(uri.removeprefix("file://").removeprefix("file:"))
    jvm = spark.sparkContext._jvm
    source = jvm.org.apache.hadoop.fs.Path(uri)
    fs = source.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    local.mkdir(parents=True, exist_ok=True)
    fs.copyToLocalFile(False, source, jvm.org.apache.hadoop.fs.Path(local.resolve().as_uri()), True)
    return local / source.getName()


def upload(spark, local: Path, staging: str, name: str) -> str:
    """The local file ``local`` copied into ``<staging>/<name>/`` through the cluster's Hadoop file
    system, where every executor reads it; returns that folder's URI."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(f"{staging.rstrip('/')}/{name}")
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    fs.mkdirs(target)
    fs.copyFromLocalFile(False, True, jvm.org.apache.hadoop.fs.Path(local.resolve().as_uri()), target)
    return target.toString()


def merge_parts(parts: Path, out: Path) -> int:
    """Merge the part files of ``parts`` into the one Parquet file ``out``; returns its rows."""
    files = sorted(p for p in parts.iterdir() if p.suffix == ".parquet" and not p.name.startswith((".", "_")))
    if not files:
        raise RuntimeError(f"Spark wrote no part file into {parts}")
    schema = pq.read_schema(files[0]).remove_metadata()
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for f in files:
            part = pq.ParquetFile(f)
            for i in range(part.num_row_groups):
                group = part.read_row_group(i).replace_schema_metadata(None)
                writer.write_table(group.cast(schema))
                rows += group.num_rows
    return rows


def write_table(spark, frame, name: str, staging: str, folder: Path) -> int:
    """``frame`` written as ``folder/<name>.parquet`` through ``staging``; returns its rows."""
    uri = stage(frame, staging, name)
    copy = folder / f".{name}.{uuid.uuid4().hex[:8]}.parts"
    parts = fetch(spark, uri, copy)
    try:
        return merge_parts(parts, folder / f"{name}.parquet")
    finally:
        # a copy of remote parts goes; staged parts stay (the session table reads the events' parts)
        if parts.is_relative_to(copy):
            shutil.rmtree(copy, ignore_errors=True)
