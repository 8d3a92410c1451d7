"""A throwaway PostgreSQL cluster for the tests that read from a database.

Debian's ``postgresql`` package brings the server (``make system`` installs it when run as
root); :func:`start` runs ``initdb`` and ``pg_ctl`` in a temporary folder, as the ``postgres``
system user when the tests run as root (initdb refuses root), listening on a Unix socket only,
with password authentication for the user ``kit``. :func:`stop` stops it and removes the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "kit"
PASSWORD = "s3cret-for-tests"
PASSWORD_ENV = "KIT_TEST_DB_PASSWORD"
PORT = 5432


def server_bin() -> Path | None:
    """The folder of the newest installed server's initdb and pg_ctl, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Cluster:
    folder: Path
    bin: Path
    as_user: list[str]

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str = "shop") -> str:
        """The connection URL, without the password (it comes from :data:`PASSWORD_ENV`)."""
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}&port={PORT}"

    def url_with_password(self, database: str = "shop") -> str:
        return f"postgresql://{USER}:{PASSWORD}@/{database}?host={self.socket_dir}&port={PORT}"


def _run(cmd: list[str], **kw) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def start() -> Cluster:
    """Start a cluster with a database ``shop`` owned by ``kit``. Raises RuntimeError when it cannot."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL's initdb was not found (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="kit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"])
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    data = folder / "data"
    _run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
    pwfile.unlink()
    _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
          "-o", f"-k {folder} -c listen_addresses='' -p {PORT} -c fsync=off -c synchronous_commit=off", "start"])
    cluster = Cluster(folder, bin_dir, as_user)
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(cluster.url_with_password("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
    return cluster


def stop(cluster: Cluster) -> None:
    subprocess.run([*cluster.as_user, str(cluster.bin / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m",
                    "immediate", "stop"], capture_output=True)
    shutil.rmtree(cluster.folder, ignore_errors=True)


def load_parquet_tables(cluster: Cluster, folder: Path, tables: list[str]) -> None:
    """Copy each ``folder/<table>`` (Parquet files) into a table of the same name (ADBC bulk ingest)."""
    import adbc_driver_postgresql.dbapi as pg
    import polars as pl

    with pg.connect(cluster.url_with_password()) as conn, conn.cursor() as cur:
        for table in tables:
            cur.adbc_ingest(table, pl.scan_parquet(folder / table).collect().to_arrow(), mode="replace")
        conn.commit()
