"""Deterministic GTFS zip writer: the same tables always give the same bytes.

Stable row order (by each file's key columns), columns in GTFS reference order (``spec``), UTF-8
without BOM, LF line endings, minimal quoting, every zip entry dated 1980-01-01 with fixed
compression and attributes, files in a fixed order. Written to a temp file, then ``os.replace``d,
so a reader never sees half a feed.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from gtfs_builder import spec

FILE_ORDER = (
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "frequencies.txt",
    "shapes.txt",
    "transfers.txt",
    "feed_info.txt",
    "translations.txt",
)
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


def write_feed(tables: dict[str, pd.DataFrame], output: Path | str) -> Path:
    """Write the non-empty tables to ``output`` (a zip), atomically and byte-for-byte stable."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    names = [n for n in FILE_ORDER if n in tables] + sorted(
        n for n in tables if n not in FILE_ORDER
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
            for name in names:
                df = tables[name]
                if df is None or df.empty:
                    continue
                data = to_csv_bytes(_ordered(name, df))
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                level = 6 if len(data) < BIG_FILE else 1  # depends on content only: stable
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output
