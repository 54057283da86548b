"""Compare two GTFS feeds table by table, for the import round trip: what was lost, what was added.

Rows are matched by each file's key (ids, or a trip's n-th stop for stop_times, a shape's n-th
point for shapes: ``stop_sequence`` numbering may differ), values compared after normalising what
is the same data written differently (``7:05:00`` = ``07:05:00``, ``47.60`` = ``47.6``, edge
spaces). A *loss* is a value present in the original and absent or different in the rebuilt feed;
an *addition* is a value the rebuilt feed has where the original is empty (or a file or column it
does not have).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gtfs_builder import spec
from gtfs_builder.importer.read import read_feed

# Sequence columns compared by rank within their trip / shape ("#n"): a rebuild may renumber them.
RANKED = {
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "shapes.txt": ("shape_id", "shape_pt_sequence"),
}
# Tables matched row by row on the spec's primary key; every other file is matched whole.
KEYED = (
    "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
    "calendar_dates.txt", "shapes.txt", "frequencies.txt", "feed_info.txt",
)  # fmt: skip
KEYS = {
    name: ["#n" if name in RANKED and k == RANKED[name][1] else k
           for k in spec.FILES[name].primary_key]
    for name in KEYED
}  # fmt: skip
TIME_COLS = {"arrival_time", "departure_time", "start_time", "end_time"}


@dataclass
class TableDiff:
    name: str
    rows: tuple[int, int]  # original, rebuilt
    lost: dict[str, int] = field(default_factory=dict)  # column → values lost
    added: dict[str, int] = field(default_factory=dict)  # column → values added
    lost_rows: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class RoundTripDiff:
    """Every table's losses and additions (not the rider-facing ``gtfs_builder.diff.FeedDiff``)."""

    tables: list[TableDiff]
    missing_files: list[str]
    added_files: list[str]
    changed_files: list[str] = field(default_factory=list)  # non-table files, other bytes

    @property
    def lost(self) -> bool:
        return (
            bool(self.missing_files or self.changed_files)
            or any(t.lost or t.lost_rows for t in self.tables)
        )

    def summary(self) -> str:
        lines = [f"file {n}: missing from the rebuilt feed" for n in self.missing_files]
        lines += [f"file {n}: not the same bytes in the rebuilt feed" for n in self.changed_files]
        lines += [f"file {n}: added" for n in self.added_files]
        for t in self.tables:
            head = f"{t.name} ({t.rows[0]} → {t.rows[1]} rows)"
            if t.lost_rows:
                lines.append(f"{head}: {t.lost_rows} rows not found")
            for col, n in t.lost.items():
                lines.append(f"{head}: {col}: {n} values lost")
            for col, n in t.added.items():
                lines.append(f"{head}: {col}: {n} values added")
            lines += [f"    e.g. {e}" for e in t.examples[:3]]
        return "\n".join(lines) or "identical after normalisation"


def _seconds(s: pd.Series) -> pd.Series:
    """H:MM:SS → whole seconds as text ("" when not a time), so 7:05:00 equals 07:05:00."""
    parts = s.str.extract(r"^(\d+):(\d\d):(\d\d)$")
    secs = parts[0].astype(float) * 3600 + parts[1].astype(float) * 60 + parts[2].astype(float)
    out = pd.Series("", index=s.index, dtype="str")
    ok = secs.notna().to_numpy()
    out[ok] = secs[ok].astype(np.int64).astype("str")
    return out


def normalise(s: pd.Series, col: str) -> pd.Series:
    """One canonical text per value: times as seconds, numbers as floats, spaces trimmed."""
    s = s.astype("str").str.strip()
    if col in TIME_COLS:
        return _seconds(s)
    num = pd.to_numeric(s.where(s.str.match(r"^-?\d*\.?\d+(e-?\d+)?$"), None), errors="coerce")
    return s.where(num.isna(), num.astype(str))


def _prepare(df: pd.DataFrame, name: str) -> pd.DataFrame:
    df = df.copy()
    if name in RANKED:
        group, seq = RANKED[name]
        order = pd.to_numeric(df[seq], errors="coerce")
        df = df.assign(_o=order).sort_values([group, "_o"], kind="stable").drop(columns="_o")
        df["#n"] = df.groupby(group, sort=False).cumcount().astype(str)
        df = df.drop(columns=[seq])
    return df


def compare_tables(name: str, a: pd.DataFrame, b: pd.DataFrame) -> TableDiff:
    """Values of ``a`` (original) lost or changed in ``b`` (rebuilt), per column."""
    diff = TableDiff(name, (len(a), len(b)))
    a, b = _prepare(a, name), _prepare(b, name)
    keys = [k for k in KEYS.get(name, list(a.columns)) if k in a.columns]
    if name in KEYS and not keys and len(a) <= 1 and len(b) <= 1:  # one-row files
        a, b = a.assign(_k="0"), b.assign(_k="0")
        keys = ["_k"]
    if not keys or any(k not in b.columns for k in keys):
        keys = [c for c in a.columns if a[c].ne("").any()]
        if any(k not in b.columns for k in keys):
            diff.lost_rows = len(a)
            return diff
    na = {c: normalise(a[c], c) for c in a.columns}
    nb = {c: normalise(b[c], c) for c in b.columns}
    left = pd.DataFrame(na)
    right = pd.DataFrame(nb)
    if name not in KEYS:  # unknown files: rows are matched whole, as multisets
        left["_dup"] = left.groupby(keys, sort=False).cumcount()
        right["_dup"] = right.groupby(keys, sort=False).cumcount()
        keys = [*keys, "_dup"]
    merged = left.merge(right, on=keys, how="left", suffixes=("", "__b"), indicator=True)
    missing = merged["_merge"] == "left_only"
    diff.lost_rows = int(missing.sum())
    if diff.lost_rows:
        diff.examples.append(f"row {dict(merged.loc[missing, keys].iloc[0])} not found")
    for col in a.columns:
        if col in keys or col.startswith("_"):
            continue
        ours = merged[col]
        other = f"{col}__b" if f"{col}__b" in merged else col if col in right else None
        theirs = merged[other] if other else pd.Series("", index=merged.index)
        theirs = theirs.fillna("")
        lost = (ours != "") & (ours != theirs) & ~missing
        added = (ours == "") & (theirs != "") & ~missing
        if lost.any():
            diff.lost[col] = int(lost.sum())
            i = lost.idxmax()
            diff.examples.append(
                f"{col} {ours[i]!r} → {theirs[i]!r} at {dict(merged.loc[i, keys])}"
            )
        if added.any():
            diff.added[col] = int(added.sum())
    for col in b.columns:
        new = col not in a.columns and col not in keys and not col.startswith("_")
        if new and nb[col].ne("").any():
            diff.added[col] = int(nb[col].ne("").sum())
    return diff


def compare_feeds(original: Path | str, rebuilt: Path | str) -> RoundTripDiff:
    """Every file of ``original`` against ``rebuilt``: losses and additions per table/column."""
    fa, fb = read_feed(original), read_feed(rebuilt)
    tables = []
    names_a = {n for n, df in fa.tables.items() if len(df)}
    names_a |= {n for n in fa.raw if n not in fa.tables}
    names_b = {n for n, df in fb.tables.items() if len(df)}
    names_b |= {n for n in fb.raw if n not in fb.tables}
    for name in sorted(names_a & names_b):
        ta = fa.tables.get(name)
        tb = fb.tables.get(name)
        if ta is None or tb is None:
            if fa.raw[name] == fb.raw[name]:
                continue
            try:
                ta, tb = _raw_table(fa.raw[name]), _raw_table(fb.raw[name])
            except (ValueError, UnicodeDecodeError):
                tables.append(TableDiff(name, (0, 0), lost_rows=1, examples=["not a table"]))
                continue
        tables.append(compare_tables(name, ta, tb))
    # files that are no table (locations.geojson, a README, a logo): compared byte for byte
    missing = sorted(names_a - names_b) + sorted(set(fa.others) - set(fb.others))
    added = sorted(names_b - names_a) + sorted(set(fb.others) - set(fa.others))
    changed = sorted(n for n, data in fa.others.items() if fb.others.get(n, data) != data)
    return RoundTripDiff(tables, missing, added, changed)


def _raw_table(data: bytes) -> pd.DataFrame:
    """A file the reader did not take as a GTFS table, read as plain CSV strings."""
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
