"""Starting Spark for a preparation: one SparkSession per process, from the params' ``spark:``.

pyspark and Java are optional: a machine that only makes reports needs neither. When either
is missing, :func:`require_spark` stops with one message saying what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from kit.errors import KitError

INSTALL = ("install pyspark with `pip install -e '.[spark]'` (or `make setup`) and Java 17 with "
           "`apt-get install -y openjdk-17-jre-headless`")

FIXED_CONF = {
    # the kit's datetimes are naive local times: Spark must neither shift them nor write them as instants
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # column names are matched exactly, as polars does
    "spark.sql.caseSensitive": "true",
    # a value that does not parse becomes null and is counted, as polars' strict=False (Spark 4's ANSI
    # mode would stop the job on the first bad date instead)
    "spark.sql.ansi.enabled": "false",
}
"""Settings the preparation depends on: a user's ``spark.conf`` cannot change them."""

DEFAULT_CONF = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
}
"""Settings a user's ``spark.conf`` may override."""


class SparkMissing(KitError):
    """pyspark or Java is not installed where ``engine: spark`` runs."""


def java_major() -> int | None:
    """The major version of the ``java`` Spark would start (JAVA_HOME's, else the PATH's); None without one."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2)) if major == 1 and found.group(2) else major


def require_spark() -> None:
    """Stop with one message when pyspark or Java 17+ is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkMissing(f"engine: spark needs pyspark, which is not installed: {INSTALL}.") from None
    major = java_major()
    if major is None:
        raise SparkMissing(f"engine: spark needs Java, and no `java` was found (JAVA_HOME or PATH): {INSTALL}.")
    if major < 17:
        raise SparkMissing(f"engine: spark needs Java 17 or later; the `java` found is Java {major}: {INSTALL}.")


def spark_session(master: str = "local[*]", conf: dict | None = None, app: str = "shop-report-kit prepare"):
    """The process's SparkSession, started on ``master`` with ``conf`` (a session already running,
    e.g. under spark-submit or a test's fixture, is reused: its master wins)."""
    require_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).master(master)
    for key, value in {**DEFAULT_CONF, **{k: str(v).lower() if isinstance(v, bool) else str(v)
                                          for k, v in (conf or {}).items()}, **FIXED_CONF}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in FIXED_CONF.items():  # a reused session gets them too
        session.conf.set(key, value)
    return session


def session_for(params):
    """The SparkSession of a run's ``spark:`` settings."""
    return spark_session(params.spark.master, params.spark.conf)
