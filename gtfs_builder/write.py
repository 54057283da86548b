"""Deterministic GTFS zip writer: the same tables always give the same bytes.

Stable row order (by each file's key columns), columns in GTFS reference order (``spec``), UTF-8
without BOM, LF line endings, minimal quoting, every zip entry dated 1980-01-01 with fixed
compression and attributes, files in a fixed order. Written to a temp file, then ``os.replace``d,
so a reader never sees half a feed. Files kept as they are (a source's ``files/``: fares, a
producer's README, GTFS-Flex ``locations.geojson`` ...) go in as raw bytes, verbatim.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from gtfs_builder import spec

SORT_KEYS = {
    "agency.txt": ["agency_id"],
    "stops.txt": ["stop_id"],
    "routes.txt": ["route_id"],
    "trips.txt": ["trip_id"],
    "stop_times.txt": ["trip_id", "stop_sequence"],
    "calendar.txt": ["service_id"],
    "calendar_dates.txt": ["service_id", "date"],
    "frequencies.txt": ["trip_id", "start_time"],
    "shapes.txt": ["shape_id", "shape_pt_sequence"],
    "transfers.txt": ["from_stop_id", "to_stop_id", "from_route_id", "to_route_id"],
    "translations.txt": ["table_name", "field_name", "language", "record_id", "field_value"],
}
# Columns written even when every value is empty: loaders need them (see consumers-notes.md).
ALWAYS = {
    "routes.txt": {"route_short_name", "agency_id"},
    "stop_times.txt": {"timepoint"},
    "trips.txt": {"shape_id"},
}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Files above this size are deflated at level 1: 3-4x faster than level 6 on millions of rows, for
# a zip about 30% larger. The level depends only on the content, so output stays byte-stable.
BIG_FILE = 16 * 1024 * 1024
# Big files are made in slices of this many rows: a thread deflates one slice while pyarrow writes
# the next (both release the GIL). One deflate stream fed in order: the same bytes as in one go.
SLICE_ROWS = 250_000


class _Restart(Exception):
    """The streamed path cannot finish this feed (quoting needed, zip64): write it in one go."""


def _ordered(filename: str, df: pd.DataFrame) -> pd.DataFrame:
    """Reference column order, empty optional columns dropped, rows sorted by the key."""
    order = spec.column_order(filename) if filename in spec.FILES else list(df.columns)
    keep = ALWAYS.get(filename, set())
    cols = [c for c in order if c in df.columns and (c in keep or df[c].notna().any())]
    cols += sorted(c for c in df.columns if c not in order and df[c].notna().any())
    df = df[cols]
    keys = [k for k in SORT_KEYS.get(filename, []) if k in df.columns]
    if keys and not _is_sorted(df, keys):
        df = df.sort_values(keys, kind="stable", na_position="first")
    return df.reset_index(drop=True)


def _is_sorted(df: pd.DataFrame, keys: list[str]) -> bool:
    """Whether rows are already in key order, checked on integer codes (cheap for millions of
    rows); False when a key is plain text, so small tables are simply sorted."""
    arrays = []
    for k in keys:
        s = df[k]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if not s.cat.categories.is_monotonic_increasing:
                return False
            arrays.append(s.cat.codes.to_numpy())
        elif pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
            arrays.append(s.to_numpy())
        else:
            return False
    if len(df) < 2:
        return True
    tied = np.ones(len(df) - 1, dtype=bool)
    for a in arrays:
        if (tied & (a[1:] < a[:-1])).any():
            return False
        tied &= a[1:] == a[:-1]
    return True


def _header(cols: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cols)
    return buf.getvalue()


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV bytes: pyarrow when no value needs quoting (fast path), the csv module otherwise."""
    header = _header(list(df.columns)).encode()
    if df.empty:
        return header
    try:  # fast path: no value needs quoting
        table = pa.Table.from_pandas(df, preserve_index=False)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        return header + buf.getvalue()
    except pa.ArrowInvalid:
        pass  # a value holds a comma, quote or line break: quote minimally with the csv module
    out = io.StringIO()
    df.to_csv(out, index=False, header=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return header + out.getvalue().encode("utf-8")


def _csv_slices(df: pd.DataFrame) -> Iterator[bytes]:
    """The CSV of a big table slice by slice (pyarrow, no quoting); :class:`_Restart` if a value
    needs quoting."""
    yield _header(list(df.columns)).encode()
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    for start in range(0, len(df), SLICE_ROWS):
        part = df.iloc[start : start + SLICE_ROWS]
        buf = io.BytesIO()
        try:
            pacsv.write_csv(pa.Table.from_pandas(part, preserve_index=False), buf, options)
        except pa.ArrowInvalid:
            raise _Restart from None
        yield buf.getvalue()


def _stream_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, slices: Iterator[bytes]) -> None:
    """Deflate ``slices`` into one entry on a worker thread while the next slice is made."""
    todo: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def deflate() -> None:
        try:
            with zf.open(info, "w") as dest:
                while (chunk := todo.get()) is not None:
                    dest.write(chunk)
        except BaseException as exc:  # handed to the main thread
            failed.append(exc)
            while todo.get() is not None:  # drain so the producer never blocks
                pass

    worker = threading.Thread(target=deflate, daemon=True)
    worker.start()
    try:
        for chunk in slices:
            todo.put(chunk)
    finally:
        todo.put(None)
        worker.join()
    if failed:
        raise _Restart from failed[0]


def _entry(name: str, level: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    info._compresslevel = level  # type: ignore[attr-defined]  # what zf.open("w") deflates at
    return info


def _write_zip(
    tables: dict[str, pd.DataFrame],
    raw: dict[str, bytes],
    names: list[str],
    fh: io.BufferedWriter,
    stream: bool,
) -> None:
    with zipfile.ZipFile(fh, "w") as zf:
        for name in names:
            if name in raw:
                data = raw[name]
            else:
                df = _ordered(name, tables[name])
                if stream and len(df) > SLICE_ROWS:
                    # level 1 as for any big file; under 2 GiB (else _Restart: zip64 in one go)
                    _stream_entry(zf, _entry(name, 1), _csv_slices(df))
                    continue
                data = to_csv_bytes(df)
            level = 6 if len(data) < BIG_FILE else 1  # depends on content only: stable
            zf.writestr(
                _entry(name, level), data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level
            )


def write_feed(
    tables: dict[str, pd.DataFrame],
    output: Path | str,
    *,
    raw: dict[str, bytes] | None = None,
) -> Path:
    """Write the non-empty tables and the ``raw`` members (bytes written as they are) to
    ``output`` (a zip), atomically and byte-for-byte stable.

    Raises ``ValueError`` when a raw member has the name of a non-empty table (one file, two
    contents) or is not a plain top-level file name.
    """
    output = Path(output)
    raw = dict(raw or {})
    tables = {n: df for n, df in tables.items() if df is not None and not df.empty}
    for name in raw:
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise ValueError(f"raw member {name!r}: expected a plain file name (no folder)")
    clash = sorted(set(raw) & set(tables))
    if clash:
        raise ValueError(f"{clash[0]}: given both as a table and as raw bytes (expected one)")
    output.parent.mkdir(parents=True, exist_ok=True)
    # files in the GTFS reference's order (spec.FILES), then any others by name
    every = set(tables) | set(raw)
    known = [n for n in spec.FILES if n in every]
    names = known + sorted(every - set(known))
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                _write_zip(tables, raw, names, fh, stream=True)
            except _Restart:
                fh.seek(0)
                fh.truncate()
                _write_zip(tables, raw, names, fh, stream=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output
