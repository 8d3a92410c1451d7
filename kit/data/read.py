"""Read a table's source files (CSV or Parquet; file, folder or glob) into a LazyFrame.

The format comes from the extension. CSV is read as text in every column (the conform
step parses types, so that unparseable values can be reported, not silently nulled);
a UTF-8 byte-order mark is dropped, and other encodings (``gbk``, ``gb18030``, as Excel
writes in China) are decoded before reading.
"""

from __future__ import annotations

import glob as globlib
import io
from pathlib import Path

import polars as pl

from kit.errors import DataError
from kit.params import Source

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")


def source_files(path: Path) -> list[Path]:
    """The data files a source path names: the file itself, every data file in a folder, or a glob's matches."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = [Path(p) for p in sorted(globlib.glob(text, recursive=True))]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES)
    else:
        files = [path] if path.exists() else []
    return [f for f in files if f.is_file()]


def _format_of(files: list[Path], table: str, path: Path) -> str:
    kinds = {("parquet" if f.suffix.lower() in PARQUET_SUFFIXES else "csv" if f.suffix.lower() in CSV_SUFFIXES else f.suffix)
             for f in files}
    if len(kinds) != 1 or next(iter(kinds)) not in ("csv", "parquet"):
        raise DataError(
            f"data.{table}: {path} holds {', '.join(sorted(map(str, kinds)))} files; "
            "use .csv/.tsv or .parquet files, one format per table."
        )
    return kinds.pop()


def _scan_csv_file(file: Path, source: Source) -> pl.LazyFrame:
    sep = "\t" if file.suffix.lower() == ".tsv" and source.csv.separator == "," else source.csv.separator
    encoding = source.csv.encoding.lower().replace("-", "")
    options = dict(separator=sep, infer_schema=False, null_values=source.csv.null_values, truncate_ragged_lines=True)
    if encoding in ("utf8", "utf8sig"):
        return pl.scan_csv(file, **options)
    try:
        text = file.read_bytes().decode(source.csv.encoding)
    except (LookupError, UnicodeDecodeError) as e:
        raise DataError(f"{file}: cannot decode as {source.csv.encoding!r} ({e}); set csv.encoding to the file's encoding.") from None
    return pl.read_csv(io.BytesIO(text.encode("utf-8")), **options).lazy()


def scan_source(table: str, source: Source, path: Path) -> tuple[pl.LazyFrame, list[Path]]:
    """Scan one table's files, with the user's column names turned into the contract's."""
    files = source_files(path)
    if not files:
        raise DataError(f"data.{table}: no data file at {path}. Check data.{table}.path in the params file.")
    kind = _format_of(files, table, path)
    if kind == "parquet":
        lf = pl.scan_parquet(files)
    else:
        frames = [_scan_csv_file(f, source) for f in files]
        lf = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    names = lf.collect_schema().names()
    # a BOM that survived decoding sticks to the first header
    cleaned = {n: n.lstrip("\ufeff").strip() for n in names if n != n.lstrip("\ufeff").strip()}
    if cleaned:
        lf = lf.rename(cleaned)
        names = [cleaned.get(n, n) for n in names]
    rename = {}
    for ours, theirs in source.columns.items():
        if theirs not in names:
            raise DataError(
                f"data.{table}.columns maps {ours!r} to {theirs!r}, but {path} has no column {theirs!r}. "
                f"Its columns are: {', '.join(names)}."
            )
        rename[theirs] = ours
    return lf.rename(rename), files
