"""Read a GTFS zip or folder into string tables, reporting every CSV-level problem.

The reading follows the canonical validator's loader (univocity parser) so that row numbers and
verdicts agree: UTF-8 with malformed bytes replaced by U+FFFD (``invalid_character`` then finds
them), a leading BOM ignored, blank lines skipped, rows numbered by *physical line* with the header
as line 1 (a row spanning lines because of a quoted newline gets the number of its last line), a
row whose cell count differs from the header dropped with ``invalid_row_length``, a header with an
ERROR (empty or duplicated name, missing required column) ending the file before its rows.

Fast path: pyarrow.csv with every column as a string, used when the bytes are valid UTF-8 and the
file has one physical line per row. Anything else goes through a careful ``csv`` module fallback.
Nothing here raises on bad bytes: problems become notices, and a bad file never hides the others.
"""

from __future__ import annotations

import csv
import ctypes
import enum
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gtfs_builder import spec
from gtfs_builder.validate import fieldtypes
from gtfs_builder.validate.notices import Notices, Severity, declare

OWNER = "files.csv_loader"
for _code, _sev, _doc in (
    ("unknown_file", Severity.INFO, "A file is unknown."),
    ("empty_file", Severity.ERROR, "A CSV file is empty."),
    ("invalid_input_files_in_subfolder", Severity.ERROR, "At least 1 GTFS file is in a subfolder."),
    ("empty_column_name", Severity.ERROR, "A column name is empty."),
    ("duplicated_column", Severity.ERROR, "Duplicated column in CSV."),
    ("unknown_column", Severity.INFO, "A column name is unknown."),
    ("missing_required_column", Severity.ERROR, "A required column is missing in the input file."),
    ("invalid_row_length", Severity.ERROR, "Invalid csv row length."),
    ("empty_row", Severity.WARNING, "A row in the input file has only spaces."),
    ("csv_parsing_failed", Severity.ERROR, "Parsing of a CSV file failed."),
    ("too_many_rows", Severity.ERROR, "A CSV file has too many rows."),
    ("i_o_error", Severity.ERROR, "Error in IO operation (unreadable archive entry, zip bomb)."),
):
    declare(_code, _sev, _doc, OWNER)

MAX_CHARS_PER_COLUMN = 4096  # univocity's default cap; areas.txt is uncapped
MAX_ROW_NUMBER = 1_000_000_000
MAX_INFLATED_BYTES = 8 * 1024**3  # refuse archives that inflate beyond 8 GiB in total
MAX_RATIO = 1000  # ... or whose entries inflate more than 1000:1 (and > 100 MB)
MACOSX = "__MACOSX"
# Names the canonical validator tests nested entries against (its GtfsFiles enum).
SUBFOLDER_NAMES = frozenset(
    [
        "agency.txt",
        "stops.txt",
        "routes.txt",
        "trips.txt",
        "stop_times.txt",
        "calendar.txt",
        "calendar_dates.txt",
        "fare_attributes.txt",
        "fare_rules.txt",
        "fare_media.txt",
        "fare_products.txt",
        "fare_leg_rules.txt",
        "fare_transfer_rules.txt",
        "areas.txt",
        "stop_areas.txt",
        "shapes.txt",
        "frequencies.txt",
        "transfers.txt",
        "pathways.txt",
        "levels.txt",
        "translations.txt",
        "feed_info.txt",
        "attributions.txt",
    ]
)


class InputError(Exception):
    """The input cannot be read at all (not found, not a zip): no report is possible."""


class LoadStatus(enum.Enum):
    """How far a table got: canonical multi-file checks skip tables that are not ``OK``."""

    OK = "ok"
    MISSING = "missing"
    EMPTY_FILE = "empty_file"
    INVALID_HEADERS = "invalid_headers"
    UNPARSABLE_ROWS = "unparsable_rows"


@dataclass
class RawTable:
    """One CSV file as strings: ``frame`` has a column per header name (first occurrence of a
    duplicate; empty names dropped), raw cell text ("" when empty), plus ``csv_row``."""

    filename: str
    header: list[str]
    frame: pd.DataFrame
    status: LoadStatus = LoadStatus.OK


@dataclass
class Archive:
    """The input zip or folder: which GTFS files it holds and how to get their bytes."""

    path: Path
    entries: dict[str, str] = field(default_factory=dict)  # canonical name -> entry name
    unknown: list[str] = field(default_factory=list)
    subfolder_tables: bool = False
    _zip: zipfile.ZipFile | None = None
    _infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)

    def names(self) -> list[str]:
        return list(self.entries)

    def size(self, name: str) -> int:
        entry = self.entries[name]
        if self._zip is not None:
            return self._infos[entry].file_size
        return (self.path / entry).stat().st_size

    def read_bytes(self, name: str) -> bytes:
        entry = self.entries[name]
        if self._zip is not None:
            info = self._infos[entry]
            if info.file_size > MAX_INFLATED_BYTES:
                raise OSError(f"{entry} inflates to {info.file_size} bytes, beyond the limit")
            with self._zip.open(info) as fh:
                data = fh.read(MAX_INFLATED_BYTES + 1)
            if len(data) > MAX_INFLATED_BYTES:
                raise OSError(f"{entry} inflates beyond {MAX_INFLATED_BYTES} bytes")
            return data
        return (self.path / entry).read_bytes()

    def open(self, name: str) -> IO[bytes]:
        """The entry as a binary stream (inflated as it is read)."""
        entry = self.entries[name]
        if self._zip is not None:
            info = self._infos[entry]
            if info.file_size > MAX_INFLATED_BYTES:
                raise OSError(f"{entry} inflates to {info.file_size} bytes, beyond the limit")
            return self._zip.open(info)
        return (self.path / entry).open("rb")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def open_archive(path: str | Path, notices: Notices) -> Archive:
    """Open a zip or folder and report file-level problems (unknown, subfolder, empty, bomb)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    zf = None
    if path.is_dir():
        all_names = [p.name for p in sorted(path.iterdir()) if p.is_file()]
        for sub in sorted(path.iterdir()):
            if sub.is_dir():
                all_names += [
                    str(p.relative_to(path)).replace("\\", "/")
                    for p in sub.rglob("*")
                    if p.is_file()
                ]
        infos: dict[str, zipfile.ZipInfo] = {}
    else:
        try:
            zf = zipfile.ZipFile(path)
            infolist = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise InputError(f"{path}: not a zip archive or folder ({exc})") from None
        infos = {}
        for info in infolist:
            infos.setdefault(info.filename, info)
        all_names = [i.filename for i in infolist if not i.is_dir()]
        total = sum(i.file_size for i in infos.values())
        packed = sum(i.compress_size for i in infos.values())
        if total > MAX_INFLATED_BYTES or (total > 100e6 and total > MAX_RATIO * max(packed, 1)):
            notices.add(
                "i_o_error",
                exception="ZipBomb",
                message=f"archive inflates to {total} bytes from {packed}: refused",
            )
            zf.close()
            return Archive(path)
        all_names = _unwrap_mac_folder(all_names, path.stem)
    archive = Archive(path, _zip=zf, _infos=infos)
    archive.subfolder_tables = any(
        "/" in n and n.rsplit("/", 1)[-1] in SUBFOLDER_NAMES for n in all_names
    )
    if archive.subfolder_tables:
        notices.add("invalid_input_files_in_subfolder", message="GTFS files found in a subfolder")
    for name in dict.fromkeys(all_names):
        if "/" in name or not name.strip() or (zf is not None and name == ".DS_Store"):
            continue
        canonical = name.lower()
        if spec.is_known_file(canonical) and canonical not in archive.entries:
            archive.entries[canonical] = name
        else:
            archive.unknown.append(name)
            notices.add("unknown_file", filename=name)
    for name in archive.entries:
        if name.endswith(".txt") and archive.size(name) == 0:
            notices.add("empty_file", filename=name)
    return archive


def _unwrap_mac_folder(names: list[str], stem: str) -> list[str]:
    """A zip made by macOS Finder wraps everything in one folder: read through it."""
    plain = [n for n in names if not n.startswith(MACOSX + "/")]
    tops = {n.split("/", 1)[0] for n in plain}
    if len(tops) == 1 and all("/" in n for n in plain) and plain:
        top = next(iter(tops))
        if top == stem:
            return [n.split("/", 1)[1] for n in plain]
    return names


# --------------------------------------------------------------------------------------- tables


def read_table(
    archive: Archive, name: str, notices: Notices, *, compact: bool = False
) -> RawTable:
    """Read one GTFS CSV file into strings, reporting header and row-shape problems.

    ``compact``: a clean file may come back with Categorical columns, streamed from the archive
    without holding its bytes (empty cells are then <NA>, not ""); ``Feed`` asks for it, its
    field checks turn the columns into what ``Feed.table`` holds.
    """
    fspec = spec.FILES.get(name)
    if name not in archive.entries:
        cols = list(fspec.fields) if fspec else []
        return RawTable(name, [], _empty(cols), LoadStatus.MISSING)
    cap = None if name == "areas.txt" else MAX_CHARS_PER_COLUMN
    if compact and fspec is not None:
        try:
            streamed = _stream_read(archive, name, cap)
        except Exception:  # an unreadable entry: the byte readers below report it
            streamed = None
        if streamed is not None:
            if _check_header(name, streamed.header, notices):
                return streamed
            streamed.status = LoadStatus.INVALID_HEADERS
            streamed.frame = _empty([c for c in dict.fromkeys(streamed.header) if c])
            return streamed
    try:
        data = archive.read_bytes(name)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as exc:
        notices.add("i_o_error", filename=name, exception=type(exc).__name__, message=str(exc))
        return RawTable(name, [], _empty([]), LoadStatus.INVALID_HEADERS)
    if not data.strip():
        return RawTable(name, [], _empty([]), LoadStatus.EMPTY_FILE)
    box = [data]
    del data  # _fast_read drops the bytes once parsed: they are as big as the table
    table = _fast_read(name, box, cap)
    if table is None:
        data = box[0]
        rows = _Deferred()
        table = _slow_read(name, data, rows, cap)
    else:
        rows = _Deferred()
    if table.status in (LoadStatus.OK, LoadStatus.UNPARSABLE_ROWS) and not _check_header(
        name, table.header, notices
    ):
        # as in the canonical loader, a bad header ends the file: no row-level notices
        table.status = LoadStatus.INVALID_HEADERS
        table.frame = _empty([c for c in dict.fromkeys(table.header) if c])
    else:
        rows.replay(notices)
    return table


class _Deferred:
    """Row-level notices held back until the header is known to be readable."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def add(self, code: str, **fields: object) -> None:
        self.calls.append((code, fields))

    def replay(self, notices: Notices) -> None:
        for code, fields in self.calls:
            notices.add(code, **fields)


def _empty(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    frame["csv_row"] = pd.Series([], dtype="int64")
    return frame


def _check_header(name: str, header: list[str], notices: Notices) -> bool:
    """Report header problems; False when one is an ERROR (the rows are then not read)."""
    ok = True
    fspec = spec.FILES.get(name)
    seen: dict[str, int] = {}
    for i, col in enumerate(header, start=1):
        if col == "":
            notices.add("empty_column_name", filename=name, index=i)
            ok = False
            continue
        if col in seen:
            notices.add(
                "duplicated_column",
                filename=name,
                fieldName=col,
                firstIndex=seen[col],
                secondIndex=i,
            )
            ok = False
        else:
            seen[col] = i
        if fspec is not None and col not in fspec.fields:
            notices.add("unknown_column", filename=name, fieldName=col, index=i)
    if fspec is not None:
        for col in sorted(set(fspec.required_columns) - seen.keys()):
            notices.add("missing_required_column", filename=name, fieldName=col)
            ok = False
    return ok


_JAVA_TRIM = "".join(chr(c) for c in range(0x21))  # String.trim(): every char <= U+0020


def _clean_header(raw: list[str]) -> list[str]:
    return [h.strip(_JAVA_TRIM) for h in raw]


def _fast_read(name: str, box: list[bytes], cap: int | None) -> RawTable | None:
    """pyarrow.csv on clean bytes; None when the file needs the careful reader.

    ``box`` holds the file's bytes; once parsed (and no trimming needs the raw lines) they are
    released, so the bytes and the table are not both held while the columns are converted.
    """
    data = box[0]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data and b"\r\n" not in data:  # lone CR line ends: fallback handles them
        return None
    # invalid UTF-8 needs no check here: pyarrow refuses it (check_utf8) and we fall back
    if b"\x00" in data:
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if data.count(b"\r") and data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=None, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    # All columns as strings (autogenerate names -> read header as the first data row).
    cols = []
    for col in table.columns:
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            return None
        cols.append(col)
    if table.num_rows < 1 or table.num_rows != lines:
        return None  # blank lines or multi-line rows: numbering needs the careful reader
    header = _clean_header([c[0].as_py() for c in cols])
    if cap is not None:
        for col in cols:
            if len(col) and pc.max(pc.utf8_length(col)).as_py() > cap:
                return None
    n = table.num_rows - 1
    del table
    keep = {h: i for i, h in reversed(list(enumerate(header))) if h}  # first of duplicates
    spaced = any(_edge_space_arrow(cols[i].slice(1)) for i in keep.values())
    if not spaced:
        box.clear()
        del data
    frame_cols: dict[str, pd.Series] = {}
    for h, i in sorted(keep.items(), key=lambda kv: kv[1]):
        # chunks kept as read: pandas widens the offsets, the character data is not copied
        frame_cols[h] = pd.Series(cols[i].slice(1), dtype="str")
        cols[i] = None  # type: ignore[call-overload]  # free the narrow offsets now
    del cols
    frame = pd.DataFrame(frame_cols, copy=False)
    del frame_cols
    if frame.shape[1] == 0:
        frame = pd.DataFrame(index=pd.RangeIndex(n))
    frame["csv_row"] = pd.RangeIndex(2, n + 2).to_numpy(dtype="int64")
    if spaced:
        lines = data.split(b"\n")
        _trim_unquoted(frame, header, lambda i: lines[i + 1].decode("utf-8"))
    return RawTable(name, header, frame)


def _edge_space_arrow(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Any value starting or ending with a char <= U+0020.

    Reads the first and last byte of each value straight from the Arrow buffers (in UTF-8 a
    byte <= 0x20 is always that ASCII char): no regex, no sliced copies.
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bufs = chunk.buffers()
        if bufs[2] is None:
            continue
        offsets = np.frombuffer(bufs[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(bufs[2], dtype=np.uint8)
        filled = offsets[1:] > offsets[:-1]
        if chunk.null_count:
            filled &= chunk.is_valid().to_numpy(zero_copy_only=False)
        if not filled.any():
            continue
        if (data[offsets[:-1][filled]] <= 0x20).any() or (
            data[offsets[1:][filled] - 1] <= 0x20
        ).any():
            return True
    return False


def _cell_quoting(record: str) -> list[bool]:
    """Per cell of one CSV record: was it quoted (its first non-blank char a quote)?"""
    flags: list[bool] = []
    start, quoted, in_quotes = True, False, False
    for ch in record.rstrip("\r\n"):
        if in_quotes:
            in_quotes = ch != '"'
            continue
        if ch == '"':
            in_quotes = True
            quoted = quoted or start
            start = False
        elif ch == ",":
            flags.append(quoted)
            start, quoted = True, False
        elif ch > " ":
            start = False
    flags.append(quoted)
    return flags


def _trim_unquoted(frame: pd.DataFrame, header: list[str], record: Callable[[int], str]) -> None:
    """Trim unquoted cells, as univocity does: only quoted values keep edge whitespace.

    ``record(i)`` returns the raw text of data row ``i`` (0-based). Only rows holding a value
    with edge whitespace are looked at, so clean files pay nothing.
    """
    position = {h: i for i, h in reversed(list(enumerate(header))) if h}
    cache: dict[int, list[bool]] = {}
    for col in list(frame.columns):
        if col == "csv_row" or col not in position:
            continue
        values = frame[col]
        spaced = (values.str.strip(_JAVA_TRIM) != values).fillna(False).to_numpy(dtype=bool)
        if not spaced.any():
            continue
        rows = spaced.nonzero()[0]
        trim = []
        for i in rows:
            if i not in cache:
                cache[i] = _cell_quoting(record(int(i)))
            flags = cache[i]
            j = position[col]
            trim.append(not (j < len(flags) and flags[j]))
        fix = rows[trim]
        if len(fix):
            new = values.to_numpy(dtype=object, na_value=None).copy()
            new[fix] = [v.strip(_JAVA_TRIM) for v in new[fix]]
            frame[col] = pd.Series(new, index=frame.index, dtype="str")


class _LineCounter:
    """Feeds csv.reader one physical line at a time, so ``line_num`` is the canonical row."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="")
        self.last = ""
        self.record = ""  # the physical lines of the row being read

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = self.lines.readline()
        if not line:
            raise StopIteration
        self.last = line
        self.record += line
        return line


def _slow_read(name: str, data: bytes, notices: _Deferred, cap: int | None) -> RawTable:
    """The careful reader: any bytes, any line ends, quoted newlines, ragged rows."""
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    source = _LineCounter(text)
    reader = csv.reader(source, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    status = LoadStatus.OK
    try:
        for values in reader:
            line = reader.line_num
            record, source.record = source.record, ""
            if header is None:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                header = _clean_header(values)
                if cap is not None and any(len(h) > cap for h in header):
                    notices.add("csv_parsing_failed", filename=name, lineIndex=0, charIndex=cap + 1)
                    return RawTable(name, header, _empty([]), LoadStatus.INVALID_HEADERS)
                continue
            if line > MAX_ROW_NUMBER:
                notices.add("too_many_rows", filename=name, rowNumber=line)
                status = LoadStatus.UNPARSABLE_ROWS
                break
            if not values:
                continue
            if len(values) == 1 and not values[0].strip():
                if values[0] == "" and source.last.strip() == "":
                    # a whitespace line is skipped, unless it ends the file without a newline
                    if source.last.endswith(("\n", "\r")):
                        continue
                elif source.last.endswith(("\n", "\r")) and not source.last.strip().strip('"'):
                    continue
                notices.add("empty_row", filename=name, csvRowNumber=line)
                continue
            if cap is not None and any(len(v) > cap for v in values):
                notices.add(
                    "csv_parsing_failed",
                    filename=name,
                    lineIndex=line - 1,
                    message=f"a value is longer than {cap} characters",
                )
                frame = _empty([c for c in dict.fromkeys(header) if c])
                return RawTable(name, header, frame, LoadStatus.UNPARSABLE_ROWS)
            if len(values) != len(header):
                notices.add(
                    "invalid_row_length",
                    filename=name,
                    csvRowNumber=line,
                    rowLength=len(values),
                    headerCount=len(header),
                )
                status = LoadStatus.UNPARSABLE_ROWS
                continue
            if any(v.strip(_JAVA_TRIM) != v for v in values):
                flags = _cell_quoting(record)
                values = [
                    v if (i < len(flags) and flags[i]) else v.strip(_JAVA_TRIM)
                    for i, v in enumerate(values)
                ]
            rows.append(values)
            numbers.append(line)
    except csv.Error as exc:
        notices.add(
            "csv_parsing_failed", filename=name, lineIndex=reader.line_num, message=str(exc)
        )
        status = LoadStatus.UNPARSABLE_ROWS
    if header is None:
        return RawTable(name, [], _empty([]), LoadStatus.EMPTY_FILE)
    frame_cols: dict[str, pd.Series] = {}
    for i, h in enumerate(header):
        if h == "" or h in frame_cols:
            continue
        frame_cols[h] = pd.Series([r[i] for r in rows], dtype="str")
    frame = pd.DataFrame(frame_cols) if frame_cols else pd.DataFrame(index=range(len(rows)))
    frame["csv_row"] = pd.Series(numbers, dtype="int64")
    return RawTable(name, header, frame, status)


# ------------------------------------------------------------------ streaming, dictionary-encoded
def release_memory() -> None:
    """Give freed memory back to the system: Arrow's allocator (mimalloc) and glibc's malloc keep
    freed blocks for reuse, but the next big arrays come from the other allocator, so on 20 M
    rows the retained blocks would add up to the peak."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018  (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()

STREAM_BLOCK = 1 << 24  # bytes the CSV reader parses at a time (one thread per block)
_DICT = pa.dictionary(pa.int32(), pa.string())


class _Stream:
    """The member's bytes after the header line, handed to Arrow's CSV reader block by block.

    Counts what ``_fast_read`` counted on the whole bytes (line ends, lone CRs, NULs) as the
    blocks pass, so the file is never held inflated in memory.
    """

    def __init__(self, fh: IO[bytes], head: bytes) -> None:
        self.fh, self.head = fh, head
        self.newlines = self.crs = self.crlfs = self.size = 0
        self.nul = self.cr_pending = False
        self.last = b""
        self.closed = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        if self.head:
            data = self.head if n < 0 else self.head[:n]
            self.head = self.head[len(data) :]
        else:
            data = self.fh.read(n)
        if data:
            self.size += len(data)
            if self.size > MAX_INFLATED_BYTES:
                raise OSError(f"inflates beyond {MAX_INFLATED_BYTES} bytes")
            self.newlines += data.count(b"\n")
            crs = data.count(b"\r")
            if crs or self.cr_pending:
                self.crs += crs
                self.crlfs += data.count(b"\r\n") + (self.cr_pending and data[:1] == b"\n")
            self.cr_pending = data[-1:] == b"\r"
            self.nul = self.nul or b"\x00" in data
            self.last = data[-1:]
        return data

    def lines(self) -> int:
        """Physical lines read (the last one may lack its newline)."""
        return self.newlines + (1 if self.size and self.last != b"\n" else 0)


def _read_header(fh: IO[bytes]) -> tuple[bytes, bytes] | None:
    """(header line without its line end, bytes read past it); None when unusual."""
    buf = fh.read(1 << 16)
    while b"\n" not in buf:
        more = fh.read(1 << 16)
        if not more:
            break
        buf += more
        if len(buf) > 1 << 24:
            return None
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    line, sep, rest = buf.partition(b"\n")
    if line.endswith(b"\r"):
        line = line[:-1]
    if not sep or b"\r" in line or b"\x00" in line or not line.strip():
        return None  # no row, lone CR, NUL or a blank first line: the careful readers decide
    if line.count(b'"') % 2:
        return None  # a quoted newline in the header
    return line, rest


def _stream_read(archive: Archive, name: str, cap: int | None) -> RawTable | None:
    """Arrow's multi-threaded CSV reader on the inflating member, every column read straight
    into dictionary codes (a Categorical per column); None when the file needs the readers that
    see the whole bytes (edge whitespace to trim, blank or multi-line rows, bad bytes, ...)."""
    with archive.open(name) as fh:
        got = _read_header(fh)
        if got is None:
            return None
        line, rest = got
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return None
        header = _clean_header(next(csv.reader([text])))
        if cap is not None and any(len(h) > cap for h in header):
            return None
        if not rest:
            rest = fh.read(1 << 16)
        stream = _Stream(fh, rest)
        names = [f"c{i}" for i in range(len(header))]
        keep = {h: i for i, h in reversed(list(enumerate(header))) if h}  # first of duplicates
        table: pa.Table | None = None
        n = 0
        if rest:
            try:
                table = pacsv.read_csv(
                    stream,
                    read_options=pacsv.ReadOptions(column_names=names, block_size=STREAM_BLOCK),
                    parse_options=pacsv.ParseOptions(
                        newlines_in_values=False, ignore_empty_lines=True
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(names, _DICT),
                        include_columns=[names[i] for i in sorted(keep.values())],
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
                return None
            n = table.num_rows
            if stream.nul or stream.crs != stream.crlfs or n != stream.lines():
                return None
    frame_cols: dict[str, pd.Series] = {}
    for h, i in sorted(keep.items(), key=lambda kv: kv[1]):
        if table is None:
            frame_cols[h] = pd.Series([], dtype="str")
            continue
        col = _categorical(table.column(names[i]), cap)
        if col is None:
            return None
        frame_cols[h] = pd.Series(col, copy=False)
        table = table.drop_columns([names[i]])
        release_memory()  # the column's Arrow codes, before the next column's numpy copy
    frame = pd.DataFrame(frame_cols, copy=False) if frame_cols else pd.DataFrame(index=range(n))
    frame["csv_row"] = np.arange(2, n + 2, dtype=np.int64)
    return RawTable(name, header, frame)


def _categorical(column: pa.ChunkedArray, cap: int | None) -> pd.Categorical | None:
    """One Categorical from the reader's per-block dictionaries (None: edge whitespace or a
    value longer than ``cap``, which the careful readers handle)."""
    chunks = [c for c in column.chunks if len(c)]
    dicts = [c.dictionary for c in chunks]
    if not dicts:
        return pd.Categorical.from_codes(
            np.zeros(0, dtype=np.int8), categories=pd.Index([], dtype="str"), validate=False
        )
    merged = pa.concat_arrays(dicts)
    if _edge_space_arrow(merged):
        return None
    if cap is not None and len(merged) and pc.max(pc.utf8_length(merged)).as_py() > cap:
        return None
    # categories as check_table leaves them: sorted, "" first (and read as <NA> in the rows)
    uniq = pc.unique(pa.concat_arrays([merged, pa.array([""], merged.type)]))
    uniq = uniq.take(pc.array_sort_indices(uniq))
    at = pc.index_in(merged, value_set=uniq).to_numpy(zero_copy_only=False).astype(np.int32)
    at[at == 0] = -1
    codes = np.empty(len(column), dtype=np.int32)
    pos = off = 0
    for chunk, d in zip(chunks, dicts, strict=True):
        local = at[off : off + len(d)]
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        np.take(local, indices, out=codes[pos : pos + len(chunk)])
        pos += len(chunk)
        off += len(d)
    return fieldtypes.from_codes(codes, uniq)
