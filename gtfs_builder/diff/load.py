"""Read one feed version into the columns a rider-facing comparison needs.

Reading goes through :mod:`gtfs_builder.feedio` (the validator's reader: any bytes survive),
but not through ``Feed``: its field-level checks cost seconds on 2 M ``stop_times`` rows and a diff
does not need them. Only what changes a rider's trip is kept: names and positions of stops, names
of routes, trips with their service and stop times, and the service calendars. Values the diff
relies on (times, stop sequences, dates) must parse; anything else unparsable is left empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gtfs_builder.feedio import FeedFiles, FeedReadError
from gtfs_builder.spec import CALENDAR_DAYS
from gtfs_builder.validate import csvio, fieldtypes

EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


class DiffInputError(FeedReadError):
    """A feed cannot be compared; the message names the file, row, field, value and expectation."""


@dataclass
class Snapshot:
    """One feed version. Dates are days since 1970-01-01 (int64); times seconds (-1 = none).

    ``stop_times`` arrays are sorted by (trip, stop_sequence); ``trip_start[i]:trip_start[i+1]``
    are trip ``i``'s rows. ``trip`` and ``stop`` are row positions in ``trips`` and ``stops``.
    """

    path: Path
    agencies: pd.DataFrame  # agency_id, agency_name
    routes: pd.DataFrame  # route_id, agency, short_name, long_name, route_type
    stops: pd.DataFrame  # stop_id, stop_name, lat, lon
    trips: pd.DataFrame  # trip_id, route, service_id, trip_short_name, trip_headsign, weight
    st_trip: np.ndarray
    st_stop: np.ndarray
    st_time: np.ndarray
    trip_start: np.ndarray
    calendar: pd.DataFrame  # service_id, mask (7 bools as "1010100"), start, end
    service_dates: pd.DataFrame  # service_id, date: every active day of every service
    feed_info: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def window(self) -> tuple[int, int] | None:
        """First and last day any service runs (None: no service at all)."""
        if self.service_dates.empty:
            return None
        d = self.service_dates["date"]
        return int(d.min()), int(d.max())


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a GTFS zip or folder; raise ``DiffInputError`` when it cannot be compared."""
    with FeedFiles(path, error=DiffInputError) as files:
        return _Reader(files).snapshot()


class _Reader:
    def __init__(self, files: FeedFiles) -> None:
        self.files = files
        self.path = files.path
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ tables
    def table(self, name: str, columns: list[str], *, required: bool) -> pd.DataFrame | None:
        """The file's rows as strings ("" when empty) with ``columns`` checked; None if absent."""
        if required:
            self.files.require(name)
        elif not self.files.has(name):
            return None
        raw = self.files.read(name)
        if raw.status is csvio.LoadStatus.EMPTY_FILE:
            return None if not required else _empty(columns)
        missing = [c for c in columns if c not in raw.frame.columns]
        if missing and len(raw.frame):
            raise DiffInputError(
                f"{self.path}: {name}: no column {missing[0]!r} (header: {', '.join(raw.header)})"
            )
        if raw.status is csvio.LoadStatus.UNPARSABLE_ROWS:
            self.warnings.append(f"{self.path.name}: {name}: rows with a wrong cell count skipped")
        frame = raw.frame
        for c in missing:
            frame[c] = ""
        return frame

    def bad_value(
        self, name: str, frame: pd.DataFrame, col: str, bad: np.ndarray, expected: str
    ) -> DiffInputError:
        i = int(np.flatnonzero(bad)[0])
        return DiffInputError(
            f"{self.path}: {name} row {int(frame['csv_row'].iloc[i])}: {col} "
            f"{frame[col].iloc[i]!r} is not {expected} ({int(bad.sum())} such value(s))"
        )

    def parsed(
        self, name: str, frame: pd.DataFrame, col: str, ftype: str, expected: str
    ) -> pd.Series:
        """Column ``col`` parsed; an error on the first non-empty value that does not parse."""
        values, ok = fieldtypes.parse_checked(frame[col], ftype)
        filled = pc.not_equal(_arrow(frame[col]), "").to_numpy(zero_copy_only=False)
        bad = ~ok.to_numpy(dtype=bool) & filled
        if bad.any():
            raise self.bad_value(name, frame, col, bad, expected)
        return values

    # ------------------------------------------------------------------ snapshot
    def snapshot(self) -> Snapshot:
        agency = self.table("agency.txt", ["agency_name"], required=False)
        agencies = pd.DataFrame(
            {
                "agency_id": _col(agency, "agency_id"),
                "agency_name": _col(agency, "agency_name"),
            }
        )
        routes = self.routes(agencies)
        stops = self.stops()
        calendar, service_dates = self.calendars()
        trips = self.trips(routes)
        routes = trips.attrs.pop("routes")
        stops, st_trip, st_stop, st_time, trip_start = self.stop_times(trips, stops)
        info = self.table("feed_info.txt", [], required=False)
        feed_info: dict[str, str] = {}
        if info is not None and len(info):
            feed_info = {
                k: str(info[k].iloc[0])
                for k in ("feed_version", "feed_start_date", "feed_end_date")
                if k in info.columns and str(info[k].iloc[0])
            }
        return Snapshot(
            self.path,
            agencies,
            routes,
            stops,
            trips,
            st_trip,
            st_stop,
            st_time,
            trip_start,
            calendar,
            service_dates,
            feed_info,
            self.warnings,
        )

    def routes(self, agencies: pd.DataFrame) -> pd.DataFrame:
        cols = ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"]
        frame = self.table("routes.txt", ["route_id"], required=True)
        assert frame is not None
        frame = frame.drop_duplicates("route_id")
        names = dict(zip(agencies["agency_id"], agencies["agency_name"], strict=True))
        only = agencies["agency_name"].iloc[0] if len(agencies) == 1 else ""
        agency_id = _col(frame, "agency_id")
        return pd.DataFrame(
            {
                "route_id": _col(frame, cols[0]),
                # agency by name: an import may rename agency ids but not the agency
                "agency": pd.Series(
                    [names.get(a, a) if a else only for a in agency_id], dtype="str"
                ),
                "short_name": _col(frame, cols[2]),
                "long_name": _col(frame, cols[3]),
                "route_type": _col(frame, cols[4]),
            }
        )

    def stops(self) -> pd.DataFrame:
        frame = self.table("stops.txt", ["stop_id"], required=True)
        assert frame is not None
        frame = frame.drop_duplicates("stop_id")
        lat = fieldtypes.parse(frame["stop_lat"], "float") if "stop_lat" in frame else None
        lon = fieldtypes.parse(frame["stop_lon"], "float") if "stop_lon" in frame else None
        return pd.DataFrame(
            {
                "stop_id": _col(frame, "stop_id"),
                "stop_name": _col(frame, "stop_name"),
                "lat": _floats(lat, len(frame)),
                "lon": _floats(lon, len(frame)),
            }
        )

    def calendars(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Calendar rows, and every (service, day) it runs on after calendar_dates exceptions."""
        cal = self.table("calendar.txt", ["service_id", "start_date", "end_date"], required=False)
        parts: list[pd.DataFrame] = []
        calendar = pd.DataFrame({"service_id": [], "mask": [], "start": [], "end": []})
        if cal is not None and len(cal):
            cal = cal.drop_duplicates("service_id")
            start = _days(self.parsed("calendar.txt", cal, "start_date", "date", "a YYYYMMDD date"))
            end = _days(self.parsed("calendar.txt", cal, "end_date", "date", "a YYYYMMDD date"))
            flags = np.stack([(_col(cal, d) == "1").to_numpy() for d in CALENDAR_DAYS], axis=1)
            mask = ["".join("1" if f else "0" for f in row) for row in flags]
            calendar = pd.DataFrame(
                {"service_id": _col(cal, "service_id"), "mask": mask, "start": start, "end": end}
            )
            ok = (start >= 0) & (end >= start)
            n = np.where(ok, end - start + 1, 0)
            rows = np.repeat(np.arange(len(cal)), n)
            offset = np.arange(len(rows)) - np.repeat(np.cumsum(n) - n, n)
            day = start[rows] + offset
            keep = flags[rows, (day + EPOCH_WEEKDAY) % 7]
            parts.append(
                pd.DataFrame(
                    {
                        "service_id": calendar["service_id"].to_numpy()[rows[keep]],
                        "date": day[keep],
                    }
                )
            )
        cd = self.table(
            "calendar_dates.txt", ["service_id", "date", "exception_type"], required=False
        )
        if cal is None and cd is None:
            self.warnings.append(f"{self.path.name}: neither calendar.txt nor calendar_dates.txt")
        base = pd.concat(parts) if parts else pd.DataFrame({"service_id": [], "date": []})
        base = base.astype({"service_id": "str", "date": "int64"})
        if cd is not None and len(cd):
            day = _days(self.parsed("calendar_dates.txt", cd, "date", "date", "a YYYYMMDD date"))
            kind = _col(cd, "exception_type")
            bad = ~kind.isin(["1", "2"]).to_numpy()
            if bad.any():
                raise self.bad_value(
                    "calendar_dates.txt", cd, "exception_type", bad, "1 (added) or 2 (removed)"
                )
            ex = pd.DataFrame({"service_id": _col(cd, "service_id"), "date": day, "kind": kind})
            removed = ex[ex["kind"] == "2"][["service_id", "date"]]
            if len(removed):
                gone = base.merge(removed.drop_duplicates(), how="left", indicator=True)
                base = base[(gone["_merge"] == "left_only").to_numpy()]
            added = ex[ex["kind"] == "1"][["service_id", "date"]]
            base = pd.concat([base, added])
        base = base.drop_duplicates().sort_values(["service_id", "date"], ignore_index=True)
        return calendar, base

    def trips(self, routes: pd.DataFrame) -> pd.DataFrame:
        frame = self.table("trips.txt", ["trip_id", "route_id", "service_id"], required=True)
        assert frame is not None
        frame = frame.drop_duplicates("trip_id")
        route_ids = _col(frame, "route_id")
        unknown = sorted(set(route_ids) - set(routes["route_id"]))
        if unknown:  # a trip on an undeclared route still carries riders: keep it, named by id
            extra = pd.DataFrame({"route_id": unknown})
            routes = pd.concat([routes, extra], ignore_index=True).fillna("").astype("str")
        route = pd.Index(routes["route_id"]).get_indexer(route_ids)
        trips = pd.DataFrame(
            {
                "trip_id": _col(frame, "trip_id"),
                "route": route,
                "service_id": _col(frame, "service_id"),
                "trip_short_name": _col(frame, "trip_short_name"),
                "trip_headsign": _col(frame, "trip_headsign"),
                "weight": np.ones(len(frame), dtype=np.int64),
            }
        )
        self.frequencies(trips)
        trips.attrs["routes"] = routes
        return trips

    def frequencies(self, trips: pd.DataFrame) -> None:
        """A frequency-based trip stands for all its departures: riders count those."""
        cols = ["trip_id", "start_time", "end_time", "headway_secs"]
        freq = self.table("frequencies.txt", cols, required=False)
        if freq is None or not len(freq):
            return
        start = self.parsed("frequencies.txt", freq, "start_time", "time", "an H:MM:SS time")
        end = self.parsed("frequencies.txt", freq, "end_time", "time", "an H:MM:SS time")
        headway = fieldtypes.parse(freq["headway_secs"], "integer")
        n = ((end - start) / headway.where(headway > 0)).fillna(0)
        n = np.ceil(n.to_numpy(dtype="float64", na_value=0.0)).astype(np.int64)
        per_trip = pd.Series(n).groupby(_col(freq, "trip_id").to_numpy()).sum()
        idx = pd.Index(trips["trip_id"]).get_indexer(per_trip.index)
        ok = idx >= 0
        trips.loc[idx[ok], "weight"] = np.maximum(per_trip.to_numpy()[ok], 1)

    def stop_times(
        self, trips: pd.DataFrame, stops: pd.DataFrame
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        name = "stop_times.txt"
        cols = ["trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"]
        frame = self.table(name, cols[:3], required=True)
        assert frame is not None
        for c in cols[3:]:
            if c not in frame.columns:
                frame[c] = ""
        seq = self.parsed(name, frame, "stop_sequence", "integer", "a non-negative integer")
        dep = self.parsed(name, frame, "departure_time", "time", "an H:MM:SS time")
        arr = self.parsed(name, frame, "arrival_time", "time", "an H:MM:SS time")
        time = dep.fillna(arr).to_numpy(dtype=np.int64, na_value=-1)
        seq_np = seq.to_numpy(dtype=np.int64, na_value=-1)
        trip = _index_in(_arrow(frame["trip_id"]), trips["trip_id"])
        stop = _index_in(_arrow(frame["stop_id"]), stops["stop_id"])
        orphans = trip < 0
        if orphans.any():
            self.warnings.append(
                f"{self.path.name}: {name}: {int(orphans.sum())} row(s) of unknown trips skipped"
            )
        unknown = stop < 0
        if unknown.any():  # a stop missing from stops.txt is still a place the vehicle calls at
            ids = pd.unique(frame["stop_id"].to_numpy()[unknown & ~orphans])
            if len(ids):
                extra = pd.DataFrame({"stop_id": ids, "stop_name": "", "lat": np.nan})
                extra["lon"] = np.nan
                stops = pd.concat([stops, extra], ignore_index=True)
                stop = np.where(
                    unknown, _index_in(_arrow(frame["stop_id"]), stops["stop_id"]), stop
                )
        del frame
        keep = ~orphans
        trip, stop, time, seq_np = trip[keep], stop[keep], time[keep], seq_np[keep]
        order = np.lexsort((seq_np, trip))
        trip, stop, time = trip[order], stop[order], time[order]
        counts = np.bincount(trip, minlength=len(trips))
        trip_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return stops, trip, stop, time, trip_start


def _empty(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    frame["csv_row"] = pd.Series([], dtype="int64")
    return frame


def _col(frame: pd.DataFrame | None, name: str) -> pd.Series:
    """A column as plain strings ("" when empty or absent), index reset."""
    if frame is None:
        return pd.Series([], dtype="str")
    if name not in frame.columns:
        return pd.Series([""] * len(frame), dtype="str")
    return frame[name].fillna("").astype("str").reset_index(drop=True)


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The values as Arrow strings, nulls as "" (zero-copy for pandas' Arrow-backed ``str``)."""
    arr = pa.array(values, from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    return pc.fill_null(arr, "") if arr.null_count else arr


def _index_in(values: pa.Array | pa.ChunkedArray, keys: pd.Series) -> np.ndarray:
    """Row position of each value in ``keys`` (-1 when absent), hashed in Arrow's C++."""
    keyset = pa.array(keys.to_numpy(dtype=object), values.type)
    found = pc.index_in(values, value_set=keyset)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _floats(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _days(yyyymmdd: pd.Series) -> np.ndarray:
    """YYYYMMDD Int64 -> days since 1970-01-01 (-1 when empty)."""
    v = yyyymmdd.to_numpy(dtype=np.int64, na_value=-1)
    out = np.full(len(v), -1, dtype=np.int64)
    ok = v >= 0
    if ok.any():
        text = pd.Series(v[ok]).astype(str)
        out[ok] = (
            pd.to_datetime(text, format="%Y%m%d")
            .to_numpy()
            .astype("datetime64[D]")
            .astype(np.int64)
        )
    return out


def day_iso(day: int) -> str:
    """Days since 1970-01-01 -> 'YYYY-MM-DD'."""
    return str(np.datetime64(int(day), "D"))


def iso_day(text: str) -> int:
    """'YYYY-MM-DD' -> days since 1970-01-01 (ValueError when not a date)."""
    return (dt.date.fromisoformat(text) - dt.date(1970, 1, 1)).days
