"""Load a GTFS feed into the arrays RAPTOR scans.

The feed is read once with pandas; everything per ``stop_times`` row is vectorised. Trips are
grouped into *patterns* (RAPTOR's "routes": one exact sequence of stops with the same pickup and
drop-off permissions), so a query scans a small dense matrix per pattern instead of rows.
Frequency-based trips become one template trip plus a list of start-time shifts.
Times stay "seconds since noon minus 12 h" of the service day (GTFS's definition, which makes
DST days right); a query turns them into absolute UTC seconds per service date.
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gtfs_builder.feedio import FeedFiles, FeedReadError
from gtfs_builder.spec import CALENDAR_DAYS


class PlanError(Exception):
    """A feed that cannot be planned on, or a query that does not fit the feed."""


class _ReadError(PlanError, FeedReadError):
    """feedio's located "cannot use this feed" error, raised as a PlanError for the CLI."""


def _read_tables(path: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The given GTFS files (zip or folder) read as the validator reads them, through feedio:
    string columns, NA for an empty cell; files the feed lacks are absent.

    A header the canonical loader refuses, or an entry that cannot be read, is a located
    PlanError (file, column, header), so ``validate`` and ``plan`` agree on what a feed holds.
    """
    if path.is_file() and not zipfile.is_zipfile(path):
        raise PlanError(f"{path}: not a GTFS zip or folder")
    out: dict[str, pd.DataFrame] = {}
    with FeedFiles(path, error=_ReadError) as feed:
        for name in names:
            if feed.has(name):
                frame = feed.read(name).frame.drop(columns=["csv_row"])
                out[name] = frame.replace("", np.nan)  # the code below treats "" as absent
    return out


def _arrow(s: pd.Series) -> pa.Array:
    return pa.array(s.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())


def parse_times(s: pd.Series) -> np.ndarray:
    """'H:MM:SS' (hours may exceed 24) -> seconds as float, NaN when empty or malformed.

    Done in pyarrow's C++ kernels: a Python-level regex per row costs seconds on big feeds.
    """
    parts = pc.extract_regex(pc.utf8_trim_whitespace(_arrow(s)),
                             r"^(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$")
    secs = None
    for name, mult in (("h", 3600), ("m", 60), ("s", 1)):
        part = pc.multiply(pc.cast(pc.struct_field(parts, name), pa.int64()), mult)
        secs = part if secs is None else pc.add(secs, part)
    return np.asarray(secs.to_numpy(zero_copy_only=False), dtype="float64")


def to_number(s: pd.Series, default: float = np.nan) -> np.ndarray:
    """Numeric column as float; empty or malformed -> ``default``. Fast path in pyarrow."""
    try:
        out = pc.cast(pc.utf8_trim_whitespace(_arrow(s)), pa.float64()).to_numpy(
            zero_copy_only=False)
        out = np.asarray(out, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(out), default, out)


def fold(text: str) -> str:
    """Case-, accent- and width-insensitive key for matching stop names typed by a person."""
    norm = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in norm if not unicodedata.combining(c)).split())


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-missing one: optional GTFS columns may be absent."""
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="string")


def _num(df: pd.DataFrame, name: str, default: float = 0) -> np.ndarray:
    return to_number(_col(df, name), default)


def _require(tables: dict[str, pd.DataFrame], name: str, cols: tuple[str, ...]) -> pd.DataFrame:
    df = tables.get(name)
    if df is None:
        raise PlanError(f"feed has no {name}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise PlanError(f"{name}: missing column(s) {', '.join(missing)}")
    return df


@dataclass
class Pattern:
    """Trips that visit the same stops in the same order with the same boarding rules."""

    stops: np.ndarray  # stop indices, length k
    can_board: np.ndarray  # bool, k
    can_alight: np.ndarray  # bool, k
    trips: np.ndarray  # template trip indices (into Timetable.trip_ids), n
    shifts: np.ndarray  # seconds added to the template's times, n (0 unless frequencies)
    arr: np.ndarray  # n x k seconds since service-day origin (template + shift)
    dep: np.ndarray  # n x k


@dataclass
class Timetable:
    """A feed reduced to what a journey search needs."""

    agency_tz: str
    stop_ids: np.ndarray  # object array of str
    stop_names: np.ndarray
    stop_tz: np.ndarray  # zone name per stop (own, parent's, or the agency's)
    parent: np.ndarray  # parent stop index or -1
    trip_ids: np.ndarray
    trip_service: np.ndarray  # service index per trip
    trip_route: np.ndarray  # route index per trip
    trip_label: np.ndarray  # trip_short_name, else trip_headsign, else trip_id
    route_ids: np.ndarray
    route_names: np.ndarray  # short name, else long name
    service_ids: np.ndarray
    calendar: pd.DataFrame  # service index, weekday flags, start, end (int YYYYMMDD)
    exceptions: pd.DataFrame  # service index, date (int YYYYMMDD), exception_type
    patterns: list[Pattern]
    stop_patterns: list[np.ndarray]  # per stop: indices of patterns that serve it
    footpaths: pd.DataFrame  # from_stop, to_stop, seconds
    max_day_seconds: int  # the latest time of any trip (to know how many days back to look)
    name_index: dict[str, set[int]] = field(default_factory=dict)  # folded name -> stop indices
    translated: dict[tuple[int, str], str] = field(default_factory=dict)  # (stop, lang) -> name
    stop_index: dict[str, int] = field(default_factory=dict)

    # ----------------------------------------------------------------------------------------
    def stop_name(self, stop: int, lang: str | None = None) -> str:
        """The stop's name in ``lang`` when the feed translates it, else its own name or id."""
        if lang:
            name = self.translated.get((stop, lang.lower()))
            if name is None:  # "zh" also finds "zh-Hans" and the like
                base = lang.lower().split("-")[0]
                name = next((v for (s, lg), v in self.translated.items()
                             if s == stop and lg.split("-")[0] == base), None)
            if name:
                return name
        return str(self.stop_names[stop] or self.stop_ids[stop])

    def active_services(self, date: dt.date) -> np.ndarray:
        """Bool per service: runs on ``date`` (calendar.txt days and range, then calendar_dates)."""
        active = np.zeros(len(self.service_ids), dtype=bool)
        ymd = date.year * 10000 + date.month * 100 + date.day
        cal = self.calendar
        if len(cal):
            day = cal[CALENDAR_DAYS[date.weekday()]] == 1
            on = day & (cal["start"] <= ymd) & (cal["end"] >= ymd)
            active[cal.loc[on, "service"].to_numpy()] = True
        exc = self.exceptions
        if len(exc):
            today = exc[exc["date"] == ymd]
            active[today.loc[today["exception_type"] == 1, "service"].to_numpy()] = True
            active[today.loc[today["exception_type"] == 2, "service"].to_numpy()] = False
        return active

    def day_origin(self, date: dt.date) -> int:
        """UTC epoch seconds of 'noon minus 12 h' on ``date`` in the agency zone (GTFS time 0)."""
        noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=ZoneInfo(self.agency_tz))
        return int(noon.timestamp()) - 12 * 3600

    def resolve_stop(self, text: str) -> list[int]:
        """Stop indices for a stop_id or a stop name (any translation); stations expand to children.

        Raises PlanError when nothing matches or a name matches several unrelated stops.
        """
        if text in self.stop_index:
            hits = {self.stop_index[text]}
        else:
            key = fold(text)
            hits = set(self.name_index.get(key, set()))
            if not hits:  # unique prefix match on any name, as a convenience
                for k, v in self.name_index.items():
                    if key and k.startswith(key):
                        hits |= v
            if not hits:
                raise PlanError(f"no stop with id or name {text!r}")
            # Several hits are fine when they are one station and its platforms.
            roots = {int(self.parent[i]) if self.parent[i] >= 0 else i for i in hits}
            if len(roots) > 1:
                names = sorted(f"{self.stop_ids[i]} ({self.stop_names[i]})" for i in roots)
                raise PlanError(f"stop name {text!r} is ambiguous: {', '.join(names)}")
        out = set(hits)
        for i in hits:  # a station means any of its platforms
            out |= set(np.flatnonzero(self.parent == i).tolist())
        return sorted(out)


def load_timetable(path: str | Path, *, same_station_transfer: int = 0) -> Timetable:
    """Read a GTFS zip or folder into a :class:`Timetable`.

    ``same_station_transfer`` is the walking time in seconds assumed between platforms that share
    a ``parent_station`` when ``transfers.txt`` says nothing about them.
    """
    path = Path(path)
    if not path.exists():
        raise PlanError(f"{path}: no such file or folder")
    names = (
        "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
        "calendar_dates.txt", "frequencies.txt", "transfers.txt", "translations.txt",
    )
    t = _read_tables(path, names)
    agency = _require(t, "agency.txt", ("agency_timezone",))
    stops = _require(t, "stops.txt", ("stop_id",))
    routes = _require(t, "routes.txt", ("route_id",))
    trips = _require(t, "trips.txt", ("trip_id", "route_id", "service_id"))
    st = _require(t, "stop_times.txt", ("trip_id", "stop_id", "stop_sequence"))
    if "calendar.txt" not in t and "calendar_dates.txt" not in t:
        raise PlanError("feed has neither calendar.txt nor calendar_dates.txt")
    if not len(agency):
        raise PlanError("agency.txt has no rows")
    agency_tz = str(agency["agency_timezone"].iloc[0]).strip()
    try:
        ZoneInfo(agency_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(f"agency.txt: unknown agency_timezone {agency_tz!r}") from None

    # --- stops ---------------------------------------------------------------------------------
    stops = stops.dropna(subset=["stop_id"]).drop_duplicates("stop_id").reset_index(drop=True)
    for col in ("stop_name", "parent_station", "stop_timezone"):
        if col not in stops.columns:
            stops[col] = pd.NA
    stop_ids = stops["stop_id"].to_numpy(dtype=object)
    stop_index = {s: i for i, s in enumerate(stop_ids)}
    sidx = pd.Index(stop_ids)
    parent = sidx.get_indexer(stops["parent_station"].fillna("").to_numpy(dtype=object))
    own_tz = stops["stop_timezone"].astype("string").str.strip()
    parent_tz = pd.Series(own_tz.to_numpy(dtype=object)[np.where(parent >= 0, parent, 0)])
    parent_tz[parent < 0] = pd.NA
    stop_tz = own_tz.fillna(parent_tz.astype("string")).fillna(agency_tz).to_numpy(dtype=object)
    for z in set(stop_tz):
        try:
            ZoneInfo(z)
        except (ZoneInfoNotFoundError, ValueError):
            raise PlanError(f"stops.txt: unknown stop_timezone {z!r}") from None
    stop_names = stops["stop_name"].fillna("").to_numpy(dtype=object)

    name_index: dict[str, set[int]] = {}
    translated: dict[tuple[int, str], str] = {}

    def add_name(name: object, i: int, lang: object = None) -> None:
        if isinstance(name, str) and name.strip():
            name_index.setdefault(fold(name), set()).add(i)
            if isinstance(lang, str):
                translated.setdefault((i, lang.strip().lower()), name)

    for i, n in enumerate(stop_names):
        add_name(n, i)
    tr = t.get("translations.txt")
    if tr is not None and {"table_name", "field_name", "translation"} <= set(tr.columns):
        tr = tr[(tr["table_name"] == "stops") & (tr["field_name"] == "stop_name")]
        tr = tr.assign(language=_col(tr, "language"))
        if "record_id" in tr.columns:
            by_id = tr.dropna(subset=["record_id"])[["record_id", "translation", "language"]]
            for rid, text, lang in by_id.values:
                if rid in stop_index:
                    add_name(text, stop_index[rid], lang)
        if "field_value" in tr.columns:
            by_name: dict[str, list[int]] = {}
            for i, n in enumerate(stop_names):
                by_name.setdefault(n, []).append(i)
            by_value = tr.dropna(subset=["field_value"])[["field_value", "translation", "language"]]
            for val, text, lang in by_value.values:
                for i in by_name.get(val, []):
                    add_name(text, i, lang)

    # --- routes, services, trips ---------------------------------------------------------------
    routes = routes.drop_duplicates("route_id").reset_index(drop=True)
    route_ids = routes["route_id"].to_numpy(dtype=object)
    route_names = _col(routes, "route_short_name").fillna(_col(routes, "route_long_name"))
    route_names = route_names.fillna(routes["route_id"]).to_numpy(dtype=object)

    cal = t.get("calendar.txt", pd.DataFrame(columns=["service_id", *CALENDAR_DAYS]))
    cdates = t.get("calendar_dates.txt", pd.DataFrame(columns=["service_id", "date"]))
    service_ids = pd.unique(
        pd.concat([trips["service_id"], _col(cal, "service_id"), _col(cdates, "service_id")])
        .dropna().astype(str)
    )
    svc_index = pd.Index(service_ids)
    calendar = pd.DataFrame({"service": svc_index.get_indexer(_col(cal, "service_id").astype(str))})
    for d in CALENDAR_DAYS:
        calendar[d] = _num(cal, d).astype(int)
    calendar["start"] = _num(cal, "start_date").astype(int)
    calendar["end"] = _num(cal, "end_date").astype(int)
    calendar = calendar[calendar["service"] >= 0].reset_index(drop=True)
    exceptions = pd.DataFrame({
        "service": svc_index.get_indexer(_col(cdates, "service_id").astype(str)),
        "date": _num(cdates, "date").astype(int),
        "exception_type": _num(cdates, "exception_type").astype(int),
    })
    exceptions = exceptions[exceptions["service"] >= 0].reset_index(drop=True)

    trips = trips.dropna(subset=["trip_id"]).drop_duplicates("trip_id").reset_index(drop=True)
    trip_ids = trips["trip_id"].to_numpy(dtype=object)
    trip_route = pd.Index(route_ids).get_indexer(trips["route_id"].astype(str))
    trip_service = svc_index.get_indexer(trips["service_id"].astype(str))
    label = _col(trips, "trip_short_name").fillna(_col(trips, "trip_headsign"))
    trip_label = label.fillna(trips["trip_id"]).to_numpy(dtype=object)

    # --- stop_times: sort, interpolate untimed stops, build patterns ----------------------------
    st = pd.DataFrame({
        "trip": pd.Index(trip_ids).get_indexer(st["trip_id"].astype(str)),
        "stop": sidx.get_indexer(st["stop_id"].astype(str)),
        "seq": to_number(st["stop_sequence"]),
        "arr": parse_times(_col(st, "arrival_time")),
        "dep": parse_times(_col(st, "departure_time")),
        "pickup": _num(st, "pickup_type").astype(int),
        "dropoff": _num(st, "drop_off_type").astype(int),
    })
    st = st[(st["trip"] >= 0) & (st["stop"] >= 0) & st["seq"].notna()]
    st = st.sort_values(["trip", "seq"], kind="stable").reset_index(drop=True)
    st["arr"] = st["arr"].fillna(st["dep"])
    st["dep"] = st["dep"].fillna(st["arr"])
    if st["arr"].isna().any():  # untimed intermediate stops: interpolate by position in the trip
        st["arr"] = st.groupby("trip")["arr"].transform(
            lambda s: s.interpolate(limit_area="inside"))
        st["dep"] = st["dep"].fillna(st["arr"])
        bad = st.loc[st["arr"].isna(), "trip"].unique()
        st = st[~st["trip"].isin(bad)]  # trips without first/last times cannot be planned
    trip_arr = st["trip"].to_numpy()
    starts = np.flatnonzero(np.r_[True, trip_arr[1:] != trip_arr[:-1]]) if len(st) else np.array(
        [], dtype=int)
    lengths = np.diff(np.r_[starts, len(st)])
    keep = lengths >= 2  # a one-stop trip carries nobody anywhere
    starts, lengths = starts[keep], lengths[keep]
    first_trip = trip_arr[starts]

    # Pattern key: stop sequence with boarding permissions, as bytes.
    code = (st["stop"].to_numpy(dtype=np.int64) * 4
            + (st["pickup"].to_numpy() != 1) * 2 + (st["dropoff"].to_numpy() != 1))
    keys = [code[s:s + n].tobytes() for s, n in zip(starts, lengths, strict=True)]
    pat_of_key: dict[bytes, int] = {}
    trip_pattern = np.array([pat_of_key.setdefault(k, len(pat_of_key)) for k in keys], dtype=int)

    # Frequencies: template trip + shifts (start_time + n * headway, below end_time).
    shifts_by_trip: dict[int, np.ndarray] = {}
    fq = t.get("frequencies.txt")
    if fq is not None and len(fq) and {"trip_id", "start_time", "end_time", "headway_secs"} <= set(
            fq.columns):
        fq = pd.DataFrame({
            "trip": pd.Index(trip_ids).get_indexer(fq["trip_id"].astype(str)),
            "start": parse_times(fq["start_time"]),
            "end": parse_times(fq["end_time"]),
            "headway": pd.to_numeric(fq["headway_secs"], errors="coerce").to_numpy(),
        }).dropna()
        fq = fq[(fq["trip"] >= 0) & (fq["headway"] > 0) & (fq["end"] > fq["start"])]
        first_dep = pd.Series(st["dep"].to_numpy()[starts], index=first_trip)
        for trip, grp in fq.groupby("trip"):
            if trip not in first_dep.index:
                continue
            base = first_dep[trip]
            windows = grp[["start", "end", "headway"]].values
            parts = [np.arange(a, b, h) - base for a, b, h in windows]
            shifts_by_trip[int(trip)] = np.concatenate(parts)

    arr_all = st["arr"].to_numpy()
    dep_all = st["dep"].to_numpy()
    stop_all = st["stop"].to_numpy()
    patterns: list[Pattern] = []
    order = np.argsort(trip_pattern, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(trip_pattern[order]) != 0, True])
    for b0, b1 in itertools.pairwise(bounds):
        members = order[b0:b1]
        k = int(lengths[members[0]])
        rows = starts[members][:, None] + np.arange(k)[None, :]
        tmpl_trips = first_trip[members]
        rep = np.array([len(shifts_by_trip.get(int(tr), [0])) for tr in tmpl_trips])
        shifts = np.concatenate([shifts_by_trip.get(int(tr), np.zeros(1)) for tr in tmpl_trips])
        rows = np.repeat(rows, rep, axis=0)
        c = code[rows[0]]
        patterns.append(Pattern(
            stops=stop_all[rows[0]],
            can_board=(c & 2) > 0,
            can_alight=(c & 1) > 0,
            trips=np.repeat(tmpl_trips, rep),
            shifts=shifts.astype(np.int64),
            arr=arr_all[rows] + shifts[:, None],
            dep=dep_all[rows] + shifts[:, None],
        ))
    stop_pat: list[list[int]] = [[] for _ in range(len(stop_ids))]
    for p, pat in enumerate(patterns):
        for s in np.unique(pat.stops):
            stop_pat[s].append(p)
    stop_patterns = [np.array(x, dtype=int) for x in stop_pat]
    max_time = max((float(np.nanmax(p.arr)) for p in patterns), default=0.0)

    # --- footpaths: transfers.txt, then platforms of one station --------------------------------
    fp = []
    tf = t.get("transfers.txt")
    if tf is not None and {"from_stop_id", "to_stop_id"} <= set(tf.columns) and len(tf):
        tf = pd.DataFrame({
            "from_stop": sidx.get_indexer(tf["from_stop_id"].fillna("").astype(str)),
            "to_stop": sidx.get_indexer(tf["to_stop_id"].fillna("").astype(str)),
            "type": _num(tf, "transfer_type").astype(int),
            "seconds": _num(tf, "min_transfer_time"),
        })
        tf = tf[(tf["from_stop"] >= 0) & (tf["to_stop"] >= 0) & tf["type"].isin([0, 1, 2])]
        fp.append(tf[["from_stop", "to_stop", "seconds"]])
    kids = pd.DataFrame({"stop": np.arange(len(stop_ids)), "parent": parent})
    kids = kids[kids["parent"] >= 0]
    if len(kids):
        pairs = kids.merge(kids, on="parent", suffixes=("_a", "_b"))
        pairs = pairs[pairs["stop_a"] != pairs["stop_b"]]
        fp.append(pd.DataFrame({"from_stop": pairs["stop_a"].to_numpy(),
                                "to_stop": pairs["stop_b"].to_numpy(),
                                "seconds": float(same_station_transfer)}))
    footpaths = (pd.concat(fp, ignore_index=True) if fp
                 else pd.DataFrame({"from_stop": [], "to_stop": [], "seconds": []}))
    footpaths = footpaths[footpaths["from_stop"] != footpaths["to_stop"]]
    # transfers.txt wins over the station default: keep the first row per pair.
    footpaths = footpaths.drop_duplicates(["from_stop", "to_stop"]).reset_index(drop=True)
    footpaths = footpaths.astype({"from_stop": int, "to_stop": int, "seconds": float})

    return Timetable(
        agency_tz=agency_tz, stop_ids=stop_ids, stop_names=stop_names, stop_tz=stop_tz,
        parent=parent, trip_ids=trip_ids, trip_service=trip_service, trip_route=trip_route,
        trip_label=trip_label, route_ids=route_ids, route_names=route_names,
        service_ids=np.asarray(service_ids, dtype=object), calendar=calendar,
        exceptions=exceptions, patterns=patterns, stop_patterns=stop_patterns,
        footpaths=footpaths, max_day_seconds=int(max_time) if max_time == max_time else 0,
        name_index=name_index, stop_index=stop_index, translated=translated,
    )
