"""Model → GTFS tables: one ``build_<table>`` per file, each returning a pandas DataFrame.

stop_times is the only big table: trips are expanded per pattern with numpy (pattern offsets ×
departures), never with a Python loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gtfs_builder import spec
from gtfs_builder.compile.shapes import cumulative_km, dedupe, project_stops
from gtfs_builder.compile.times import format_times, hhmmss, zone_delta
from gtfs_builder.source.errors import SourceError, SourceErrors
from gtfs_builder.source.loader import KEPT_FILES_DIR, kept_file_paths
from gtfs_builder.source.model import Frequency, Network, Pattern, Route, Service, Time, Trip

STR = "str"


def _frame(columns: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def _with_extra(df: pd.DataFrame, extras: list[dict[str, str]]) -> pd.DataFrame:
    """Add the entities' ``extra`` columns (unknown to the source format) back, verbatim."""
    keys = sorted({k for e in extras for k in e if k not in df.columns})
    for k in keys:
        df[k] = pd.array([e.get(k) for e in extras], dtype="str")
    return df


def build_agency(net: Network) -> pd.DataFrame:
    rows = [
        {
            "agency_id": a.id or None,
            "agency_name": a.name,
            "agency_url": a.url,
            "agency_timezone": a.timezone,
            "agency_lang": a.lang,
            "agency_phone": a.phone,
            "agency_fare_url": a.fare_url,
            "agency_email": a.email,
        }
        for a in net.agencies
    ]
    return _with_extra(pd.DataFrame(rows), [a.extra for a in net.agencies])


def build_stops(net: Network) -> pd.DataFrame:
    if net.literal:
        return _literal_stops(net)
    rows = [
        {
            "stop_id": s.id,
            "stop_code": s.code,
            "stop_name": s.name,
            "stop_desc": s.desc,
            "stop_lat": round(s.lat, 6),
            "stop_lon": round(s.lon, 6),
            "stop_url": s.url,
            "location_type": s.location_type,
            "parent_station": s.parent,
            "stop_timezone": s.timezone,
            "wheelchair_boarding": s.wheelchair_boarding,
            "platform_code": s.platform_code,
        }
        for s in net.stops
    ]
    df = pd.DataFrame(rows)
    for col in ("location_type", "wheelchair_boarding"):
        df[col] = df[col].astype("Int64")
    return _with_extra(df, [s.extra for s in net.stops])


def _literal_stops(net: Network) -> pd.DataFrame:
    """Stops as given: coordinates unrounded, stop_timezone only where the source has one."""
    df = pd.DataFrame(
        {
            "stop_id": [s.id for s in net.stops],
            "stop_code": [s.code for s in net.stops],
            "stop_name": [s.name or None for s in net.stops],
            "stop_desc": [s.desc for s in net.stops],
            "stop_lat": pd.array([s.lat for s in net.stops], dtype="Float64"),
            "stop_lon": pd.array([s.lon for s in net.stops], dtype="Float64"),
            "stop_url": [s.url for s in net.stops],
            "location_type": pd.array([s.location_type for s in net.stops], dtype="Int64"),
            "parent_station": [s.parent for s in net.stops],
            "stop_timezone": [s.timezone if s.zone_given else None for s in net.stops],
            "wheelchair_boarding": pd.array(
                [s.wheelchair_boarding for s in net.stops], dtype="Int64"
            ),
            "platform_code": [s.platform_code for s in net.stops],
        }
    )
    return _with_extra(df, [s.extra for s in net.stops])


def build_routes(net: Network) -> pd.DataFrame:
    rows = [
        {
            "route_id": r.id,
            "agency_id": r.agency or None,
            "route_short_name": r.short_name,
            "route_long_name": r.long_name,
            "route_desc": r.desc,
            "route_type": r.type,
            "route_url": r.url,
            "route_color": r.color,
            "route_text_color": r.text_color,
            "route_sort_order": r.sort_order,
        }
        for r in net.routes
    ]
    df = pd.DataFrame(rows)
    df["route_sort_order"] = df["route_sort_order"].astype("Int64")
    return _with_extra(df, [r.extra for r in net.routes])


def build_calendar(net: Network) -> pd.DataFrame:
    names = spec.CALENDAR_DAYS
    rows = []
    extras = []
    for s in net.services:
        if s.weekdays is None or s.start_date is None or s.end_date is None:
            continue
        extras.append(s.extra)
        row: dict[str, object] = {"service_id": s.id}
        row.update({n: int(flag) for n, flag in zip(names, s.weekdays, strict=True)})
        row["start_date"] = s.start_date.strftime("%Y%m%d")
        row["end_date"] = s.end_date.strftime("%Y%m%d")
        rows.append(row)
    return _with_extra(pd.DataFrame(rows), extras)


def build_calendar_dates(net: Network) -> pd.DataFrame:
    rows = [
        {"service_id": s.id, "date": d.strftime("%Y%m%d"), "exception_type": kind}
        for s in net.services
        for kind, dates in ((1, s.added), (2, s.removed))
        for d in sorted(set(dates))
    ]
    return pd.DataFrame(rows)


def build_feed_info(net: Network) -> pd.DataFrame:
    f = net.feed
    if net.literal:  # as given, no defaults; none at all when the source has no 'feed'
        if not net.has_feed:
            return pd.DataFrame()
        row = {
            "feed_publisher_name": f.publisher_name or None,
            "feed_publisher_url": f.publisher_url or None,
            "feed_lang": f.lang or None,
            "default_lang": f.default_lang,
            "feed_start_date": f.start_date.strftime("%Y%m%d") if f.start_date else None,
            "feed_end_date": f.end_date.strftime("%Y%m%d") if f.end_date else None,
            "feed_version": f.version,
            "feed_contact_email": f.contact_email,
            "feed_contact_url": f.contact_url,
        }
        return _with_extra(pd.DataFrame([row]), [f.extra])
    starts = [d for s in net.services for d in ([s.start_date] if s.start_date else []) + s.added]
    ends = [d for s in net.services for d in ([s.end_date] if s.end_date else []) + s.added]
    start = f.start_date or (min(starts) if starts else None)
    end = f.end_date or (max(ends) if ends else None)
    row = {
        "feed_publisher_name": f.publisher_name,
        "feed_publisher_url": f.publisher_url,
        "feed_lang": f.lang,
        "default_lang": f.default_lang,
        "feed_start_date": start.strftime("%Y%m%d") if start else None,
        "feed_end_date": end.strftime("%Y%m%d") if end else None,
        "feed_version": f.version or net.digest[:12],
        "feed_contact_email": f.contact_email,
        "feed_contact_url": f.contact_url,
    }
    return _with_extra(pd.DataFrame([row]), [f.extra])


def build_translations(net: Network) -> pd.DataFrame:
    """Names in other languages (from ``{lang: name}`` maps) plus explicit translations."""
    lang = net.feed.lang
    rows = []
    for a in net.agencies:
        rows += [("agency", "agency_name", lg, t, a.id) for lg, t in a.names.items() if lg != lang]
    for s in net.stops:
        rows += [("stops", "stop_name", lg, t, s.id) for lg, t in s.names.items() if lg != lang]
    for r in net.routes:
        rows += [
            ("routes", "route_long_name", lg, t, r.id)
            for lg, t in r.long_names.items()
            if lg != lang
        ]
    df = pd.DataFrame(
        rows, columns=["table_name", "field_name", "language", "translation", "record_id"]
    )
    extra = pd.DataFrame(
        [
            {
                "table_name": t.table,
                "field_name": t.field,
                "language": t.language,
                "translation": t.translation,
                "record_id": t.record_id,
                "record_sub_id": t.record_sub_id,
                "field_value": t.field_value,
            }
            for t in net.translations
        ]
    )
    extra = _with_extra(extra, [t.extra for t in net.translations])
    if not extra.empty:
        df = pd.concat([df, extra], ignore_index=True)
    return df


def build_transfers(net: Network) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            {
                "from_stop_id": t.from_stop,
                "to_stop_id": t.to_stop,
                "from_route_id": t.from_route,
                "to_route_id": t.to_route,
                "transfer_type": t.type,
                "min_transfer_time": t.min_time,
            }
            for t in net.transfers
        ]
    )
    if not df.empty:
        df["min_transfer_time"] = df["min_transfer_time"].astype("Int64")
    return _with_extra(df, [t.extra for t in net.transfers])


# --------------------------------------------------------------------------- trips & stop_times


@dataclass
class _PatternTrips:
    """The expanded trips of one pattern: one row per trip, plus the per-stop pattern arrays."""

    route: Route
    pattern: Pattern
    shape_id: str
    stop_ids: np.ndarray
    dist: np.ndarray
    trip_ids: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    short_names: list[str | None] = field(default_factory=list)
    headsigns: list[str | None] = field(default_factory=list)
    blocks: list[str | None] = field(default_factory=list)
    extras: list[dict[str, str]] = field(default_factory=list)
    # regular trips: first-stop departures (agency seconds); offsets shared by the pattern
    starts: list[int] = field(default_factory=list)
    # explicit-timetable trips: full arrays
    explicit: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)


class Compiler:
    """Resolves times and shapes for every pattern, collecting located errors."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.tz = net.timezone
        self.services: dict[str, Service] = {s.id: s for s in net.services}
        self.errors: list[SourceError] = []
        self.shapes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.trip_ids: dict[str, Trip | Frequency] = {}  # trip_id -> where first defined

    def agency_time(self, t: Time, stop_zone: str, service_id: str) -> int | None:
        """Convert one written time to agency seconds, or record why it cannot be."""
        zone = t.zone or (self.tz if self.net.literal else stop_zone)
        service = self.services.get(service_id)
        if service is None:
            return None
        delta, changed = zone_delta(zone, self.tz, service)
        if changed is not None:
            self.errors.append(
                t.loc.error(
                    f"{t.text!r}: the offset between {zone} and the agency zone {self.tz} "
                    f"changes on {changed} within service '{service_id}' (expected a constant "
                    "offset: split the service at that date)"
                )
            )
            return None
        secs = t.seconds + delta
        if secs < 0:
            self.errors.append(
                t.loc.error(
                    f"{t.text!r} is {hhmmss(-secs)} before the start of the service day in "
                    f"{self.tz} (expected a time on or after 00:00 agency time: move it to the "
                    "previous day's "
                    "service)"
                )
            )
            return None
        return secs

    def pattern_offsets(self, pattern: Pattern) -> tuple[np.ndarray, np.ndarray]:
        """Arrival and departure offsets from the first departure, seconds."""
        m = len(pattern.stops)
        arr = np.zeros(m, dtype=np.int64)
        dep = np.zeros(m, dtype=np.int64)
        for k, ps in enumerate(pattern.stops):
            if k:
                arr[k] = dep[k - 1] + (ps.run or 0)
                dep[k] = arr[k] + (ps.dwell if k < m - 1 else 0)
        return arr, dep

    def shape_for(
        self, pattern: Pattern, coords_stops: list[tuple[float, float]]
    ) -> tuple[str, np.ndarray]:
        """The shape id of the pattern and each stop's distance along it (km)."""
        sh = pattern.shape
        shape_id = (sh.id if sh and sh.id else None) or f"shp_{pattern.id}"
        named = self.net.shapes.get(shape_id) if sh and not sh.coords else None
        if named:  # a shape of the 'shapes' section: its points (distances are recomputed)
            line = dedupe([(p[0], p[1]) for p in named])
            dist = (
                project_stops(line, coords_stops) if len(line) >= 2 else np.zeros(len(coords_stops))
            )
        elif sh and sh.coords:
            line = dedupe(sh.coords)
            dist = (
                project_stops(line, coords_stops) if len(line) >= 2 else np.zeros(len(coords_stops))
            )
        else:
            line = dedupe(coords_stops)
            lat = np.array([c[0] for c in coords_stops])
            lon = np.array([c[1] for c in coords_stops])
            dist = cumulative_km(lat, lon)
        if shape_id not in self.shapes:
            lat = np.array([c[0] for c in line])
            lon = np.array([c[1] for c in line])
            self.shapes[shape_id] = (lat, lon, cumulative_km(lat, lon))
        return shape_id, np.round(dist, 3)

    def _where(self, trip_id: str) -> str:
        loc = self.trip_ids[trip_id].loc
        return f"{loc.file}:{loc.line}"

    def claim_trip_id(self, trip_id: str, where: Trip | Frequency) -> None:
        if trip_id in self.trip_ids:
            self.errors.append(
                where.loc.error(
                    f"duplicate trip id '{trip_id}' (first at {self._where(trip_id)}; "
                    "expected unique ids: set 'id' or a distinct 'trip_short_name')"
                )
            )
        else:
            self.trip_ids[trip_id] = where  # located only if a duplicate turns up

    def literal_shape(self, pattern: Pattern) -> tuple[str | None, np.ndarray]:
        """A literal pattern's shape: the named one of the ``shapes`` section (or none), and the
        stops' shape_dist_traveled as given (NaN where not)."""
        dist = np.array(
            [np.nan if ps.dist is None else float(ps.dist) for ps in pattern.stops], dtype=float
        )
        sh = pattern.shape
        if sh is None or not sh.id:
            return None, dist
        if sh.id not in self.shapes:
            pts = self.net.shapes.get(sh.id)
            if pts is None and (Path(self.net.root) / FILES_DIR / "shapes.txt").is_file():
                return sh.id, dist  # shapes.txt is kept as it is in files/
            if pts is None:
                self.errors.append(
                    sh.loc.error(f"unknown shape '{sh.id}' (expected an id of the 'shapes' list)")
                )
                return None, dist
            lat = np.array([p[0] for p in pts], dtype=float)
            lon = np.array([p[1] for p in pts], dtype=float)
            cum = np.array([np.nan if p[2] is None else p[2] for p in pts], dtype=float)
            self.shapes[sh.id] = (lat, lon, cum)
        return sh.id, dist

    def expand(self, route: Route, pattern: Pattern) -> _PatternTrips:
        stops = [self.net.stop(ps.stop_id) for ps in pattern.stops]
        if self.net.literal:
            shape_id, dist = self.literal_shape(pattern)
        else:
            shape_id, dist = self.shape_for(pattern, [(s.lat, s.lon) for s in stops])
            given = [k for k, ps in enumerate(pattern.stops) if ps.dist is not None]
            if given:
                dist = dist.copy()
                dist[given] = [pattern.stops[k].dist for k in given]
        out = _PatternTrips(
            route, pattern, shape_id, np.array([s.id for s in stops], dtype=object), dist
        )
        first_zone = stops[0].timezone
        arr_off, dep_off = self.pattern_offsets(pattern)
        for trip in pattern.trips:
            if trip.times is not None:
                self.explicit_trip(out, trip, stops, arr_off, dep_off)
                continue
            for n, t in enumerate(trip.departures):
                secs = self.agency_time(t, first_zone, trip.service)
                if secs is None:
                    continue
                if trip.ids and trip.ids[n]:
                    trip_id = str(trip.ids[n])
                elif trip.id:
                    trip_id = trip.id if len(trip.departures) == 1 else f"{trip.id}_{n + 1}"
                elif trip.short_name and len(trip.departures) == 1:
                    trip_id = f"{pattern.id}_{trip.short_name}"
                else:
                    trip_id = f"{pattern.id}_{trip.service}_{hhmmss(secs).replace(':', '')}"
                self.claim_trip_id(trip_id, trip)
                short = trip.short_names[n] if trip.short_names else trip.short_name
                block = trip.blocks[n] if trip.blocks else trip.block
                self._add(out, trip_id, trip.service, short, trip.headsign, block, trip.extra)
                out.starts.append(secs)
        for n, f in enumerate(pattern.frequencies):
            start = self.agency_time(f.start, first_zone, f.service)
            end = self.agency_time(f.end, first_zone, f.service)
            if start is None or end is None:
                continue
            if end <= start:
                self.errors.append(
                    f.end.loc.error(
                        f"end {f.end.text!r} is not after start {f.start.text!r} in agency time"
                    )
                )
                continue
            fid = f.id or f"{pattern.id}_f{n + 1}"
            if f.expand:
                starts = list(range(start, end, f.headway))
                ids = [f"{fid}_{x // 3600:02d}{x % 3600 // 60:02d}{x % 60:02d}" for x in starts]
                clash = next((i for i in ids if i in self.trip_ids), None)
                if clash is not None:
                    self.claim_trip_id(clash, f)  # reports the duplicate
                self.trip_ids.update(dict.fromkeys(ids, f))
                k = len(ids)
                out.trip_ids += ids
                out.services += [f.service] * k
                out.short_names += [None] * k
                out.headsigns += [None] * k
                out.blocks += [None] * k
                out.extras += [{}] * k
                out.starts += starts
            else:
                self.claim_trip_id(fid, f)
                self._add(out, fid, f.service, None, None, None)
                out.starts.append(start)
                self.frequencies.append((fid, start, end, f.headway, int(f.exact_times)))
        return out

    frequencies: list[tuple[str, int, int, int, int]]

    @staticmethod
    def _add(
        out: _PatternTrips,
        trip_id: str,
        service: str,
        short: str | None,
        headsign: str | None,
        block: str | None,
        extra: dict[str, str] | None = None,
    ) -> None:
        out.trip_ids.append(trip_id)
        out.services.append(service)
        out.short_names.append(short)
        out.headsigns.append(headsign)
        out.blocks.append(block)
        out.extras.append(extra or {})

    def explicit_trip(
        self, out: _PatternTrips, trip: Trip, stops: list, arr_off: np.ndarray, dep_off: np.ndarray
    ) -> None:
        """A trip given stop by stop in local zones; gaps are derived from the run times."""
        assert trip.times is not None
        m = len(out.stop_ids)
        if len(trip.times) != m:
            return  # already reported by the loader
        arr = np.zeros(m, dtype=np.int64)
        dep = np.zeros(m, dtype=np.int64)
        tp = np.zeros(m, dtype=np.int8)
        prev_dep: int | None = None
        prev_text = ""
        ok = True
        for k, entry in enumerate(trip.times):
            zone = stops[k].timezone
            a = d = None
            if entry is not None:
                a = self.agency_time(entry.arrival, zone, trip.service) if entry.arrival else None
                d = (
                    self.agency_time(entry.departure, zone, trip.service)
                    if entry.departure
                    else None
                )
                if (entry.arrival and a is None) or (entry.departure and d is None):
                    ok = False
                    continue
                tp[k] = 1
            dwell = int(dep_off[k] - arr_off[k])
            if a is None and d is None:
                if prev_dep is None:
                    ok = False
                    continue
                if out.pattern.stops[k].run is None:
                    self.errors.append(
                        out.pattern.stops[k].loc.error(
                            "missing run time: this stop has no published time in "
                            f"trip {trip.short_name or trip.loc.path} (expected 'run' minutes or "
                            "'distance_km' and 'speed_kmh' to derive it)"
                        )
                    )
                    ok = False
                    continue
                a = prev_dep + int(arr_off[k] - dep_off[k - 1])
                d = a + dwell
                tp[k] = 1 if out.pattern.stops[k].timepoint else 0
            elif a is None:
                a = d if k in (0, m - 1) else d - dwell  # type: ignore[operator]
            elif d is None:
                d = a if k in (0, m - 1) else a + dwell
            assert a is not None and d is not None
            where = entry.loc if entry is not None else trip.loc
            if prev_dep is not None and a < prev_dep:
                self.errors.append(
                    where.error(
                        f"times decrease along the trip: arrives {hhmmss(a)} agency time, "
                        f"before the previous stop's departure {hhmmss(prev_dep)} ({prev_text}) "
                        "(expected "
                        "non-decreasing times; write times after midnight as 25:10)"
                    )
                )
                ok = False
            elif d < a:
                self.errors.append(
                    where.error(
                        f"departure {hhmmss(d)} is before arrival {hhmmss(a)} (agency time)"
                    )
                )
                ok = False
            arr[k], dep[k] = a, d
            prev_dep = d
            prev_text = (
                (entry.departure or entry.arrival).text
                if entry and (entry.departure or entry.arrival)
                else "derived"
            )
        if not ok:
            return
        trip_id = trip.id or (
            f"{out.pattern.id}_{trip.short_name}"
            if trip.short_name
            else f"{out.pattern.id}_{trip.service}_{hhmmss(int(dep[0])).replace(':', '')}"
        )
        self.claim_trip_id(trip_id, trip)
        self._add(
            out, trip_id, trip.service, trip.short_name, trip.headsign, trip.block, trip.extra
        )
        out.explicit.append((len(out.trip_ids) - 1, arr, dep, tp))


def compile_network(net: Network) -> dict[str, pd.DataFrame]:
    """Every GTFS table the source makes (empty frames for files without rows); the files kept
    as they are in ``files/`` come from :func:`kept_files`."""
    comp = Compiler(net)
    comp.frequencies = []
    expanded = [comp.expand(r, p) for r in net.routes for p in r.patterns]
    if comp.errors:
        raise SourceErrors(comp.errors)
    tables = {
        "agency.txt": build_agency(net),
        "stops.txt": build_stops(net),
        "routes.txt": build_routes(net),
        "trips.txt": build_trips(expanded),
        "stop_times.txt": build_stop_times(comp, expanded),
        "calendar.txt": build_calendar(net),
        "calendar_dates.txt": build_calendar_dates(net),
        "frequencies.txt": build_frequencies(comp),
        "shapes.txt": build_shapes(comp),
        "feed_info.txt": build_feed_info(net),
        "translations.txt": build_translations(net),
        "transfers.txt": build_transfers(net),
    }
    return tables


FILES_DIR = KEPT_FILES_DIR


def kept_files(net: Network, tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """``<source>/files/*``: files the source format does not model (fares, pathways, levels,
    attributions, GTFS-Flex ``locations.geojson``, a producer's README ...), copied into the feed
    byte for byte: "kept as it is" is then exact, whatever the file holds. Hidden files are left
    out; a folder, or a file the source also makes (in ``tables``), is a located error."""
    out: dict[str, bytes] = {}
    errors = []
    made = {n.lower() for n, df in tables.items() if df is not None and not df.empty}
    for path in kept_file_paths(net.root):
        if not path.is_file():
            errors.append(
                SourceError(
                    str(path), 0, 0, "", "is a folder (expected files only: a GTFS feed is flat)"
                )
            )
        elif path.name.lower() in made:
            errors.append(
                SourceError(
                    str(path),
                    0,
                    0,
                    "",
                    f"'{path.name}' is also made from the source (expected it in one place only: "
                    "the source or the files/ folder)",
                )
            )
        else:
            try:
                out[path.name] = path.read_bytes()
            except OSError as exc:
                errors.append(SourceError(str(path), 0, 0, "", f"cannot read: {exc}"))
    if errors:
        raise SourceErrors(errors)
    return out


def build_trips(expanded: list[_PatternTrips]) -> pd.DataFrame:
    cols: dict[str, list] = {
        k: []
        for k in (
            "route_id", "service_id", "trip_id", "trip_headsign", "trip_short_name",
            "direction_id", "block_id", "shape_id", "wheelchair_accessible", "bikes_allowed",
        )
    }  # fmt: skip
    for e in expanded:
        n = len(e.trip_ids)
        p = e.pattern
        cols["route_id"] += [e.route.id] * n
        cols["service_id"] += e.services
        cols["trip_id"] += e.trip_ids
        cols["trip_headsign"] += [h or p.headsign or None for h in e.headsigns]
        cols["trip_short_name"] += e.short_names
        cols["direction_id"] += [p.direction] * n
        cols["block_id"] += e.blocks
        cols["shape_id"] += [e.shape_id] * n
        cols["wheelchair_accessible"] += [p.wheelchair_accessible] * n
        cols["bikes_allowed"] += [p.bikes_allowed] * n
    if not cols["trip_id"]:
        return pd.DataFrame()
    df = pd.DataFrame(cols)
    for c in ("direction_id", "wheelchair_accessible", "bikes_allowed"):
        df[c] = df[c].astype("Int64")
    if any(x for e in expanded for x in e.extras):
        df = _with_extra(df, [x for e in expanded for x in e.extras])
    return df


def build_stop_times(comp: Compiler, expanded: list[_PatternTrips]) -> pd.DataFrame:
    """Vectorised: per pattern, departures[:, None] + offsets[None, :]; rows come out sorted by
    (trip_id, stop_sequence) via a block permutation, and ids/times as categoricals, so writing
    millions of rows never touches a Python string per row."""
    # flat per-pattern-stop attributes; each row points at one pattern stop ("ps")
    ps_stop, ps_seq, ps_dist, ps_tp, ps_head, ps_pick, ps_drop = [], [], [], [], [], [], []
    ps_untimed: list[bool] = []
    ps_tpv: list[int | None] = []
    ps_extra: list[dict[str, str]] = []
    row_ps, row_arr, row_dep, row_tp, row_trip = [], [], [], [], []
    trip_ids: list[str] = []
    trip_len: list[np.ndarray] = []
    base = 0
    for e in expanded:
        m = len(e.stop_ids)
        p = e.pattern
        arr_off, dep_off = comp.pattern_offsets(p)
        tp_pattern = np.array(
            [1 if (k == 0 or ps.timepoint) else 0 for k, ps in enumerate(p.stops)], dtype=np.int8
        )
        ps_stop += list(e.stop_ids)
        ps_seq.append(np.arange(1, m + 1, dtype=np.int64))
        ps_dist.append(np.asarray(e.dist, dtype=float))
        ps_tp.append(tp_pattern)
        ps_head += [ps.headsign for ps in p.stops]
        ps_pick += [ps.pickup for ps in p.stops]
        ps_drop += [ps.drop_off for ps in p.stops]
        ps_untimed += [ps.untimed for ps in p.stops]
        ps_tpv += [ps.tp_value for ps in p.stops]
        ps_extra += [ps.extra for ps in p.stops]
        local = np.arange(base, base + m, dtype=np.int64)
        explicit_idx = {i for i, *_ in e.explicit}
        regular = [i for i in range(len(e.trip_ids)) if i not in explicit_idx]
        first_trip = len(trip_ids)
        trip_ids += e.trip_ids
        if regular:
            starts = np.asarray(e.starts, dtype=np.int64)
            n = len(regular)
            row_trip.append(np.repeat(first_trip + np.asarray(regular, dtype=np.int64), m))
            row_arr.append((starts[:, None] + arr_off[None, :]).ravel())
            row_dep.append((starts[:, None] + dep_off[None, :]).ravel())
            row_ps.append(np.tile(local, n))
            row_tp.append(np.tile(tp_pattern, n))
        for i, arr, dep, tp in e.explicit:
            row_trip.append(np.full(m, first_trip + i, dtype=np.int64))
            row_arr.append(arr)
            row_dep.append(dep)
            row_ps.append(local)
            row_tp.append(tp)
        trip_len.append(np.full(len(e.trip_ids), m, dtype=np.int64))
        base += m
    if not row_trip:
        return pd.DataFrame()
    trip = np.concatenate(row_trip)
    # permutation: trips in trip_id order, each trip's rows (already in sequence order) together
    names = np.array(trip_ids, dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    # = np.argsort(rank[trip], kind="stable"), 6x cheaper: each trip's rows are one contiguous
    # block already in sequence order, so only the blocks are sorted
    block_start = np.flatnonzero(np.r_[True, trip[1:] != trip[:-1]])
    block_len = np.diff(np.r_[block_start, len(trip)])
    by_rank = np.argsort(rank[trip[block_start]], kind="stable")
    out_len = block_len[by_rank]
    out_start = np.cumsum(out_len) - out_len
    perm = np.repeat(block_start[by_rank] - out_start, out_len) + np.arange(len(trip))
    ps = np.concatenate(row_ps)[perm]
    stop_names = np.array(ps_stop, dtype=object)
    stop_cats, stop_codes = np.unique(stop_names, return_inverse=True)
    df = pd.DataFrame(
        {
            "trip_id": pd.Categorical.from_codes(rank[trip[perm]], categories=names[order]),
            "arrival_time": format_times(np.concatenate(row_arr)[perm]),
            "departure_time": format_times(np.concatenate(row_dep)[perm]),
            "stop_id": pd.Categorical.from_codes(stop_codes[ps], categories=stop_cats),
            "stop_sequence": np.concatenate(ps_seq)[ps],
            "shape_dist_traveled": np.concatenate(ps_dist)[ps],
            "timepoint": np.concatenate(row_tp)[perm],
        }
    )
    if any(ps_untimed):  # no time at these stops: blank cells
        blank = np.asarray(ps_untimed, dtype=bool)[ps]
        for col in ("arrival_time", "departure_time"):
            cat = df[col].array
            df[col] = pd.Categorical.from_codes(
                np.where(blank, -1, cat.codes), categories=cat.categories
            )
    if comp.net.literal:  # timepoint as given, blank where not given
        df["timepoint"] = pd.array(ps_tpv, dtype="Int64").take(ps)
    if any(ps_extra):
        for key in sorted({k for e in ps_extra for k in e} - set(df.columns)):
            df[key] = pd.array([e.get(key) for e in ps_extra], dtype="str").take(ps)
    for col, values, dtype in (
        ("stop_headsign", ps_head, None),
        ("pickup_type", ps_pick, "Int64"),
        ("drop_off_type", ps_drop, "Int64"),
    ):
        if any(v is not None for v in values):
            arr = pd.array(values, dtype=dtype) if dtype else pd.array(values, dtype="str")
            df[col] = arr.take(ps)
    return df


def build_frequencies(comp: Compiler) -> pd.DataFrame:
    rows = [
        {
            "trip_id": t,
            "start_time": hhmmss(s),
            "end_time": hhmmss(e),
            "headway_secs": h,
            "exact_times": x,
        }
        for t, s, e, h, x in comp.frequencies
    ]
    return pd.DataFrame(rows)


def build_shapes(comp: Compiler) -> pd.DataFrame:
    if not comp.shapes:
        return pd.DataFrame()
    if comp.net.literal:  # every point as given: no rounding, distances only where given
        ids = list(comp.shapes)
        lats, lons, cums = zip(*comp.shapes.values(), strict=True)
        sizes = np.array([len(a) for a in lats])
        return pd.DataFrame(
            {
                "shape_id": np.repeat(np.array(ids, dtype=object), sizes),
                "shape_pt_lat": np.concatenate(lats),
                "shape_pt_lon": np.concatenate(lons),
                "shape_pt_sequence": np.concatenate([np.arange(1, n + 1) for n in sizes]),
                "shape_dist_traveled": np.concatenate(cums),
            }
        )
    ids = list(comp.shapes)
    lats, lons, cums = zip(*comp.shapes.values(), strict=True)
    sizes = np.array([len(a) for a in lats])
    return pd.DataFrame(
        {
            "shape_id": np.repeat(np.array(ids, dtype=object), sizes),
            "shape_pt_lat": np.round(np.concatenate(lats), 6),
            "shape_pt_lon": np.round(np.concatenate(lons), 6),
            "shape_pt_sequence": np.concatenate([np.arange(1, n + 1) for n in sizes]),
            "shape_dist_traveled": np.round(np.concatenate(cums), 3),
        }
    )
