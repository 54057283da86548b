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


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The values as an Arrow string array, chunks kept (zero-copy for pandas' ``str``)."""
    arr = pa.array(values, from_pandas=True)
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
    longer = pc.fill_null(pc.greater(pc.utf8_length(arr), 10), False)
    if not pc.any(longer).as_py():  # at most 10 chars: the common case, nothing more to do
        return ok
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


def _digit(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    return data[at].astype(np.int64) - 48


def _time_seconds(arr: pa.Array | pa.ChunkedArray, ok: np.ndarray, index: pd.Index) -> pd.Series:
    """Seconds of the values where ``ok`` (they match TIME_RE), read from the UTF-8 bytes.

    The regex fixed the shape ``H{1,3}:MM:SS``, so each digit sits at a known distance from the
    end of its value: numpy reads them from the Arrow buffers, no per-field string slices.
    Non-ASCII digits (valid for the regex) give <NA>, as a cast of them did.
    """
    ok = ok & pc.fill_null(pc.string_is_ascii(arr), False).to_numpy(zero_copy_only=False)
    secs = np.zeros(len(ok), dtype=np.int64)
    pos = 0
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        n = len(chunk)
        sel = np.flatnonzero(ok[pos : pos + n])
        if len(sel) and chunk.buffers()[2] is not None:
            bufs = chunk.buffers()
            width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
            offsets = np.frombuffer(bufs[1], dtype=width)[chunk.offset : chunk.offset + n + 1]
            data = np.frombuffer(bufs[2], dtype=np.uint8)
            start = offsets[:-1][sel].astype(np.int64)
            end = offsets[1:][sel].astype(np.int64)

            hlen = end - 6 - start  # 1 to 3 hour digits
            hours = _digit(data, end - 7)
            two = hlen >= 2
            hours[two] += 10 * _digit(data, end[two] - 8)
            three = hlen >= 3
            hours[three] += 100 * _digit(data, end[three] - 9)
            value = hours * 3600
            value += (_digit(data, end - 5) * 10 + _digit(data, end - 4)) * 60
            value += _digit(data, end - 2) * 10 + _digit(data, end - 1)
            secs[pos + sel] = value
        pos += n
    masked = pd.arrays.IntegerArray(secs, ~ok)
    return pd.Series(masked, index=index, copy=False)


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


def not_plain_ascii(values: pd.Series) -> pd.Series:
    """Boolean mask (False for <NA>): the value has a char outside U+0021..U+007E (a space, a
    control char or non-ASCII). Two cheap passes, no regex."""
    if len(values) == 0:
        return pd.Series(np.zeros(0, dtype=bool), index=values.index)
    arr = _arrow(values)
    hit = pc.or_(pc.invert(pc.ascii_is_printable(arr)), pc.match_substring(arr, " "))
    return pd.Series(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), index=values.index)


def all_na(index: pd.Index) -> pd.Series:
    """An all-<NA> ``str`` column, built by Arrow (no per-row Python work)."""
    return pd.Series(pa.nulls(len(index), pa.large_string()), index=index, dtype="str", copy=False)


arrow_strings = _arrow  # public name for the rule modules that work on Arrow arrays
