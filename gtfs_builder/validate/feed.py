"""``Feed``: the loaded GTFS feed that every rule reads.

Usage in a rule (see docs/ARCHITECTURE.md)::

    @rule(files=["stops.txt"], notices={"my_code": (Severity.ERROR, "doc")})
    def check_something(feed: Feed, notices: Notices) -> None:
        if not feed.has("stops.txt"):
            return
        stops = feed.table("stops.txt")          # strings, <NA> when empty, + int "csv_row"
        lat = feed.typed("stops.txt", "stop_lat")  # Float64 aligned to stops
        bad = stops[lat.isna() & stops["stop_name"].notna()]
        notices.add_frame("my_code", pd.DataFrame({"filename": "stops.txt",
                                                   "csvRowNumber": bad["csv_row"]}))

- ``table()`` holds the rows the canonical loader keeps: rows with a wrong cell count or a
  field-level ERROR (invalid value, missing required field, ...) are dropped, exactly as the
  canonical validator drops them before its rules run. Values are trimmed.
- A column absent from the file is present in ``table()`` as all ``<NA>`` when the spec defines it
  (so rules need not test for it); ``feed.has_column(file, col)`` says whether the header had it.
- ``feed.dependency_failed(file)``: True when the canonical validator would skip a multi-file
  check reading ``file`` (present but with an unreadable header, an empty file or a dropped row;
  or a required file that is absent). Rules comparing tables should return early when it is True
  for any file they read; per-row checks run on ``table()`` regardless.
- Codes the core already emits (do not emit them again from a family): every CSV/file/field
  code (missing_required_field, invalid_*, number_out_of_range, unexpected_enum_value,
  leading_or_trailing_whitespaces, mixed_case_recommended_field, the generic
  missing_recommended_field for fields the spec marks recommended), duplicate_key,
  foreign_key_violation (every ``fk=`` of spec.py plus trips/timeframes.service_id and the
  fares v2 network ids), point_near_origin / point_near_pole, and start_and_end_range_* for
  stop_times.txt and timeframes.txt (calendar, feed_info, frequencies have their own).
- Tables load lazily, once; each load emits the file's CSV- and field-level notices into the
  run's ``Notices``. A loader crash becomes ``runtime_exception_in_loader_error``, never an
  exception in the rule that asked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray

from gtfs_builder import spec
from gtfs_builder.validate import csvio, fieldtypes
from gtfs_builder.validate.notices import Notices, Severity, declare

declare(
    "runtime_exception_in_loader_error",
    Severity.ERROR,
    "RuntimeException while loading GTFS dataset in memory.",
    "files.csv_loader",
)


# Files whose absence makes dependent multi-file checks skip (canonical @Required tables).
CANONICAL_REQUIRED = frozenset({"agency.txt", "routes.txt", "trips.txt", "stop_times.txt"})


class Feed:
    """A GTFS feed read from a zip or folder; tables are loaded on first use and cached."""

    def __init__(
        self,
        archive: csvio.Archive,
        notices: Notices,
        *,
        date: dt.date | None = None,
        country_code: str | None = None,
    ) -> None:
        self.archive = archive
        self.notices = notices
        self.date: dt.date = date or dt.date.today()
        self.country_code: str | None = country_code.upper() if country_code else None
        self._tables: dict[str, pd.DataFrame] = {}
        self._headers: dict[str, list[str]] = {}
        self._status: dict[str, csvio.LoadStatus] = {}
        self._typed: dict[tuple[str, str], pd.Series] = {}
        # compact files: the typed value of each category, spread to the rows on each call
        self._by_value: dict[tuple[str, str], ExtensionArray] = {}

    @classmethod
    def open(
        cls,
        path: str | Path,
        notices: Notices | None = None,
        *,
        date: dt.date | None = None,
        country_code: str | None = None,
    ) -> Feed:
        """Open a zip or folder (raises ``csvio.InputError`` when it cannot be read at all)."""
        notices = notices if notices is not None else Notices()
        return cls(csvio.open_archive(path, notices), notices, date=date, country_code=country_code)

    # ------------------------------------------------------------------ contract
    def has(self, filename: str) -> bool:
        """The file is in the archive (even if empty or header-only)."""
        return filename in self.archive.entries

    def files(self) -> list[str]:
        """The GTFS files present, in archive order."""
        return self.archive.names()

    def table(self, filename: str) -> pd.DataFrame:
        """Rows kept by the canonical loader: string columns (<NA> when empty) + ``csv_row``."""
        if filename not in self._tables:
            self._load(filename)
        return self._tables[filename]

    def typed(self, filename: str, field: str) -> pd.Series:
        """``field`` parsed by its spec type, aligned to ``table(filename)``; <NA> if invalid.

        For the compact files (Categorical columns, ``fieldtypes.COMPACT_FILES``) each distinct
        value is parsed once and the result is spread to the rows on every call, not cached: a
        rule should call it once and keep the Series while it needs it.
        """
        key = (filename, field)
        if key in self._typed:
            return self._typed[key]
        frame = self.table(filename)
        values = frame[field] if field in frame else _na(len(frame), frame.index)
        fspec = spec.field_spec(filename, field)
        ftype = fspec.type if fspec else "text"
        if fieldtypes.is_categorical(values):
            if ftype not in fieldtypes.PARSED_TYPES and ftype != "color":
                return values  # text: the column itself
            per_value = self._per_category(filename, field, values, ftype)
            spread = fieldtypes.expand_typed(per_value, values.cat.codes.to_numpy())
            return pd.Series(spread, index=frame.index, copy=False)
        self._typed[key] = fieldtypes.parse(values, ftype)
        return self._typed[key]

    def typed_codes(self, filename: str, field: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, typed value per code): ``typed(filename, field)`` is ``per_code[codes]``, <NA>
        where the code is -1, without building the n-row column.

        For the compact files the codes are the Categorical's own (int8 to int32, aligned to
        ``table()``) and ``per_code`` has one entry per category; for the other files the codes
        are the row positions and ``per_code`` is ``typed()`` itself.
        """
        frame = self.table(filename)
        values = frame.get(field)
        if values is None or not fieldtypes.is_categorical(values):
            typed = self.typed(filename, field)
            return np.arange(len(typed)), typed.reset_index(drop=True)
        fspec = spec.field_spec(filename, field)
        ftype = fspec.type if fspec else "text"
        codes = values.cat.codes.to_numpy()
        if ftype not in fieldtypes.PARSED_TYPES and ftype != "color":
            return codes, pd.Series(values.cat.categories, dtype="str").reset_index(drop=True)
        return codes, pd.Series(self._per_category(filename, field, values, ftype), copy=False)

    def _per_category(
        self, filename: str, field: str, values: pd.Series, ftype: str
    ) -> ExtensionArray:
        """The typed value of each category of a compact column (parsed at load, or now)."""
        key = (filename, field)
        per_value = self._by_value.get(key)
        if per_value is None:
            cats = pd.Series(values.cat.categories, dtype="str").reset_index(drop=True)
            per_value = fieldtypes.parse(cats, ftype).array
            self._by_value[key] = per_value
        return per_value

    def has_column(self, filename: str, column: str) -> bool:
        """The file's header had this column."""
        self.table(filename)
        return column in self._headers.get(filename, [])

    def header(self, filename: str) -> list[str]:
        """The file's header as written (trimmed), empty when absent or unreadable."""
        self.table(filename)
        return list(self._headers.get(filename, []))

    def status(self, filename: str) -> csvio.LoadStatus:
        self.table(filename)
        return self._status[filename]

    def loaded_ok(self, filename: str) -> bool:
        """Present, header fine and no row dropped: the canonical 'parsable' table status."""
        return self.status(filename) is csvio.LoadStatus.OK

    def dependency_failed(self, filename: str) -> bool:
        """The canonical validator would skip a multi-file check reading ``filename``.

        True when the file is present but failed (unreadable header, a dropped row, empty file),
        or absent and required. An absent optional file reads as an empty table and does not fail;
        a header-only file does not fail either.
        """
        if not self.has(filename):
            return filename in CANONICAL_REQUIRED
        return not self.loaded_ok(filename)

    # ------------------------------------------------------------------ loading
    def _load(self, filename: str) -> None:
        key = self._memo_key(filename)
        if key is not None and key in LOAD_MEMO:  # type: ignore[operator]
            frame, header, status, calls = LOAD_MEMO[key]  # type: ignore[index]
            for method, code, payload in calls:
                getattr(self.notices, method)(code, **payload)
            self._tables[filename] = frame.copy()
            self._headers[filename] = list(header)
            self._status[filename] = status
            return
        if key is None:
            self._load_uncached(filename)
            return
        target, recorder = self.notices, _Recorder(self.notices)
        self.notices = recorder  # type: ignore[assignment]
        try:
            self._load_uncached(filename)
        finally:
            self.notices = target
        LOAD_MEMO[key] = (  # type: ignore[index]
            self._tables[filename].copy(),
            list(self._headers[filename]),
            self._status[filename],
            recorder.calls,
        )

    def _memo_key(self, filename: str) -> tuple[str, str, str | None] | None:
        if LOAD_MEMO is None or filename not in self.archive.entries:
            return None
        try:
            if self.archive.size(filename) > MEMO_MAX_BYTES:
                return None
            data = self.archive.read_bytes(filename)
        except Exception:
            return None
        return (filename, hashlib.sha1(data).hexdigest(), self.country_code)

    def _load_uncached(self, filename: str) -> None:
        fspec = spec.FILES.get(filename)
        parsed: dict[str, pd.Series] = {}
        by_value: dict[str, ExtensionArray] = {}
        try:
            raw = csvio.read_table(self.archive, filename, self.notices, compact=True)
            frame, dropped = raw.frame, False
            raw.frame = None  # type: ignore[assignment]  # one reference: columns can be freed
            if fspec is not None and raw.status in (
                csvio.LoadStatus.OK,
                csvio.LoadStatus.UNPARSABLE_ROWS,
            ):
                from gtfs_builder.validate.rules import fields

                frame, dropped = fields.check_table(
                    self, filename, frame, raw.header, parsed=parsed, by_value=by_value
                )
            status = raw.status
            if dropped and status is csvio.LoadStatus.OK:
                status = csvio.LoadStatus.UNPARSABLE_ROWS
            header = raw.header
        except Exception as exc:  # a loader bug must not kill the run
            parsed.clear()
            by_value.clear()
            self.notices.add(
                "runtime_exception_in_loader_error",
                filename=filename,
                exception=type(exc).__name__,
                message=str(exc),
            )
            frame, header, status = csvio._empty([]), [], csvio.LoadStatus.INVALID_HEADERS
        if fspec is not None:
            missing = [c for c in fspec.fields if c not in frame.columns]
            if missing:
                # one all-<NA> column shared by every absent field (Arrow arrays are immutable
                # and pandas copies on write): 8 bytes a row once, not once per absent field
                if filename in fieldtypes.COMPACT_FILES:
                    na = fieldtypes.all_na_categorical(frame.index)
                else:
                    na = _na(len(frame), frame.index)
                for col in missing:
                    frame[col] = na
        frame = frame.reset_index(drop=True)
        for field, values in parsed.items():  # typed columns parsed by the syntax check
            self._typed[(filename, field)] = values.reset_index(drop=True)
        for field, per_value in by_value.items():
            self._by_value[(filename, field)] = per_value
        self._tables[filename] = frame
        self._headers[filename] = header
        self._status[filename] = status
        # hand the load's temporaries back, so they do not add to the peak of the rules
        csvio.release_memory()


# Opt-in memo of loaded tables keyed by the file's bytes, for callers that validate many
# variants of one small feed (the rule-case harness sets it to {}). None in normal runs: nothing
# is kept between runs then.
LOAD_MEMO: dict[tuple[str, str, str | None], tuple[Any, ...]] | None = None
MEMO_MAX_BYTES = 1 << 20


class _Recorder:
    """Passes notices through to the run's ``Notices`` and records them for replay."""

    def __init__(self, target: Notices) -> None:
        self.target = target
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, code: str, **fields: Any) -> None:
        self.calls.append(("add", code, dict(fields)))
        self.target.add(code, **fields)

    def add_frame(self, code: str, frame: pd.DataFrame) -> None:
        self.calls.append(("add_frame", code, {"frame": frame.copy()}))
        self.target.add_frame(code, frame)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


def _na(n: int, index: pd.Index) -> pd.Series:
    """An all-<NA> ``str`` column, built by Arrow (no per-row Python work)."""
    return pd.Series(pa.nulls(n, pa.large_string()), index=index, dtype="str", copy=False)
