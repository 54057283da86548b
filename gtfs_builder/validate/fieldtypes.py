"""Vectorised parsers for the GTFS field types, shared by ``Feed.typed`` and the field rules.

Each parser takes a string Series (``<NA>`` when empty) and returns the typed Series, ``<NA>``
where the value is empty or invalid. The matching validity masks are what ``rules/fields.py``
reports as ``invalid_<type>`` notices.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

INT_RE = r"^[+-]?\d+$"
FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
DATE_RE = r"^\d{8}$"
TIME_RE = r"^\d{1,3}:[0-5]\d:[0-5]\d$"
COLOR_RE = r"^[0-9A-Fa-f]{6}$"


def _match(values: pd.Series, pattern: str) -> pd.Series:
    """Boolean mask (False for <NA>) of the values fully matching ``pattern``."""
    return values.str.match(pattern).fillna(False).astype(bool)


def valid_integer(values: pd.Series) -> pd.Series:
    ok = _match(values, INT_RE)
    # Java Integer range: longer values do not parse as int
    if ok.any():
        big = values[ok].str.lstrip("+-").str.len() > 10
        if big.any():
            nums = pd.to_numeric(values[ok][big], errors="coerce")
            out_of_int = (nums.abs() > 2**31 - 1) | nums.isna()
            ok.loc[out_of_int[out_of_int].index] = False
    return ok


def parse_integer(values: pd.Series) -> pd.Series:
    ok = valid_integer(values)
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if ok.any():
        out[ok] = pd.to_numeric(values[ok].str.lstrip("+"), errors="coerce").astype("Int64")
    return out


def valid_float(values: pd.Series) -> pd.Series:
    return _match(values, FLOAT_RE)


def parse_float(values: pd.Series) -> pd.Series:
    ok = valid_float(values)
    out = pd.Series(pd.NA, index=values.index, dtype="Float64")
    if ok.any():
        out[ok] = pd.to_numeric(values[ok], errors="coerce").astype("Float64")
    return out


def parse_date(values: pd.Series) -> pd.Series:
    """YYYYMMDD as Int64 (so comparisons and sorting are numeric); <NA> when not a real date."""
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    ok = _match(values, DATE_RE)
    if ok.any():
        dates = pd.to_datetime(values[ok], format="%Y%m%d", errors="coerce")
        good = dates.notna()
        idx = good[good].index
        out.loc[idx] = values.loc[idx].astype("int64")
    return out


def valid_date(values: pd.Series) -> pd.Series:
    return parse_date(values).notna()


def parse_time(values: pd.Series) -> pd.Series:
    """H:MM:SS / HH:MM:SS as Int64 seconds since noon minus 12 h; <NA> when invalid."""
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    ok = _match(values, TIME_RE)
    if ok.any():
        # pyarrow's regex extraction: vectorised, unlike str.split(expand=True)
        arr = pa.array(values[ok].astype("str"))
        parts = pc.extract_regex(arr, r"^(?P<h>\d{1,3}):(?P<m>\d\d):(?P<s>\d\d)$")
        h, m, sec = (pc.cast(parts.field(k), pa.int64()) for k in ("h", "m", "s"))
        secs = pc.add(pc.add(pc.multiply(h, 3600), pc.multiply(m, 60)), sec)
        out[ok] = secs.to_numpy(zero_copy_only=False)
    return out


def valid_time(values: pd.Series) -> pd.Series:
    return _match(values, TIME_RE)


def valid_color(values: pd.Series) -> pd.Series:
    return _match(values, COLOR_RE)


def parse(values: pd.Series, ftype: str) -> pd.Series:
    """Parse a string column by its spec type (see ``Feed.typed``)."""
    if ftype in ("integer", "enum"):
        return parse_integer(values)
    if ftype in ("float", "latitude", "longitude", "currency_amount"):
        return parse_float(values)
    if ftype == "date":
        return parse_date(values)
    if ftype == "time":
        return parse_time(values)
    if ftype == "color":
        return values.where(valid_color(values)).str.upper()
    return values
