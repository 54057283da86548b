"""Hand-modified copies of real feeds: read every table as text, edit it, write a new zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[2]
FEEDS = REPO / ".." / "shared" / "feeds"
SEATTLE = FEEDS / "valid_seattle_area_partridge.zip"
PRIMORYE = REPO / "source" / "primorye"
BIG = REPO / "bench" / "cache" / "valid_seattle_area_partridge-0bf9da54d4ed-v1-x35.zip"

Tables = dict[str, pd.DataFrame]


def read_tables(src: Path, only: set[str] | None = None) -> Tables:
    """The .txt tables of a zip (all, or ``only``) as strings ("" when empty), in archive order."""
    out: Tables = {}
    with zipfile.ZipFile(src) as zf:
        for name in zf.namelist():
            if name.endswith(".txt") and (only is None or name in only):
                data = zf.read(name)
                out[name] = (
                    pd.read_csv(
                        io.BytesIO(data), dtype=str, keep_default_na=False, engine="pyarrow"
                    )
                    if data.strip()
                    else pd.DataFrame()
                )
    return out


def _csv(frame: pd.DataFrame) -> bytes:
    if not len(frame.columns):
        return b""
    sink = io.BytesIO()
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def write_tables(tables: Tables, dst: Path, src: Path | None = None) -> Path:
    """Write ``tables``; the other entries of ``src`` (when given) are copied unchanged."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        if src is not None:
            with zipfile.ZipFile(src) as old:
                for name in old.namelist():
                    if name not in tables:
                        zf.writestr(name, old.read(name))
        for name, frame in tables.items():
            zf.writestr(name, _csv(frame))
    return dst


def rewrite(
    src: Path, dst: Path, edit: Callable[[Tables], None], only: set[str] | None = None
) -> Path:
    """Copy ``src`` to ``dst`` with ``edit`` applied to its tables (all, or ``only``) in place."""
    tables = read_tables(src, only)
    edit(tables)
    return write_tables(tables, dst, src if only is not None else None)


def seconds(t: pd.Series) -> pd.Series:
    parts = t.str.split(":", expand=True).astype(int)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def hms(s: pd.Series) -> pd.Series:
    return s.map(lambda v: f"{v // 3600:02d}:{v % 3600 // 60:02d}:{v % 60:02d}")


def shift_times(stop_times: pd.DataFrame, rows: pd.Series, by: int) -> None:
    """Move the arrival and departure times of the selected rows by ``by`` seconds."""
    for col in ("arrival_time", "departure_time"):
        filled = rows & (stop_times[col] != "")
        stop_times.loc[filled, col] = hms(seconds(stop_times.loc[filled, col]) + by)
