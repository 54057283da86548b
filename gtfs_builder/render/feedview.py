"""The feed as the pages need it: names in every language, service days, each stop's zone.

Tables are read with :mod:`gtfs_builder.feedio` (the validator's CSV reader), so any feed the
validator can read renders, whatever its bytes (BOM, CRLF, quoted newlines...). Unlike the
validator's ``Feed`` it keeps rows with a bad field (a malformed route_url must not hide a route
from its timetable): every cell stays a string, parsed here only where a page needs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from gtfs_builder.feedio import FeedFiles, FeedReadError
from gtfs_builder.plan.timetable import parse_times, to_number
from gtfs_builder.spec import CALENDAR_DAYS

# the files every page is built from: without them there is nothing to render
REQUIRED = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone, or None when the name is empty or unknown (a valid feed has none such)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass
class Service:
    """One service_id: its weekday flags (from calendar.txt) and every date it runs."""

    service_id: str
    weekdays: tuple[bool, ...] | None = None  # None: no calendar.txt row
    start: dt.date | None = None
    end: dt.date | None = None
    added: list[dt.date] = field(default_factory=list)
    removed: list[dt.date] = field(default_factory=list)

    @cached_property
    def dates(self) -> list[dt.date]:
        """Every active date, sorted: the calendar's weekdays in range, plus/minus exceptions."""
        days: set[dt.date] = set()
        if self.weekdays and self.start and self.end and any(self.weekdays):
            d = self.start
            while d <= self.end:
                if self.weekdays[d.weekday()]:
                    days.add(d)
                d += dt.timedelta(days=1)
        days.update(self.added)
        days.difference_update(self.removed)
        return sorted(days)


def _date(value: str) -> dt.date | None:
    """YYYYMMDD → date; None when empty or malformed."""
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


class FeedView:
    """Read-only helpers over one feed for the renderers."""

    def __init__(self, path: str | Path) -> None:
        """Raises ``FeedReadError`` (a ``csvio.InputError``) when the input is not a zip or
        folder, or lacks a file the pages are built from."""
        self.path = Path(path)
        self.files = FeedFiles(self.path)
        try:
            self.files.require(*REQUIRED)
        except FeedReadError:
            self.files.close()
            raise
        self._tables: dict[str, pd.DataFrame] = {}

    def close(self) -> None:
        self.files.close()

    def has(self, name: str) -> bool:
        return self.files.has(name)

    def table(self, name: str) -> pd.DataFrame:
        """Every row of the file, every cell a string ('' when empty); empty when absent.

        A file whose header the validator refuses renders as empty (the report says why)."""
        if name not in self._tables:
            self._tables[name] = self.files.strings(name, header_must_parse=False)
        return self._tables[name]

    def series(self, name: str, column: str) -> pd.Series:
        """A column as stripped strings ('' when empty or absent), aligned to ``table(name)``."""
        frame = self.table(name)
        if column not in frame:
            return pd.Series([""] * len(frame), dtype="str")
        return frame[column].str.strip()

    def col(self, name: str, column: str) -> list[str]:
        """``series`` as a list, for the loops over small tables."""
        return self.series(name, column).tolist()

    def num(self, name: str, column: str, default: float = np.nan) -> np.ndarray:
        frame = self.table(name)
        if column not in frame:
            return np.full(len(frame), default)
        return to_number(frame[column], default)

    def times(self, name: str, column: str) -> np.ndarray:
        """GTFS times as seconds (hours may pass 24), NaN when empty or malformed."""
        frame = self.table(name)
        if column not in frame:
            return np.full(len(frame), np.nan)
        return parse_times(frame[column])

    # ------------------------------------------------------------------ feed-level facts
    @cached_property
    def feed_info(self) -> dict[str, str]:
        frame = self.table("feed_info.txt")
        if frame.empty:
            return {}
        return {c: str(frame[c].iloc[0]).strip() for c in frame.columns}

    @cached_property
    def agencies(self) -> dict[str, dict[str, str]]:
        """agency_id ('' for a single agency without id) → row."""
        frame = self.table("agency.txt")
        out: dict[str, dict[str, str]] = {}
        for row in frame.to_dict("records"):
            out[str(row.get("agency_id", "")).strip()] = {k: str(v).strip() for k, v in row.items()}
        return out

    @cached_property
    def agency_zone_name(self) -> str:
        """The feed's zone: every agency has the same one in a valid feed."""
        zones = sorted({a.get("agency_timezone", "") for a in self.agencies.values()} - {""})
        return zones[0] if zones else "UTC"

    @cached_property
    def lang(self) -> str:
        """The language of the feed's own names (feed_lang, else agency_lang, else '')."""
        lang = self.feed_info.get("feed_lang", "")
        if not lang:
            langs = sorted({a.get("agency_lang", "") for a in self.agencies.values()} - {""})
            lang = langs[0] if langs else ""
        return lang.lower()

    @cached_property
    def sha256(self) -> str:
        """sha256 of the zip; of every file's name and bytes in name order for a folder."""
        h = hashlib.sha256()
        if self.path.is_dir():
            for f in sorted(p for p in self.path.rglob("*") if p.is_file()):
                h.update(f.relative_to(self.path).as_posix().encode() + b"\0")
                h.update(f.read_bytes())
        else:
            with self.path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        return h.hexdigest()

    # ------------------------------------------------------------------ calendar
    @cached_property
    def services(self) -> dict[str, Service]:
        out: dict[str, Service] = {}
        cal = self.table("calendar.txt")
        if not cal.empty:
            flags = {d: self.col("calendar.txt", d) for d in CALENDAR_DAYS}
            starts = self.col("calendar.txt", "start_date")
            ends = self.col("calendar.txt", "end_date")
            for i, sid in enumerate(self.col("calendar.txt", "service_id")):
                week = tuple(flags[d][i] == "1" for d in CALENDAR_DAYS)
                out[sid] = Service(sid, week, _date(starts[i]), _date(ends[i]))
        cd = self.table("calendar_dates.txt")
        if not cd.empty:
            for sid, d, k in zip(self.col("calendar_dates.txt", "service_id"),
                                 self.col("calendar_dates.txt", "date"),
                                 self.col("calendar_dates.txt", "exception_type"), strict=True):
                day = _date(d)
                if day is None or k not in ("1", "2"):
                    continue
                svc = out.setdefault(sid, Service(sid))
                (svc.added if k == "1" else svc.removed).append(day)
        for svc in out.values():
            svc.added.sort()
            svc.removed.sort()
        return out

    @cached_property
    def validity(self) -> tuple[dt.date | None, dt.date | None, str]:
        """(start, end, where from): feed_info's window, else the calendar's range."""
        if self.feed_info:
            start = _date(self.feed_info.get("feed_start_date", ""))
            end = _date(self.feed_info.get("feed_end_date", ""))
            if start or end:
                return start, end, "feed_info.txt"
        days = [d for s in self.services.values() for d in (s.dates[:1] + s.dates[-1:])]
        if not days:
            return None, None, "no service"
        return min(days), max(days), "calendar"

    # ------------------------------------------------------------------ stops
    @cached_property
    def stops(self) -> pd.DataFrame:
        """stops.txt indexed by stop_id with float lat/lon and the effective zone name."""
        out = pd.DataFrame(
            {
                "stop_id": self.col("stops.txt", "stop_id"),
                "name": self.col("stops.txt", "stop_name"),
                "lat": self.num("stops.txt", "stop_lat"),
                "lon": self.num("stops.txt", "stop_lon"),
                "location_type": self.num("stops.txt", "location_type", 0).astype(int),
                "parent": self.col("stops.txt", "parent_station"),
                "tz": self.col("stops.txt", "stop_timezone"),
            }
        )
        out = out.drop_duplicates("stop_id").set_index("stop_id", drop=False)
        # A stop without its own zone takes its parent's, then the agency's (GTFS reference).
        parent_tz = out["parent"].map(out["tz"]).fillna("")
        out["zone"] = [
            own or par or self.agency_zone_name
            for own, par in zip(out["tz"], parent_tz, strict=True)
        ]
        return out

    def stations_of(self, stop_ids: pd.Series) -> pd.Series:
        """Each stop's parent station when there is one (platforms are grouped under it), else
        the stop itself; aligned to ``stop_ids``."""
        parent = stop_ids.map(self.stops["parent"]).fillna("")
        known = (parent != "") & parent.isin(self.stops.index)
        return parent.where(known, stop_ids)
