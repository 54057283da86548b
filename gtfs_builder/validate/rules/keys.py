"""Key-level notices: duplicate primary keys and references to rows that do not exist.

Follows the canonical validator (v8, as measured by the gtfs-validator port; gtfs-guru 1.0.0
differs, see tests/validate/cases/keys.yaml): keys come from spec.py; a table that failed to load
(a dropped row, a bad header) is not indexed, so it draws no duplicate_key and skips the
references that read it; an absent optional parent is an empty table, so every reference into
it is violated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gtfs_builder import spec
from gtfs_builder.validate import fieldtypes
from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed


@dataclass(frozen=True)
class Reference:
    child: str
    field: str
    parents: tuple[tuple[str, str, bool], ...]  # (file, field, parent is an index, not a key)
    label: str
    parent_field: str
    skip_empty: bool = False


def _is_index(filename: str, field: str) -> bool:
    key = spec.FILES[filename].primary_key
    return not (len(key) == 1 and key[0] == field)


def _references() -> list[Reference]:
    refs = []
    for name, fspec in spec.FILES.items():
        for child_field, parent, parent_field in fspec.foreign_keys:
            refs.append(
                Reference(
                    name,
                    child_field,
                    ((parent, parent_field, _is_index(parent, parent_field)),),
                    parent,
                    parent_field,
                )
            )
    calendars = (("calendar.txt", "service_id", False), ("calendar_dates.txt", "service_id", True))
    networks = (("networks.txt", "network_id", False), ("routes.txt", "network_id", True))
    both_cal = "calendar.txt or calendar_dates.txt"
    both_net = "routes.txt or networks.txt"
    refs += [
        Reference("fare_leg_join_rules.txt", "from_network_id", networks, both_net, "network_id"),
        Reference("fare_leg_join_rules.txt", "to_network_id", networks, both_net, "network_id"),
        Reference("fare_leg_rules.txt", "network_id", networks, both_net, "network_id", True),
        Reference("trips.txt", "service_id", calendars, both_cal, "service_id"),
        Reference("timeframes.txt", "service_id", calendars, both_cal, "service_id"),
    ]
    return refs


REFERENCES = _references()


@rule(
    files=list(spec.FILES),
    notices={"duplicate_key": (Severity.ERROR, "Duplicated entity.")},
)
def check_duplicate_keys(feed: Feed, notices: Notices) -> None:
    """Two rows of a file share its primary key."""
    for name in feed.files():
        fspec = spec.FILES.get(name)
        if fspec is None or not fspec.primary_key or not feed.loaded_ok(name):
            continue  # a table with a dropped row is not indexed (canonical, jar-measured)
        table = feed.table(name)
        if len(table) < 2:
            continue
        key = list(fspec.primary_key)
        # absent key fields compare as empty, as the canonical defaults them
        codes = _key_codes(table, key)
        if not _any_repeat(codes):
            continue  # the common case, decided on one sorted copy of int codes
        dup = pd.Series(codes, index=table.index).duplicated(keep=False)
        del codes
        keys = table.loc[dup, key].fillna("")
        rows = table.loc[dup, ["csv_row"]].assign(**{k: keys[k] for k in key})
        first = rows.groupby(key, sort=False)["csv_row"].transform("first")
        later = rows[rows["csv_row"] != first]
        out = pd.DataFrame(
            {
                "filename": name,
                "oldCsvRowNumber": first[later.index].to_numpy(),
                "newCsvRowNumber": later["csv_row"].to_numpy(),
            }
        )
        for i, k in enumerate(key, start=1):
            out[f"fieldName{i}"] = k
            out[f"fieldValue{i}"] = later[k].to_numpy(dtype=object)
        notices.add_frame("duplicate_key", out)


@rule(
    files=list(spec.FILES),
    notices={"foreign_key_violation": (Severity.ERROR, "Wrong foreign key.")},
)
def check_foreign_keys(feed: Feed, notices: Notices) -> None:
    """A field refers to a row of another file that does not exist."""
    for ref in REFERENCES:
        if not feed.has(ref.child) or feed.dependency_failed(ref.child):
            continue
        if any(feed.dependency_failed(p[0]) for p in ref.parents):
            continue
        if not feed.has_column(ref.child, ref.field):
            continue
        table = feed.table(ref.child)
        values = table[ref.field]
        present = values.notna()
        if ref.skip_empty:
            present &= values != ""
        if not present.any():
            continue
        known: list[pa.Array] = [pa.array([], pa.large_string())]
        for pfile, pfield, is_index in ref.parents:
            if pfile not in spec.FILES:
                continue
            pvalues = feed.table(pfile)[pfield]
            known.append(_distinct(pvalues))
            if is_index and pvalues.isna().any():
                known.append(pa.array([""], pa.large_string()))
        missing = present & ~_isin(values, pa.concat_arrays(known))
        if not missing.any():
            continue
        sel = table.loc[missing]
        notices.add_frame(
            "foreign_key_violation",
            pd.DataFrame(
                {
                    "childFilename": ref.child,
                    "childFieldName": ref.field,
                    "parentFilename": ref.label,
                    "parentFieldName": ref.parent_field,
                    "fieldValue": sel[ref.field].to_numpy(dtype=object),
                    "csvRowNumber": sel["csv_row"].to_numpy(),
                }
            ),
        )


def _key_codes(table: pd.DataFrame, key: list[str]) -> np.ndarray:
    """One int64 code per row, equal iff the rows' key values are equal (<NA> reads as "").

    Each key column's codes come from ``fieldtypes.encode`` (a Categorical's own codes, or an
    Arrow dictionary encoding), so duplicates are found on ints, never by hashing strings.
    """
    combined: np.ndarray | None = None
    for i, k in enumerate(key):
        codes, distinct = fieldtypes.encode(table[k])  # -1 for <NA> and ""
        size = len(distinct) + 1
        if combined is None:
            combined = codes.astype(np.int64) + 1
        else:
            combined *= size
            combined += codes
            combined += 1
            if i < len(key) - 1:  # dense again before the next product: no overflow
                combined = pd.factorize(combined)[0].astype(np.int64)
    assert combined is not None
    return combined


def _any_repeat(codes: np.ndarray) -> bool:
    """Some code occurs twice (a sort, no hash table of the 20 M rows)."""
    ordered = np.sort(codes)
    return bool((ordered[1:] == ordered[:-1]).any())


def _distinct(values: pd.Series) -> pa.Array:
    """The distinct non-empty values that rows hold, as Arrow strings."""
    codes, distinct = fieldtypes.encode(values)
    used = np.zeros(len(distinct) + 1, dtype=bool)
    used[codes] = True  # code -1 marks the spare last slot
    arr = pa.array(distinct[used[:-1]], from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.cast(arr, pa.large_string())
    if (values == "").any():  # a quoted blank value, trimmed to "" (encode reads it as empty)
        arr = pa.concat_arrays([arr, pa.array([""], pa.large_string())])
    return arr


def _isin(values: pd.Series, known: pa.Array) -> pd.Series:
    """``values.isin(known)`` by Arrow's hash set, once per distinct value for a Categorical
    (pandas would go through Python objects)."""
    if len(values) == 0:
        return pd.Series(np.zeros(0, dtype=bool), index=values.index)
    if fieldtypes.is_categorical(values):
        cats = pc.cast(pa.array(values.cat.categories, from_pandas=True), pa.large_string())
        hit = pc.fill_null(pc.is_in(cats, value_set=known), False).to_numpy(zero_copy_only=False)
        rows = fieldtypes.expand(hit, values.cat.codes.to_numpy())
        return pd.Series(rows, index=values.index)
    arr = fieldtypes.arrow_strings(values)
    hit = pc.is_in(arr, value_set=pc.cast(known, arr.type))
    return pd.Series(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), index=values.index)
