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

from gtfs_builder import spec
from gtfs_builder.validate import fieldtypes
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
    sel = frame.loc[mask]
    out = pd.DataFrame(
        {"filename": filename, "csvRowNumber": sel["csv_row"].to_numpy(), key: field}
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


def check_table(
    feed: Feed,
    filename: str,
    frame: pd.DataFrame,
    header: list[str],
    parsed: dict[str, pd.Series] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Check every declared column; return the kept rows (trimmed, <NA> when empty) and
    whether any row was dropped for a field-level ERROR.

    ``parsed`` (when given) receives the typed column of every numeric, date and time field,
    aligned to the kept rows: the syntax check parses them anyway, and ``Feed.typed`` reuses
    them instead of parsing the strings again.
    """
    notices = feed.notices
    fspec = spec.FILES[filename]
    n = len(frame)
    if n == 0:
        return frame, False
    bad = np.zeros(n, dtype=bool)
    typed_cols: dict[str, pd.Series] = {}
    later: list[tuple[str, pd.DataFrame, np.ndarray]] = []  # emitted for clean rows only
    for name, f in fspec.fields.items():
        if name not in frame.columns:
            # a recommended column absent from the header: one notice per row, as for a value
            if f.presence == "recommended":
                everywhere = pd.Series(True, index=frame.index)
                notices.add_frame(
                    "missing_recommended_field", _cells(filename, frame, everywhere, name)
                )
            continue
        raw = frame[name]
        empty = (raw.isna() | (raw == "")).to_numpy()
        if empty.any():
            m = pd.Series(empty, index=frame.index)
            if f.required:
                notices.add_frame("missing_required_field", _cells(filename, frame, m, name))
                bad |= empty
            elif f.presence == "recommended":
                notices.add_frame("missing_recommended_field", _cells(filename, frame, m, name))
        if empty.all():
            frame[name] = fieldtypes.all_na(frame.index)
            continue
        filled = pd.Series(~empty, index=frame.index)
        vals = raw[filled] if empty.any() else raw  # no copy of a full column
        # Two cheap Arrow passes find the values with a char outside U+0021..U+007E: only those
        # can hold U+FFFD, a newline, edge whitespace or a non-printable id char.
        susp = fieldtypes.not_plain_ascii(vals)
        if susp.any():
            sub = vals if susp.all() else vals[susp]
            bad_char = sub.str.contains("\ufffd", regex=False)
            if bad_char.any():
                m = bad_char.reindex(frame.index, fill_value=False)
                notices.add_frame("invalid_character", _cells(filename, frame, m, name, raw))
                bad |= m.to_numpy()
            newline = sub.str.contains(r"[\r\n]", regex=True)
            if newline.any():
                m = newline.reindex(frame.index, fill_value=False)
                notices.add_frame("new_line_in_value", _cells(filename, frame, m, name, raw))
                bad |= m.to_numpy()
            trimmed = sub.str.strip(_TRIM)
            spaced = trimmed.str.len() < sub.str.len()
            if spaced.any():
                m = spaced.reindex(frame.index, fill_value=False)
                notices.add_frame(
                    "leading_or_trailing_whitespaces", _cells(filename, frame, m, name, raw)
                )
                if sub is vals:
                    vals = trimmed
                else:
                    vals = vals.copy()
                    vals.loc[trimmed.index[spaced.to_numpy(dtype=bool)]] = trimmed[spaced]
            if f.type == "id":
                odd = trimmed.str.contains(r"[^\x20-\x7e]", regex=True)
                if odd.any():
                    m = odd.reindex(frame.index, fill_value=False)
                    full = raw.copy()
                    full[filled] = vals
                    notices.add_frame(
                        "non_ascii_or_non_printable_char",
                        _cells(filename, frame, m, name, full, key="columnName"),
                    )
        else:
            spaced = pd.Series(False, index=vals.index[:0])
        typed = None
        if f.type in fieldtypes.PARSED_TYPES:
            typed, ok = fieldtypes.parse_checked(vals, f.type)
            typed_cols[name] = typed if not empty.any() else typed.reindex(frame.index)
        else:
            ok = _syntax_mask(f, vals, feed.country_code)
        if ok is not None and not ok.all():
            m = (~ok).reindex(frame.index, fill_value=False)
            full = raw.copy()
            full[filled] = vals
            notices.add_frame(INVALID_CODE[f.type], _cells(filename, frame, m, name, full))
            bad |= m.to_numpy()
        if f.type == "enum" and f.enum:
            ints = typed if typed is not None else fieldtypes.parse_integer(vals)
            unexpected = ints.notna() & ~ints.isin(list(f.enum))
            if unexpected.any():
                m = unexpected.reindex(frame.index, fill_value=False).astype(bool)
                cells = _cells(filename, frame, m, name)
                cells["fieldValue"] = ints[unexpected].astype(object).to_numpy()
                notices.add_frame("unexpected_enum_value", cells)
        if f.mixed_case:
            uniq = vals.unique()
            flags = {v: not _is_mixed_case(v) for v in uniq}
            low = vals.map(flags).astype(bool)
            if low.any():
                m = low.reindex(frame.index, fill_value=False)
                full = raw.copy()
                full[filled] = vals
                later.append(
                    (
                        "mixed_case_recommended_field",
                        _cells(filename, frame, m, name, full),
                        m.to_numpy(),
                    )
                )
        later += _range_notices(filename, frame, f, vals, typed)
        if spaced.any() or empty.any():
            new = raw.copy()
            new[filled] = vals
            frame[name] = new.where(~pd.Series(empty, index=frame.index))
    for code, cells, mask in later:
        keep = ~bad[mask] if len(cells) else np.zeros(0, dtype=bool)
        notices.add_frame(code, cells[keep].reset_index(drop=True))
    _end_ranges(filename, frame, fspec, bad, notices, typed_cols)
    if bad.any():
        keep = ~bad
        if parsed is not None:
            parsed.update({k: v[keep] for k, v in typed_cols.items()})
        return frame.loc[keep], True
    if parsed is not None:
        parsed.update(typed_cols)
    return frame, False


def _range_notices(
    filename: str,
    frame: pd.DataFrame,
    f: spec.FieldSpec,
    vals: pd.Series,
    typed: pd.Series | None = None,
) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """number_out_of_range for one column; ``typed`` is ``vals`` already parsed, if at hand."""
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
        out = out.fillna(False).astype(bool)
        kind = "integer" if f.type == "integer" else "float"
        if filename == "fare_attributes.txt" or f.type == "currency_amount":
            kind = "decimal"
        label = f"{BOUND_LABEL[f.bounds]} {kind}"
    else:
        return []
    if not out.any():
        return []
    m = out.reindex(frame.index, fill_value=False).astype(bool)
    cells = _cells(filename, frame, m, f.name)
    cells["fieldType"] = label
    value = num[out]
    cells["fieldValue"] = (
        value.astype(object).to_numpy()
        if f.type == "integer"
        else value.astype("float64").to_numpy()
    )
    return [("number_out_of_range", cells, m.to_numpy())]


def _end_ranges(
    filename: str,
    frame: pd.DataFrame,
    fspec: spec.FileSpec,
    bad: np.ndarray,
    notices: Notices,
    typed_cols: dict[str, pd.Series] | None = None,
) -> None:
    """start_and_end_range_*: a start field after (or equal to, when strict) its end field.

    calendar.txt, feed_info.txt and frequencies.txt have their own range rules (rules B family);
    this generic check covers the others (stop_times.txt, timeframes.txt).
    """
    if filename in RANGE_OWNED_ELSEWHERE:
        return
    for f in fspec.fields.values():
        if not f.end or f.name not in frame or f.end not in frame:
            continue
        cache = typed_cols or {}
        start = cache.get(f.name)
        if start is None:
            start = fieldtypes.parse(frame[f.name], f.type)
        end = cache.get(f.end)
        if end is None:
            end = fieldtypes.parse(frame[f.end], fspec.fields[f.end].type)
        both = (start.notna() & end.notna()).to_numpy() & ~bad
        order = both & (start > end).fillna(False).to_numpy(dtype=bool)
        equal = both & (start == end).fillna(False).to_numpy(dtype=bool) & f.end_strict
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
        lat = feed.typed(filename, lat_f).astype("float64")
        lon = feed.typed(filename, lon_f).astype("float64")
        both = lat.notna() & lon.notna()
        for code, mask in (
            ("point_near_origin", both & (lat.abs() <= 1.0) & (lon.abs() <= 1.0)),
            ("point_near_pole", both & (lat.abs() >= 89.0)),
        ):
            if not mask.any():
                continue
            sel = table.loc[mask]
            out = pd.DataFrame({"filename": filename, "csvRowNumber": sel["csv_row"].to_numpy()})
            if key:
                out["entityId"] = sel[key].to_numpy(dtype=object)
            out["latFieldName"] = lat_f
            out["latFieldValue"] = lat[mask].to_numpy()
            out["lonFieldName"] = lon_f
            out["lonFieldValue"] = lon[mask].to_numpy()
            notices.add_frame(code, out)
