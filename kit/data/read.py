"""Read a table's source (CSV, Parquet or Excel files; file, folder or glob; or a database)
into a LazyFrame.

The format comes from the extension, and is checked against the file's first bytes (a CSV
named ``.parquet`` gets a message, not a Parquet reader's error). CSV is read as text in
every column (the conform step parses types, so that unparseable values can be reported,
not silently nulled). Its encoding is detected unless ``csv.encoding`` names one: a
byte-order mark (UTF-8, UTF-16 as Excel's "Unicode text" writes it), else strict UTF-8,
else strict GB18030 (which includes GBK, as Excel writes CSV in China), else
charset-normalizer's best guess; its separator is sniffed among comma, semicolon, tab and
``|`` when the configured one does not split the header. Both are said in the run's
data-quality notes. Excel sheets are read with polars' calamine engine (fastexcel), text
columns of the contract as text so that ids stay ``1001``, not ``1001.0``.

Pathological files stop early with a message: the header is looked for in the first
:data:`HEAD_BYTES` only, and may have at most :data:`MAX_COLUMNS` columns, so a 40 MB
line or a header of 20M separators does not reach the CSV reader.
"""

from __future__ import annotations

import codecs
import csv
import glob as globlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kit.contract import TABLES
from kit.errors import DataError
from kit.params import Source

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
DATA_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES
HEAD_BYTES = 1 << 20
"""How much of a CSV file is read to find its encoding, header and separator."""
FULL_CHECK_BYTES = 256 << 20
"""CSV files up to this size are checked to be valid UTF-8 as a whole before polars reads them
(beyond it, the first :data:`HEAD_BYTES`; polars stops on a bad byte later, with a message)."""
MAX_COLUMNS = 2000
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


@dataclass
class Scanned:
    """A table's source as read: the frame (the user's column names mapped onto the contract's),
    the files it came from, how they were read (notes for the data-quality appendix), and
    what kind of source it is (text values are parsed and checked; typed ones are trusted)."""

    frame: pl.LazyFrame
    files: list[Path]
    kind: str  # csv | parquet | excel | database
    notes: list[str] = field(default_factory=list)
    label: str = ""

    @property
    def from_text(self) -> bool:
        return self.kind == "csv"


def source_files(path: Path) -> list[Path]:
    """The data files a source path names: the file itself, every data file in a folder, or a glob's matches."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = [Path(p) for p in sorted(globlib.glob(text, recursive=True))]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith("."))
    else:
        files = [path] if path.exists() else []
    return [f for f in files if f.is_file()]


def _kind_of_suffix(f: Path) -> str:
    s = f.suffix.lower()
    return "parquet" if s in PARQUET_SUFFIXES else "csv" if s in CSV_SUFFIXES else "excel" if s in EXCEL_SUFFIXES else s


def _format_of(files: list[Path], table: str, path: Path) -> str:
    kinds = {_kind_of_suffix(f) for f in files}
    if len(kinds) != 1 or next(iter(kinds)) not in ("csv", "parquet", "excel"):
        raise DataError(
            f"data.{table}: {path} holds {', '.join(sorted(k or '(no extension)' for k in kinds))} files; "
            "use .csv/.tsv, .parquet or .xlsx/.xls files, one format per table."
        )
    return kinds.pop()


def _sniff_kind(head: bytes) -> str | None:
    """What the first bytes say the file is, whatever its name: parquet, excel (a zip or an
    OLE2 compound file, as .xlsx and .xls are) or None (text, or unknown)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "excel"
    return None


def _check_kind(file: Path, kind: str, table: str) -> None:
    """Stop with a message when a file's content is not what its name says."""
    with open(file, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise DataError(f"data.{table}: {file} is empty (0 bytes). Export the table again, or leave it out of the params.")
    actual = _sniff_kind(head)
    if kind == "parquet" and actual != "parquet":
        looks = "an Excel workbook" if actual == "excel" else f"text ({head[:8]!r}...)"
        raise DataError(f"data.{table}: {file} is named .parquet but is not a Parquet file: it looks like {looks}. "
                        "Give it the extension of its format (.csv, .xlsx).")
    if kind == "csv" and actual is not None:
        raise DataError(f"data.{table}: {file} is named {file.suffix} but is a{'n Excel' if actual == 'excel' else ' Parquet'} "
                        f"file; give it the extension {'.xlsx' if actual == 'excel' else '.parquet'}.")
    if kind == "excel" and actual != "excel":
        raise DataError(f"data.{table}: {file} is named {file.suffix} but is not an Excel workbook"
                        f"{' (it looks like text)' if actual is None else ''}; give it the extension of its format (.csv).")


# ------------------------------------------------------------------ CSV: encoding, header, separator

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "utf-16-le": "UTF-16 LE",
                   "utf-16-be": "UTF-16 BE", "utf-32": "UTF-32", "gb18030": "GB18030 (GBK)"}


def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(head: bytes, whole: bool) -> str | None:
    """The encoding of a text file from its first bytes ``head`` (``whole``: the whole file).

    A byte-order mark decides; then UTF-16 without one (every other byte zero, as in ASCII
    text); then strict UTF-8, then strict GB18030 (a superset of GBK and GB2312, what Excel
    writes in China; strict decoding rejects most other legacy encodings); then
    charset-normalizer's best guess. None when nothing fits."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and not sample[0::2].count(0):
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and not sample[1::2].count(0):
        return "utf-16-be"
    if _decodes(head, "utf-8", final=whole):
        return "utf-8"
    if _decodes(head, "gb18030", final=whole):
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best.encoding if best is not None else None


def _first_lines(text: str, n: int = 6) -> list[str]:
    lines = text.splitlines()
    return lines[: n if len(lines) > n else max(1, len(lines) - (0 if text.endswith(("\n", "\r")) else 1))]


def _fields(line: str, sep: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=sep)))
    except (csv.Error, StopIteration):
        return line.count(sep) + 1


def sniff_separator(lines: list[str], configured: str | None, suffix: str) -> str:
    """The configured separator, or the default (comma; tab for .tsv) when it splits the header,
    else the candidate of :data:`SEPARATORS` that splits the header into the most fields and the
    next lines into as many. Written here rather than with csv.Sniffer, which also guesses the
    quoting and fails on a file of one line."""
    if configured:
        return configured
    default = "\t" if suffix == ".tsv" else ","
    header = lines[0]
    if _fields(header, default) > 1:
        return default
    best, best_n = default, 1
    for sep in SEPARATORS:
        n = _fields(header, sep)
        consistent = all(_fields(line, sep) == n for line in lines[1:] if line.strip())
        if n > best_n and consistent:
            best, best_n = sep, n
    return best


@dataclass
class CsvLayout:
    encoding: str
    separator: str
    cr_only: bool  # lines end with a lone CR (classic Mac), which the CSV reader does not split on
    notes: list[str]


def csv_layout(file: Path, source: Source, table: str) -> CsvLayout:
    """Encoding, separator and line ends of a CSV file, from its first :data:`HEAD_BYTES`
    (and, for files up to :data:`FULL_CHECK_BYTES`, a strict check of the whole file)."""
    size = file.stat().st_size
    with open(file, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        raise DataError(f"data.{table}: {file} is empty ({size} bytes, no header). Export the table again, "
                        "or leave it out of the params.")
    whole = size <= HEAD_BYTES
    configured = source.csv.encoding
    notes = []
    if configured:
        encoding = configured
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DataError(f"data.{table}.csv.encoding: {encoding!r} is not an encoding Python knows; use e.g. "
                            "utf-8, gb18030, utf-16, or leave it out to detect it.") from None
    else:
        encoding = detect_encoding(head, whole)
        if encoding is None:
            raise DataError(f"data.{table}: cannot tell the encoding of {file}; save it as UTF-8, or set "
                            f"data.{table}.csv.encoding (e.g. gb18030).")
        if encoding == "utf-8" and not whole and size <= FULL_CHECK_BYTES and not _utf8_file(file):
            encoding = "gb18030" if _decodes(file.read_bytes(), "gb18030", final=True) else encoding
    try:
        text = head.decode(encoding, errors="strict") if whole else \
            codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
    except UnicodeDecodeError as e:
        raise DataError(f"data.{table}: {file} cannot be read as {encoding} (byte {e.start}: {e.reason}); "
                        f"set data.{table}.csv.encoding to the file's encoding, or leave it out to detect it.") from None
    text = text.lstrip("\ufeff")
    first_end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=-1)
    if first_end < 0 and not whole:
        raise DataError(f"data.{table}: the first line of {file} is longer than {HEAD_BYTES >> 20} MiB, so it is "
                        "not a CSV header (one row per line, names first). Check that this is the right file.")
    cr_only = first_end >= 0 and text[first_end] == "\r" and text[first_end + 1: first_end + 2] != "\n"
    lines = _first_lines(text)
    separator = sniff_separator(lines, source.csv.separator, file.suffix.lower())
    n_columns = _fields(lines[0], separator)
    if n_columns > MAX_COLUMNS:
        raise DataError(f"data.{table}: the header of {file} has {n_columns:,} columns (at most {MAX_COLUMNS:,} "
                        f"are read); check the separator (data.{table}.csv.separator) and that this is the right file.")
    if not configured and encoding not in ("utf-8",):
        notes.append(f"{file.name}: read as {_ENCODING_NAMES.get(encoding, encoding)} (detected)")
    if not source.csv.separator and separator != ("\t" if file.suffix.lower() == ".tsv" else ","):
        notes.append(f"{file.name}: columns separated by {SEPARATOR_NAMES.get(separator, repr(separator))} (detected)")
    if cr_only:
        notes.append(f"{file.name}: lines end with a lone CR (old Mac files); read as ordinary lines")
    return CsvLayout(encoding, separator, cr_only, notes)


def _utf8_file(file: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open(file, "rb") as fh:
            while chunk := fh.read(8 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _scan_csv_file(file: Path, source: Source, table: str) -> tuple[pl.LazyFrame, list[str]]:
    layout = csv_layout(file, source, table)
    options = dict(separator=layout.separator, infer_schema=False, null_values=source.csv.null_values,
                   truncate_ragged_lines=True)
    if layout.encoding in ("utf-8", "utf-8-sig", "utf8") and not layout.cr_only:
        return pl.scan_csv(file, **options), layout.notes
    try:
        text = file.read_bytes().decode(layout.encoding)
    except UnicodeDecodeError as e:
        line = file.read_bytes()[: e.start].count(b"\n") + 1
        raise DataError(f"data.{table}: {file} cannot be read as {layout.encoding}: line {line} has a byte that is not "
                        f"{layout.encoding} ({e.reason}); set data.{table}.csv.encoding to the file's encoding.") from None
    text = text.lstrip("\ufeff")
    if layout.cr_only:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return pl.read_csv(io.BytesIO(text.encode("utf-8")), **options).lazy(), layout.notes


# ------------------------------------------------------------------ Excel

def _string_columns(table: str, source: Source) -> set[str]:
    """The file's names of the columns the contract keeps as text (ids, names)."""
    names = {c.name: source.columns.get(c.name, c.name) for c in TABLES[table].columns if c.dtype == pl.String}
    return set(names.values())


def _read_excel_file(file: Path, source: Source, table: str) -> pl.LazyFrame:
    import fastexcel

    try:
        sheets = fastexcel.read_excel(file).sheet_names
    except Exception as e:  # noqa: BLE001 - a damaged workbook: say which file
        raise DataError(f"data.{table}: {file} cannot be opened as a workbook ({str(e).splitlines()[0][:200]}); "
                        "open it in Excel and save it again as .xlsx.") from None
    sheet = source.sheet
    if sheet is None:
        sheet_name = sheets[0] if sheets else None
    elif isinstance(sheet, int):
        if not 1 <= sheet <= len(sheets):
            raise DataError(f"data.{table}.sheet: {file} has {len(sheets)} sheet(s), no sheet {sheet}; "
                            f"its sheets are: {', '.join(sheets)}.")
        sheet_name = sheets[sheet - 1]
    else:
        if sheet not in sheets:
            raise DataError(f"data.{table}.sheet: {file} has no sheet {sheet!r}; its sheets are: {', '.join(sheets)}.")
        sheet_name = sheet
    if sheet_name is None:
        raise DataError(f"data.{table}: {file} has no sheet.")
    try:
        header = pl.read_excel(file, sheet_name=sheet_name, engine="calamine", infer_schema_length=0,
                               read_options={"n_rows": 0})
        overrides = {c: pl.String for c in _string_columns(table, source) if c in header.columns}
        frame = pl.read_excel(file, sheet_name=sheet_name, engine="calamine", infer_schema_length=None,
                              schema_overrides=overrides)
    except Exception as e:  # noqa: BLE001 - calamine's errors name no file: say which
        raise DataError(f"data.{table}: sheet {sheet_name!r} of {file} cannot be read "
                        f"({str(e).splitlines()[0][:200]}).") from None
    return frame.lazy()


# ------------------------------------------------------------------ the source

def _check_parquet(file: Path, table: str) -> None:
    try:
        pl.read_parquet_schema(file)
    except Exception as e:  # noqa: BLE001 - a damaged file: say which
        raise DataError(f"data.{table}: {file} is not a readable Parquet file ({str(e).splitlines()[0][:200]}); "
                        "write it again.") from None


def scan_files(table: str, source: Source, path: Path) -> Scanned:
    """Scan one table's files, with the user's column names turned into the contract's."""
    files = source_files(path)
    if not files:
        raise DataError(f"data.{table}: no data file at {path}. Check data.{table}.path in the params file.")
    kind = _format_of(files, table, path)
    for f in files:
        _check_kind(f, kind, table)
    notes: list[str] = []
    if kind == "parquet":
        for f in files:
            _check_parquet(f, table)
        lf = pl.scan_parquet(files)
    else:
        frames = []
        for f in files:
            if kind == "csv":
                frame, file_notes = _scan_csv_file(f, source, table)
                notes += file_notes
            else:
                frame = _read_excel_file(f, source, table)
            frames.append(frame)
        lf = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    return Scanned(_map_columns(lf, table, source, str(path)), files, kind, notes, str(path))


def _map_columns(lf: pl.LazyFrame, table: str, source: Source, where: str) -> pl.LazyFrame:
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
                f"data.{table}.columns maps {ours!r} to {theirs!r}, but {where} has no column {theirs!r}. "
                f"Its columns are: {', '.join(names)}."
            )
        rename[theirs] = ours
    return lf.rename(rename)


def scan_table(table: str, source: Source, path: Path | None, window=None, timezone: str = "UTC",
               schema_only: bool = False) -> Scanned:
    """One table's source (files, or a database table or query) as a :class:`Scanned`.
    ``window``: the ``(start, end)`` local datetimes (in ``timezone``) of the table's rows the
    run needs, pushed down to a database (files are read whole and cut later).
    ``schema_only``: a database returns no row, only its columns (files are scanned lazily anyway)."""
    if source.database is not None:
        from kit.data.database import scan_database

        lf, label = scan_database(table, source, window, timezone, schema_only)
        return Scanned(_map_columns(lf, table, source, label), [], "database", [], label)
    return scan_files(table, source, path)


def scan_source(table: str, source: Source, path: Path) -> tuple[pl.LazyFrame, list[Path]]:
    """Scan one table's files (see :func:`scan_files`): the frame and its files."""
    scanned = scan_files(table, source, path)
    return scanned.frame, scanned.files
