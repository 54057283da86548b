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
from pandas.api.extensions import ExtensionArray

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


# ------------------------------------------------------------------ per distinct value (issue 5)
# Files that ``Feed.table`` holds compactly: every text column a Categorical (codes + distinct
# values), so that 20 M stop_times rows fit in memory.
COMPACT_FILES = frozenset({"stop_times.txt", "shapes.txt"})

# A column is checked and parsed once per distinct value, then the verdicts are spread to the rows
# by integer codes: 20 M stop_times rows hold ~100 k distinct times and trip ids.


def is_categorical(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.CategoricalDtype)


def encode(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values): ``values`` == distinct[codes]; code -1 for <NA> and for "".

    A Categorical gives its codes as they are (no pass over the rows but the "" fix); a string
    column is dictionary-encoded by Arrow. The distinct values are a ``str`` Series with a
    RangeIndex, in no particular order, and may hold values no row uses.
    """
    if is_categorical(values):
        codes = values.cat.codes.to_numpy()
        distinct = pd.Series(values.cat.categories, dtype="str").reset_index(drop=True)
    else:
        arr = _arrow(values)
        enc = pc.dictionary_encode(arr)
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.unify_dictionaries()
            chunks = enc.chunks
        else:
            chunks = [enc]
        if not chunks:
            return np.zeros(0, dtype=np.int32), pd.Series([], dtype="str")
        codes = np.concatenate(
            [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in chunks]
        )
        distinct = pd.Series(chunks[0].dictionary, dtype="str")
    blank = np.flatnonzero((distinct == "").to_numpy(dtype=bool, na_value=False))
    if len(blank):
        hit = codes == blank[0]
        if hit.any():
            codes = np.where(hit, -1, codes).astype(codes.dtype, copy=False)
    return codes, distinct


def sorted_with_blank(distinct: pd.Series) -> bool:
    """The values are strictly increasing and the first is "" (a compact column's categories)."""
    if len(distinct) == 0 or distinct.iloc[0] != "":
        return False
    arr = _arrow(distinct)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return len(arr) == 1 or bool(pc.all(pc.greater(arr[1:], arr[:-1])).as_py())


def expand(flags: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-value booleans spread to the rows (False where the code is -1)."""
    return np.append(np.asarray(flags, dtype=bool), False)[codes]


def expand_typed(per_value: ExtensionArray, codes: np.ndarray) -> ExtensionArray:
    """Per-value typed values spread to the rows (<NA> where the code is -1).

    Masked arrays are spread with two numpy takes on the codes as they are (int8 to int32): no
    platform-int copy of the codes, which ``ExtensionArray.take`` would make.
    """
    if isinstance(per_value, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
        data = np.append(per_value._data, per_value._data.dtype.type(0))[codes]
        mask = np.append(per_value._mask, True)[codes]
        return type(per_value)(data, mask)
    return per_value.take(codes.astype(np.intp), allow_fill=True)


def categorical(codes: np.ndarray, distinct: pd.Series) -> tuple[pd.Categorical, np.ndarray]:
    """(Categorical of ``distinct[codes]``, new code of each distinct value).

    Categories are the sorted unique values plus "" (so that ``fillna("")`` stays a valid
    assignment); ``distinct`` may repeat values (after trimming), they merge.
    """
    arr = _arrow(distinct) if len(distinct) else pa.array([], pa.large_string())
    if pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    uniq = pc.unique(pa.concat_arrays([arr, pa.array([""], pa.large_string())]))
    uniq = uniq.take(pc.array_sort_indices(uniq))
    new = pc.index_in(arr, value_set=uniq).to_numpy(zero_copy_only=False).astype(np.int32)
    remap = np.append(new, np.int32(-1))
    small = np.int8 if len(uniq) < 127 else np.int16 if len(uniq) < 32767 else np.int32
    row_codes = remap.astype(small)[codes]
    return from_codes(row_codes, uniq), new


def from_codes(codes: np.ndarray, categories: pa.Array) -> pd.Categorical:
    """A Categorical from codes and unique ``categories``, trusted as unique: pandas' check of
    that builds a hash table of Python strings (a second and 150 MB for 1.4 M trip ids)."""
    cats = pd.Index(pd.Series(categories, dtype="str"))
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fastpath is None:
        return pd.Categorical.from_codes(codes, categories=cats, validate=False)
    return pd.Categorical.from_codes(codes, dtype=fastpath(cats, False), validate=False)


def strings(codes: np.ndarray, distinct: pd.Series, index: pd.Index) -> pd.Series:
    """A ``str`` column ``distinct[codes]`` (<NA> where the code is -1), gathered by Arrow."""
    arr = _arrow(distinct)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    idx = pa.array(codes, mask=codes < 0)
    return pd.Series(arr.take(idx), index=index, dtype="str", copy=False)


def all_na_categorical(index: pd.Index) -> pd.Series:
    """An all-<NA> Categorical column: one byte a row, categories [""] as any compact column."""
    cats = pd.Index(pd.Series([""], dtype="str"))
    codes = np.full(len(index), -1, dtype=np.int8)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=cats, validate=False), index=index, copy=False
    )
