"""Vectorised parsers for the GTFS field types, shared by ``Feed.typed`` and the field rules.

Each parser takes a string Series (``<NA>`` when empty) and returns the typed Series, ``<NA>``
where the value is empty or invalid. The matching validity masks are what ``rules/fields.py``
reports as ``invalid_<type>`` notices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

INT_RE = r"^[+-]?\d+$"
FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
DATE_RE = r"^\d{8}$"
TIME_RE = r"^\d{1,3}:[0-5]\d:[0-5]\d$"
COLOR_RE = r"^[0-9A-Fa-f]{6}$"


def _arrow(values: pd.Series) -> pa.Array:
    """The values as one Arrow string array (zero-copy for pandas' pyarrow-backed ``str``)."""
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    return arr


def _match_arrow(arr: pa.Array, pattern: str) -> np.ndarray:
    """Boolean numpy mask (False for null) of the values fully matching ``pattern``.

    RE2 with ``\\d`` read as any Unicode decimal digit, as Python's ``re`` (and pandas'
    ``str.match``) read it, so the verdicts are those of the pandas implementation.
    """
    hit = pc.match_substring_regex(arr, pattern.replace(r"\d", r"\p{Nd}"))
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def _match(values: pd.Series, pattern: str) -> pd.Series:
    """Boolean mask (False for <NA>) of the values fully matching ``pattern``."""
    if len(values) == 0:
        return pd.Series(np.zeros(0, dtype=bool), index=values.index)
    return pd.Series(_match_arrow(_arrow(values), pattern), index=values.index)


def _to_masked(arr: pa.Array, dtype: str, index: pd.Index) -> pd.Series:
    """An Arrow numeric array with nulls as a pandas masked (Int64 / Float64) Series."""
    mask = arr.is_null().to_numpy(zero_copy_only=False)
    data = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False)
    if dtype == "Int64":
        masked = pd.arrays.IntegerArray(data.astype(np.int64, copy=False), mask)
    else:
        masked = pd.arrays.FloatingArray(data.astype(np.float64, copy=False), mask)
    return pd.Series(masked, index=index, copy=False)


def _cast(kept: pa.Array, typ: pa.DataType) -> pa.Array:
    """Cast valid strings to ``typ``; non-ASCII digits (valid for the regex) become <NA>, as
    ``pandas.to_numeric`` made them."""
    try:
        return pc.cast(kept, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ascii_ = pc.fill_null(pc.string_is_ascii(kept), True)
        return pc.cast(pc.if_else(ascii_, kept, pa.scalar(None, kept.type)), typ)


def _integer_mask(arr: pa.Array) -> np.ndarray:
    ok = _match_arrow(arr, INT_RE)
    # Java Integer range: longer values do not parse as int
    digits = pc.utf8_length(pc.utf8_ltrim(arr, "+-")).to_numpy(zero_copy_only=False)
    big = ok & (np.nan_to_num(digits.astype(float), nan=0.0) > 10)
    if big.any():
        idx = np.flatnonzero(big)
        nums = pd.to_numeric(pd.Series(arr.take(pa.array(idx)).to_pylist()), errors="coerce")
        out_of_int = ((nums.abs() > 2**31 - 1) | nums.isna()).to_numpy(dtype=bool)
        ok[idx[out_of_int]] = False
    return ok


def valid_integer(values: pd.Series) -> pd.Series:
    if len(values) == 0:
        return pd.Series(np.zeros(0, dtype=bool), index=values.index)
    return pd.Series(_integer_mask(_arrow(values)), index=values.index)


def parse_integer(values: pd.Series) -> pd.Series:
    """Int64; <NA> when empty or invalid. Parsed by Arrow, never through Python objects."""
    if len(values) == 0:
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    arr = _arrow(values)
    ok = _integer_mask(arr)
    kept = pc.if_else(pa.array(ok), pc.utf8_ltrim(arr, "+"), pa.scalar(None, arr.type))
    return _to_masked(_cast(kept, pa.int64()), "Int64", values.index)


def valid_float(values: pd.Series) -> pd.Series:
    return _match(values, FLOAT_RE)


def parse_float(values: pd.Series) -> pd.Series:
    """Float64; <NA> when empty or invalid (Arrow's correctly rounded parser)."""
    if len(values) == 0:
        return pd.Series(pd.NA, index=values.index, dtype="Float64")
    arr = _arrow(values)
    ok = _match_arrow(arr, FLOAT_RE)
    kept = pc.if_else(pa.array(ok), arr, pa.scalar(None, arr.type))
    return _to_masked(_cast(kept, pa.float64()), "Float64", values.index)


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
    """H:MM:SS / HH:MM:SS as Int64 seconds since noon minus 12 h; <NA> when invalid.

    Fields are cut by position from the end (the regex fixed ``:MM:SS``), no regex extraction.
    """
    if len(values) == 0:
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    arr = _arrow(values)
    return _time_seconds(arr, _match_arrow(arr, TIME_RE), values.index)


def _time_seconds(arr: pa.Array, ok: np.ndarray, index: pd.Index) -> pd.Series:
    kept = pc.if_else(pa.array(ok), arr, pa.scalar(None, arr.type))
    h = _cast(pc.utf8_slice_codeunits(kept, 0, -6), pa.int64())
    m = _cast(pc.utf8_slice_codeunits(kept, -5, -3), pa.int64())
    sec = _cast(pc.utf8_slice_codeunits(kept, -2), pa.int64())
    secs = pc.add(pc.add(pc.multiply(h, 3600), pc.multiply(m, 60)), sec)
    return _to_masked(secs, "Int64", index)


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


PARSED_TYPES = frozenset(
    {"integer", "enum", "float", "latitude", "longitude", "currency_amount", "date", "time"}
)


def parse_checked(values: pd.Series, ftype: str) -> tuple[pd.Series, pd.Series]:
    """(``parse(values, ftype)``, the syntax-validity mask), with one pass over the strings.

    For the types of ``PARSED_TYPES``: the loader checks syntax and keeps the parsed column for
    ``Feed.typed``, so a big column is parsed once instead of three or four times.
    """
    if len(values) == 0:
        typed = parse(values, ftype)
        return typed, pd.Series(np.zeros(0, dtype=bool), index=values.index)
    if ftype in ("integer", "enum"):
        arr = _arrow(values)
        ok = _integer_mask(arr)
        kept = pc.if_else(pa.array(ok), pc.utf8_ltrim(arr, "+"), pa.scalar(None, arr.type))
        typed = _to_masked(_cast(kept, pa.int64()), "Int64", values.index)
    elif ftype in ("float", "latitude", "longitude", "currency_amount"):
        arr = _arrow(values)
        ok = _match_arrow(arr, FLOAT_RE)
        kept = pc.if_else(pa.array(ok), arr, pa.scalar(None, arr.type))
        typed = _to_masked(_cast(kept, pa.float64()), "Float64", values.index)
    elif ftype == "time":
        arr = _arrow(values)
        ok = _match_arrow(arr, TIME_RE)
        typed = _time_seconds(arr, ok, values.index)
    elif ftype == "date":
        typed = parse_date(values)
        return typed, typed.notna()
    else:
        raise ValueError(f"no parser for {ftype!r}")
    return typed, pd.Series(ok, index=values.index)


def any_char_outside(values: pd.Series, char_class: str) -> pd.Series:
    """Boolean mask (False for <NA>): the value contains a char of the RE2 ``char_class``."""
    if len(values) == 0:
        return pd.Series(np.zeros(0, dtype=bool), index=values.index)
    hit = pc.match_substring_regex(_arrow(values), char_class)
    return pd.Series(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), index=values.index)


def all_na(index: pd.Index) -> pd.Series:
    """An all-<NA> ``str`` column, built by Arrow (no per-row Python work)."""
    return pd.Series(pa.nulls(len(index), pa.large_string()), index=index, dtype="str", copy=False)
