"""Field-level notices: required values, value syntax by spec type, ranges, whitespace, case.

These run while a table loads (``Feed`` calls :func:`check_table`), because, as in the canonical
validator, a row with a field-level ERROR is dropped before any other rule sees it. The rule
:func:`check_fields` forces every present table to load, so every file is checked even when no
other rule reads it. Everything is vectorised per column; Python only touches unique values of
the few customer-facing text columns (mixed case) and of the code-list types.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from gtfs_builder import spec
from gtfs_builder.validate import csvio, fieldtypes
from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

E, W = Severity.ERROR, Severity.WARNING
NOTICES = {
    "missing_required_field": (E, "A required field is missing."),
    "missing_recommended_field": (W, "A recommended field is missing."),
    "invalid_character": (E, "A field contains invalid characters (U+FFFD, bad encoding)."),
    "new_line_in_value": (E, "New line or carriage return in a value in CSV file."),
    "leading_or_trailing_whitespaces": (W, "The value has leading or trailing whitespaces."),
    "non_ascii_or_non_printable_char": (W, "Non ascii or non printable char in ID field."),
    "mixed_case_recommended_field": (W, "Customer-facing text should use Mixed Case."),
    "invalid_url": (E, "A field contains a malformed URL."),
    "invalid_email": (E, "A field contains a malformed email address."),
    "invalid_phone_number": (E, "A field contains a malformed phone number."),
    "invalid_color": (E, "A field contains an invalid color value."),
    "invalid_currency": (E, "A field contains a wrong currency code."),
    "invalid_currency_amount": (E, "A currency amount does not match its currency's decimals."),
    "invalid_date": (E, "A field cannot be parsed as date."),
    "invalid_time": (E, "A field cannot be parsed as time."),
    "invalid_timezone": (E, "A field cannot be parsed as a timezone."),
    "invalid_language_code": (E, "A field contains a wrong language code."),
    "invalid_integer": (E, "A field cannot be parsed as an integer."),
    "invalid_float": (E, "A field cannot be parsed as a floating point number."),
    "number_out_of_range": (E, "Out of range value."),
    "unexpected_enum_value": (W, "An enum has an unexpected value."),
    "start_and_end_range_equal": (E, "Two date or time fields are equal."),
    "start_and_end_range_out_of_order": (E, "Two date or time fields are out of order."),
}

# Java String.trim(): every char <= U+0020.
_TRIM = "".join(chr(c) for c in range(0x21))

URL_RE = (
    r"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp])://"
    r"(?:[A-Za-z0-9!$%&'()*+,;=._~-]+(?::[A-Za-z0-9!$%&'()*+,;=._~-]*)?@)?"
    r"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]\.?"
    r"|localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\])"
    r"(?::\d{1,5})?(?:/[-\w:@&?=+,.!/~*'%$;()]*)?(?:\?\S*)?(?:#.*)?$"
)
URL_DOUBLE_SLASH_IN_PATH = r"^[A-Za-z][A-Za-z0-9+.-]*://[^?#]*?//"
EMAIL_RE = (
    r"^[^\s()<>@,;:\\\"\[\]]+(?:\.[^\s()<>@,;:\\\"\[\].]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"
)
LANG_RE = (
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$"
    r"|^[Xx](?:-[A-Za-z0-9]{1,8})+$"
)
OFFSET_RE = r"^(?:Z|(?:UTC|GMT|UT)?[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|UTC|GMT|UT)$"


def _words(text: str) -> list[str]:
    return text.split()


# ISO 4217 codes Java's Currency knows, with minor units when not 2.
CURRENCIES = frozenset(
    _words(
        """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
        BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
        DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS
        INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
        MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR
        PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
        SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
        UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA
        XXX YER ZAR ZMW ZWL ZWG ADP AFA ATS AYM AZM BEF BGL BYB BYR CSD CYP DEM EEK ESP FIM FRF
        GHC GRD GWP IEP ITL LTL LUF LVL MGF MRO MTL MZM NLG PTE ROL RUR SIT SKK SRG STD TMM TPE
        TRL VEB VEF XFO XFU YUM ZMK ZWD ZWN ZWR
        """
    )
)
CURRENCY_DIGITS = {
    **dict.fromkeys(
        _words(
            """
            ADP BEF BIF BYB BYR CLP DJF ESP GNF GRD ISK ITL JPY KMF KRW LUF MGF PTE PYG ROL
            RWF TPE TRL UGX UYI VND VUV XAF XOF XPF
            """
        ),
        0,
    ),
    **dict.fromkeys(_words("BHD IQD JOD KWD LYD OMR TND"), 3),
    "CLF": 4,
    "UYW": 4,
}
_NO_DIGITS = frozenset(
    _words(
        """
        XAG XAU XBA XBB XBC XBD XDR XFO XFU XPD XPT XSU XTS XUA XXX
        """
    )
)
RANGE_OWNED_ELSEWHERE = frozenset({"calendar.txt", "feed_info.txt", "frequencies.txt"})
BOUND_LABEL = {"non_negative": "non-negative", "positive": "positive", "non_zero": "non-zero"}


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _valid_timezone(values: pd.Series) -> pd.Series:
    zones = _timezones()
    uniq = pd.Series(values.unique())
    ok = {v: (v in zones or bool(re.match(OFFSET_RE, v))) for v in uniq}
    return values.map(ok).astype(bool)


def _valid_phone(values: pd.Series, country: str | None) -> pd.Series:
    """libphonenumber's isPossibleNumber, approximated; an unknown country skips the check."""
    if not country or country == "ZZ":
        return pd.Series(True, index=values.index)
    cleaned = values.str.replace(r"(?i)\s*(?:ext\.?|x|#)\s*\d+$", "", regex=True)
    shape = cleaned.str.match(r"^\+?[\d\s().\-/]+$").fillna(False).astype(bool)
    digits = cleaned.str.count(r"\d")
    intl = cleaned.str.startswith("+")
    good_len = (intl & digits.between(7, 15)) | (~intl & digits.between(3, 17))
    return shape & good_len.fillna(False).astype(bool)


def _is_mixed_case(value: str) -> bool:
    """The canonical MixedCase test: several all-upper or all-lower words are flagged."""
    tokens = re.split(r"[\W\d_]+", value)
    if not re.search(r"[\W\d_]", value):
        tokens = [value]
    while tokens and tokens[-1] == "":
        tokens.pop()
    if not tokens:
        return True
    if len(tokens) == 1:
        t = tokens[0]
        return not (len(t) > 1 and not re.search(r"\d", t) and t.islower())
    considered = [t for t in tokens if len(t) != 1 and not re.search(r"\d", t)]
    if len(considered) < 2:
        return True
    return any(any(c.isupper() for c in t) and any(c.islower() for c in t) for t in considered)


def _cells(
    filename: str,
    frame: pd.DataFrame,
    mask: pd.Series,
    field: str,
    values: pd.Series | None = None,
    key: str = "fieldName",
) -> pd.DataFrame:
    out = pd.DataFrame(
        {"filename": filename, "csvRowNumber": frame["csv_row"][mask].to_numpy(), key: field}
    )
    if values is not None:
        out["fieldValue"] = values.loc[mask].to_numpy(dtype=object)
    return out


def _syntax_mask(f: spec.FieldSpec, values: pd.Series, country: str | None) -> pd.Series | None:
    """True where a non-empty value is syntactically valid for its type (None: no check)."""
    t = f.type
    if t in ("integer", "enum"):
        return fieldtypes.valid_integer(values)
    if t in ("float", "latitude", "longitude", "currency_amount"):
        return fieldtypes.valid_float(values)
    if t == "date":
        return fieldtypes.valid_date(values)
    if t == "time":
        return fieldtypes.valid_time(values)
    if t == "color":
        return fieldtypes.valid_color(values)
    if t == "url":
        ok = values.str.match(URL_RE).fillna(False).astype(bool)
        # Apache UrlValidator (canonical) refuses "//" inside the path, not in query or fragment
        return ok & ~values.str.contains(URL_DOUBLE_SLASH_IN_PATH).fillna(False).astype(bool)
    if t == "email":
        return values.str.match(EMAIL_RE).fillna(False).astype(bool)
    if t == "phone":
        return _valid_phone(values, country)
    if t == "timezone":
        return _valid_timezone(values)
    if t == "language_code":
        return values.str.match(LANG_RE).fillna(False).astype(bool)
    if t == "currency_code":
        return values.isin(CURRENCIES)
    return None


INVALID_CODE = {
    "integer": "invalid_integer",
    "enum": "invalid_integer",
    "float": "invalid_float",
    "latitude": "invalid_float",
    "longitude": "invalid_float",
    "currency_amount": "invalid_float",
    "date": "invalid_date",
    "time": "invalid_time",
    "color": "invalid_color",
    "url": "invalid_url",
    "email": "invalid_email",
    "phone": "invalid_phone_number",
    "timezone": "invalid_timezone",
    "language_code": "invalid_language_code",
    "currency_code": "invalid_currency",
}


COMPACT_FILES = fieldtypes.COMPACT_FILES


class _Column:
    """One column seen as (codes per row, distinct values): notices name rows, checks run once
    per distinct value."""

    def __init__(self, filename: str, name: str, rows: np.ndarray, values: pd.Series) -> None:
        self.filename, self.name, self.rows = filename, name, rows
        self.codes, self.raw = fieldtypes.encode(values)
        self.clean = self.raw  # the values after trimming

    def cells(
        self,
        flags: np.ndarray,
        values: pd.Series | None = None,
        key: str = "fieldName",
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """(notice cells of the rows whose value is flagged, their row mask)."""
        m = fieldtypes.expand(flags, self.codes)
        out = pd.DataFrame(
            {"filename": self.filename, "csvRowNumber": self.rows[m], key: self.name}
        )
        if values is not None:
            out["fieldValue"] = values.take(self.codes[m]).to_numpy(dtype=object, na_value=None)
        return out, m


def check_table(
    feed: Feed,
    filename: str,
    frame: pd.DataFrame,
    header: list[str],
    parsed: dict[str, pd.Series] | None = None,
    by_value: dict[str, ExtensionArray] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Report field-level notices of one table; return (kept rows, whether any was dropped).

    Rows with a field-level ERROR are dropped, as in the canonical loader. Values get trimmed
    and "" becomes <NA>. Every check runs once per distinct value of a column, and the verdicts
    reach the rows through integer codes. Typed columns parsed by the syntax check are handed
    back: ``parsed`` gets them aligned to the kept rows; for ``COMPACT_FILES`` the columns come
    back as Categoricals and ``by_value`` gets the typed value of each category instead.
    """
    notices = feed.notices
    fspec = spec.FILES[filename]
    n = len(frame)
    if n == 0:
        return frame, False
    compact = filename in COMPACT_FILES
    rows = frame["csv_row"].to_numpy()
    bad = np.zeros(n, dtype=bool)
    typed_cols: dict[str, pd.Series] = {}
    later: list[tuple[str, pd.DataFrame, np.ndarray]] = []  # emitted for clean rows only
    ends: dict[str, tuple[np.ndarray, pd.Series]] = {}  # (codes, typed per value) for ranges
    range_fields = {x for f in fspec.fields.values() if f.end for x in (f.name, f.end)}
    for name, f in fspec.fields.items():
        if name not in frame.columns:
            # a recommended column absent from the header: one notice per row, as for a value
            if f.presence == "recommended":
                notices.add_frame(
                    "missing_recommended_field",
                    pd.DataFrame({"filename": filename, "csvRowNumber": rows, "fieldName": name}),
                )
            continue
        col = _Column(filename, name, rows, frame[name])
        was_categorical = fieldtypes.is_categorical(frame[name])
        empty = col.codes < 0
        if (f.required or f.presence == "recommended") and empty.any():
            cells = pd.DataFrame(
                {"filename": filename, "csvRowNumber": rows[empty], "fieldName": name}
            )
            if f.required:
                notices.add_frame("missing_required_field", cells)
                bad |= empty
            else:
                notices.add_frame("missing_recommended_field", cells)
            del cells
        if empty.all():
            frame[name] = _all_na(frame.index, compact)
            continue
        bad_v, typed = _check_values(feed, col, f, later)
        if bad_v.any():
            bad |= fieldtypes.expand(bad_v, col.codes)
        if typed is not None and name in range_fields:
            ends[name] = (col.codes, typed)
        changed = col.clean is not col.raw
        if compact:
            if was_categorical and not changed and fieldtypes.sorted_with_blank(col.raw):
                # as the streaming reader left it: no pass over the rows
                dtype = frame[name].dtype
                cat = pd.Categorical.from_codes(col.codes, dtype=dtype, validate=False)
                new = np.arange(len(col.raw))
            else:
                cat, new = fieldtypes.categorical(col.codes, col.clean)
            frame[name] = pd.Series(cat, index=frame.index, copy=False)
            if typed is not None and by_value is not None:
                at = np.full(len(cat.categories), -1, dtype=np.intp)
                at[new] = np.arange(len(new))
                by_value[name] = typed.array.take(at, allow_fill=True)
        else:
            if changed or empty.any() or was_categorical:
                frame[name] = fieldtypes.strings(col.codes, col.clean, frame.index)
            if typed is not None:
                typed_cols[name] = pd.Series(
                    fieldtypes.expand_typed(typed.array, col.codes), index=frame.index, copy=False
                )
    if not compact:  # columns the spec does not know: raw text, "" when empty, as read
        for name in frame.columns:
            if name not in fspec.fields and fieldtypes.is_categorical(frame[name]):
                frame[name] = frame[name].astype("str").fillna("")
    csvio.release_memory()
    for code, cells, mask in later:
        keep = ~bad[mask] if len(cells) else np.zeros(0, dtype=bool)
        notices.add_frame(code, cells[keep].reset_index(drop=True))
    _end_ranges(filename, frame, fspec, bad, notices, ends)
    if bad.any():
        keep = ~bad
        if parsed is not None:
            parsed.update({k: v[keep] for k, v in typed_cols.items()})
        return frame.loc[keep], True
    if parsed is not None:
        parsed.update(typed_cols)
    return frame, False


def _all_na(index: pd.Index, compact: bool) -> pd.Series:
    if not compact:
        return fieldtypes.all_na(index)
    return fieldtypes.all_na_categorical(index)


def _check_values(
    feed: Feed,
    col: _Column,
    f: spec.FieldSpec,
    later: list[tuple[str, pd.DataFrame, np.ndarray]],
) -> tuple[np.ndarray, pd.Series | None]:
    """Value-level checks of one column, on its distinct values.

    Returns (ERROR flag per distinct value, typed value per distinct value for the parsed
    types); sets ``col.clean`` (the trimmed values).
    """
    notices = feed.notices
    vals = col.raw
    k = len(vals)
    bad_v = np.zeros(k, dtype=bool)
    used = np.zeros(k + 1, dtype=bool)  # values no row holds draw no notice
    used[col.codes] = True  # code -1 marks the spare last slot
    used = used[:k]
    # Two cheap Arrow passes find the values with a char outside U+0021..U+007E: only those
    # can hold U+FFFD, a newline, edge whitespace or a non-printable id char.
    susp = fieldtypes.not_plain_ascii(vals).to_numpy(dtype=bool) & used
    if susp.any():
        at = np.flatnonzero(susp)
        sub = vals.iloc[at]

        def flags(hit: pd.Series) -> np.ndarray:
            out = np.zeros(k, dtype=bool)
            out[at] = hit.to_numpy(dtype=bool, na_value=False)
            return out

        bad_char = flags(sub.str.contains("\ufffd", regex=False))
        if bad_char.any():
            notices.add_frame("invalid_character", col.cells(bad_char, vals)[0])
            bad_v |= bad_char
        newline = flags(sub.str.contains(r"[\r\n]", regex=True))
        if newline.any():
            notices.add_frame("new_line_in_value", col.cells(newline, vals)[0])
            bad_v |= newline
        trimmed = sub.str.strip(_TRIM)
        spaced = flags(trimmed.str.len() < sub.str.len())
        if spaced.any():
            notices.add_frame("leading_or_trailing_whitespaces", col.cells(spaced, vals)[0])
            clean = vals.to_numpy(dtype=object)
            clean[at] = trimmed.to_numpy(dtype=object)
            col.clean = pd.Series(clean, dtype="str")
        if f.type == "id":
            odd = flags(trimmed.str.contains(r"[^\x20-\x7e]", regex=True))
            if odd.any():
                notices.add_frame(
                    "non_ascii_or_non_printable_char",
                    col.cells(odd, col.clean, key="columnName")[0],
                )
    clean = col.clean
    typed = None
    if f.type in fieldtypes.PARSED_TYPES:
        typed, ok = fieldtypes.parse_checked(clean, f.type)
    else:
        ok = _syntax_mask(f, clean, feed.country_code)
    if ok is not None:
        invalid = ~ok.to_numpy(dtype=bool) & used
        if invalid.any():
            notices.add_frame(INVALID_CODE[f.type], col.cells(invalid, clean)[0])
            bad_v |= invalid
    if f.type == "enum" and f.enum:
        ints = typed if typed is not None else fieldtypes.parse_integer(clean)
        unexpected = (ints.notna() & ~ints.isin(list(f.enum))).to_numpy(dtype=bool) & used
        if unexpected.any():
            cells, m = col.cells(unexpected)
            cells["fieldValue"] = ints.take(col.codes[m]).astype(object).to_numpy()
            notices.add_frame("unexpected_enum_value", cells)
    if f.mixed_case:
        low = np.array([not _is_mixed_case(v) for v in clean.tolist()], dtype=bool) & used
        if low.any():
            cells, m = col.cells(low, clean)
            later.append(("mixed_case_recommended_field", cells, m))
    later += _range_notices(col, f, typed, used)
    return bad_v, typed


def _range_notices(
    col: _Column, f: spec.FieldSpec, typed: pd.Series | None, used: np.ndarray
) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """number_out_of_range for one column, judged per distinct value."""
    vals = col.clean
    if f.type in ("latitude", "longitude"):
        num = typed if typed is not None else fieldtypes.parse_float(vals)
        limit = 90 if f.type == "latitude" else 180
        out = num.notna() & ((num < -limit) | (num > limit))
        label = f"{f.type} within [-{limit}, {limit}]"
    elif f.bounds and f.type in ("integer", "float", "currency_amount"):
        if typed is not None:
            num = typed
        else:
            parser = fieldtypes.parse_integer if f.type == "integer" else fieldtypes.parse_float
            num = parser(vals)
        if f.bounds == "non_negative":
            out = num < 0
        elif f.bounds == "positive":
            out = num <= 0
        else:
            out = num == 0
        kind = "integer" if f.type == "integer" else "float"
        if col.filename == "fare_attributes.txt" or f.type == "currency_amount":
            kind = "decimal"
        label = f"{BOUND_LABEL[f.bounds]} {kind}"
    else:
        return []
    flags = out.fillna(False).to_numpy(dtype=bool) & used
    if not flags.any():
        return []
    cells, m = col.cells(flags)
    cells["fieldType"] = label
    value = num.take(col.codes[m])
    cells["fieldValue"] = (
        value.astype(object).to_numpy()
        if f.type == "integer"
        else value.astype("float64").to_numpy()
    )
    return [("number_out_of_range", cells, m)]


def _end_ranges(
    filename: str,
    frame: pd.DataFrame,
    fspec: spec.FileSpec,
    bad: np.ndarray,
    notices: Notices,
    ends: dict[str, tuple[np.ndarray, pd.Series]],
) -> None:
    """start_and_end_range_*: a start field after (or equal to, when strict) its end field.

    calendar.txt, feed_info.txt and frequencies.txt have their own range rules (rules B family);
    this generic check covers the others (stop_times.txt, timeframes.txt). Compared per row on
    float copies of the per-value typed values (no Int64 column of the whole table); values
    that are not numbers (dates as YYYYMMDD ints are, times in seconds are) never reach here.
    """
    if filename in RANGE_OWNED_ELSEWHERE:
        return
    for f in fspec.fields.values():
        if not f.end or f.name not in frame or f.end not in frame:
            continue
        if f.name not in ends or f.end not in ends:
            continue  # a column all empty: nothing to compare
        (scodes, styped), (ecodes, etyped) = ends[f.name], ends[f.end]
        svals = styped.to_numpy(dtype="float64", na_value=np.nan)
        evals = etyped.to_numpy(dtype="float64", na_value=np.nan)
        # float32 holds every integer below 2**24 exactly (times go up to 3.6 M seconds)
        exact = max(np.nanmax(np.abs(v), initial=0) for v in (svals, evals)) < 2**24
        width = np.float32 if exact else np.float64
        start = np.append(svals, np.nan).astype(width)[scodes]
        end = np.append(evals, np.nan).astype(width)[ecodes]
        ok = ~bad
        order = (start > end) & ok
        equal = (start == end) & ok if f.end_strict else np.zeros(len(ok), dtype=bool)
        del start, end
        key = fspec.primary_key[0] if len(fspec.primary_key) == 1 else None
        for code, mask in (
            ("start_and_end_range_out_of_order", order),
            ("start_and_end_range_equal", equal),
        ):
            if not mask.any():
                continue
            sel = frame.loc[mask]
            cells = pd.DataFrame({"filename": filename, "csvRowNumber": sel["csv_row"].to_numpy()})
            if key:
                cells["entityId"] = sel[key].to_numpy(dtype=object)
            cells["startFieldName"] = f.name
            cells["startValue"] = sel[f.name].to_numpy(dtype=object)
            cells["endFieldName"] = f.end
            cells["endValue"] = sel[f.end].to_numpy(dtype=object)
            notices.add_frame(code, cells)


@rule(files=list(spec.FILES), notices=NOTICES)
def check_fields(feed: Feed, notices: Notices) -> None:
    """Load every present table, so that its field-level notices are reported."""
    for name in feed.files():
        if name in spec.FILES:
            feed.table(name)


def currency_amount_notices(feed: Feed, notices: Notices) -> None:
    """invalid_currency_amount: an amount's decimals must match its currency's minor units."""
    for filename, fspec in spec.FILES.items():
        for f in fspec.fields.values():
            if f.type != "currency_amount" or not f.currency_field or not feed.has(filename):
                continue
            t = feed.table(filename)
            amount, cur = t[f.name], t[f.currency_field]
            ok = amount.notna() & cur.notna() & ~cur.isin(_NO_DIGITS) & cur.isin(CURRENCIES)
            if not ok.any():
                continue
            digits = cur[ok].map(lambda c: CURRENCY_DIGITS.get(c, 2))
            frac = amount[ok].str.extract(r"\.(\d*)$")[0].fillna("").str.len()
            wrong = frac != digits
            if wrong.any():
                sel = t.loc[ok].loc[wrong.to_numpy()]
                notices.add_frame(
                    "invalid_currency_amount",
                    pd.DataFrame(
                        {
                            "filename": filename,
                            "csvRowNumber": sel["csv_row"].to_numpy(),
                            "currencyCode": sel[f.currency_field].to_numpy(dtype=object),
                            "fieldName": f.name,
                            "fieldValue": sel[f.name].to_numpy(dtype=object),
                        }
                    ),
                )


@rule(
    files=["fare_products.txt"],
    notices={"invalid_currency_amount": NOTICES["invalid_currency_amount"]},
)
def check_currency_amounts(feed: Feed, notices: Notices) -> None:
    """Currency amounts carry exactly the minor-unit digits of their currency."""
    currency_amount_notices(feed, notices)


@rule(
    files=["agency.txt", "routes.txt", "fare_attributes.txt", "fare_media.txt"],
    notices={"missing_recommended_field": NOTICES["missing_recommended_field"]},
)
def check_recommended_fields(feed: Feed, notices: Notices) -> None:
    """The rule-level emitters of missing_recommended_field (check_table has the schema ones).

    - a lone agency should still declare agency_id, and so should the rows of fare_attributes
      and routes (with several agencies the agency family reports missing_required_agency_id;
      with none the canonical validator says nothing);
    - a transit card or app fare medium (fare_media_type 2 or 4) should have a name.
    """
    if feed.has("fare_media.txt"):
        media = feed.table("fare_media.txt")
        kind = feed.typed("fare_media.txt", "fare_media_type")
        unnamed = kind.isin([2, 4]).fillna(False).astype(bool) & media["fare_media_name"].isna()
        if unnamed.any():
            notices.add_frame(
                "missing_recommended_field",
                _cells("fare_media.txt", media, unnamed, "fare_media_name"),
            )
    if feed.dependency_failed("agency.txt"):
        return
    agency = feed.table("agency.txt")
    if len(agency) != 1:
        return
    if agency["agency_id"].isna().all():
        notices.add_frame(
            "missing_recommended_field",
            _cells("agency.txt", agency, agency["agency_id"].isna(), "agency_id"),
        )
    for filename in ("fare_attributes.txt", "routes.txt"):  # the canonical report's order
        if not feed.has(filename) or feed.dependency_failed(filename):
            continue
        table = feed.table(filename)
        missing = table["agency_id"].isna()
        if missing.any():
            notices.add_frame(
                "missing_recommended_field", _cells(filename, table, missing, "agency_id")
            )


@rule(
    files=["stops.txt", "shapes.txt"],
    notices={
        "point_near_origin": (E, "A point is too close to origin `(0, 0)`."),
        "point_near_pole": (E, "A point is too close to the North or South Pole."),
    },
)
def check_coordinates(feed: Feed, notices: Notices) -> None:
    """Coordinates within 1 degree of (0, 0) or 1 degree of a pole are almost surely wrong."""
    for filename, lat_f, lon_f, key in (
        ("stops.txt", "stop_lat", "stop_lon", "stop_id"),
        ("shapes.txt", "shape_pt_lat", "shape_pt_lon", None),
    ):
        if not feed.has(filename):
            continue
        table = feed.table(filename)
        # judged per distinct value (shapes: 12 M points at national scale), spread by codes
        lat_codes, lat_v = feed.typed_codes(filename, lat_f)
        lon_codes, lon_v = feed.typed_codes(filename, lon_f)
        lat = np.abs(lat_v.to_numpy(dtype="float64", na_value=np.nan))
        lon = np.abs(lon_v.to_numpy(dtype="float64", na_value=np.nan))
        lon_set = fieldtypes.expand(~np.isnan(lon), lon_codes)
        for code, mask in (  # NaN compares False: <NA> never matches
            ("point_near_origin", fieldtypes.expand(lat <= 1.0, lat_codes)),
            ("point_near_pole", fieldtypes.expand(lat >= 89.0, lat_codes)),
        ):
            if not mask.any():
                continue
            mask &= lon_set
            if code == "point_near_origin":
                mask &= fieldtypes.expand(lon <= 1.0, lon_codes)
            if not mask.any():
                continue
            sel = table.loc[mask]
            out = pd.DataFrame({"filename": filename, "csvRowNumber": sel["csv_row"].to_numpy()})
            if key:
                out["entityId"] = sel[key].to_numpy(dtype=object)
            out["latFieldName"] = lat_f
            out["latFieldValue"] = lat_v.to_numpy("float64", na_value=np.nan)[lat_codes[mask]]
            out["lonFieldName"] = lon_f
            out["lonFieldValue"] = lon_v.to_numpy("float64", na_value=np.nan)[lon_codes[mask]]
            notices.add_frame(code, out)
