"""GTFS tables → a literal source (``literal: true``): plain data ready to be written as JSON.

Trips that share everything but their times (route, direction, shape, headsign, accessibility
and the whole per-stop sequence: stop, headsign, pickup/drop-off, distance, timepoint, blank
times, unknown columns) become one pattern. Within a pattern the most common run-time profile
becomes the pattern's ``run``/``dwell`` and its trips a ``departures`` list; a trip with other run
times keeps an explicit ``times`` table. Grouping is vectorised: one integer code per stop_times
row, then one bytes key per trip.
"""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gtfs_builder.importer.read import FeedImportError, RawFeed
from gtfs_builder.source.loader import WEEKDAYS  # the source format's day names
from gtfs_builder.spec import CALENDAR_DAYS

# GTFS column → source key, per table the source format models. Any other column → ``extra``.
AGENCY = {
    "agency_id": "id", "agency_name": "name", "agency_url": "url", "agency_timezone": "timezone",
    "agency_lang": "lang", "agency_phone": "phone", "agency_fare_url": "fare_url",
    "agency_email": "email",
}  # fmt: skip
STOPS = {
    "stop_id": "id", "stop_code": "code", "stop_name": "name", "stop_desc": "desc",
    "stop_lat": "lat", "stop_lon": "lon", "stop_url": "url", "location_type": "location_type",
    "parent_station": "parent", "stop_timezone": "timezone",
    "wheelchair_boarding": "wheelchair_boarding", "platform_code": "platform_code",
}  # fmt: skip
ROUTES = {
    "route_id": "id", "agency_id": "agency", "route_short_name": "short_name",
    "route_long_name": "long_name", "route_desc": "desc", "route_type": "type",
    "route_url": "url", "route_color": "color", "route_text_color": "text_color",
    "route_sort_order": "sort_order",
}  # fmt: skip
FEED = {
    "feed_publisher_name": "publisher_name", "feed_publisher_url": "publisher_url",
    "feed_lang": "lang", "default_lang": "default_lang", "feed_start_date": "start_date",
    "feed_end_date": "end_date", "feed_version": "version",
    "feed_contact_email": "contact_email", "feed_contact_url": "contact_url",
}  # fmt: skip
TRANSFERS = {
    "from_stop_id": "from", "to_stop_id": "to", "from_route_id": "from_route",
    "to_route_id": "to_route", "transfer_type": "type", "min_transfer_time": "min_time",
}  # fmt: skip
TRANSLATIONS = {
    "table_name": "table", "field_name": "field", "language": "language",
    "translation": "translation", "record_id": "record_id", "record_sub_id": "record_sub_id",
    "field_value": "field_value",
}  # fmt: skip
TRIP_COLS = (
    "route_id", "service_id", "trip_id", "trip_headsign", "trip_short_name", "direction_id",
    "block_id", "shape_id", "wheelchair_accessible", "bikes_allowed",
)  # fmt: skip
# trip columns that make the pattern (the rest is per trip)
PATTERN_TRIP_COLS = (
    "route_id", "direction_id", "shape_id", "trip_headsign", "wheelchair_accessible",
    "bikes_allowed",
)  # fmt: skip
STOP_TIME_COLS = (
    "trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "stop_headsign",
    "pickup_type", "drop_off_type", "shape_dist_traveled", "timepoint",
)  # fmt: skip
INT_KEYS = {"location_type", "wheelchair_boarding", "type", "sort_order"}
FLOAT_KEYS = {"lat", "lon"}
# Tables turned into source sections; every other file is kept as it is in files/.
MODELED = {
    "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
    "calendar_dates.txt", "shapes.txt", "feed_info.txt", "transfers.txt", "translations.txt",
}  # fmt: skip
MISSING = -(10**9)
MIN_RUN = 4  # departures at one headway before they become a frequency (--headways)


@dataclass
class Converted:
    """The source documents (file name → data) and the files kept verbatim in ``files/``."""

    documents: dict[str, dict[str, Any]]
    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _cell(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v)
    return s if s != "" else None


def _date(v: str) -> str:
    return f"{v[:4]}-{v[4:6]}-{v[6:8]}"


def hhmmss(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"


def duration(secs: int) -> int | str:
    """Whole minutes as a number, anything else as H:MM:SS (the source's duration forms)."""
    if secs % 60 == 0:
        return secs // 60
    return f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"


def _entities(
    df: pd.DataFrame, mapping: dict[str, str], header: list[str]
) -> list[dict[str, Any]]:
    """Rows → source entries: known columns under their source key, the rest under ``extra``."""
    out = []
    extra_cols = [c for c in header if c not in mapping and c in df.columns]
    cols = [c for c in mapping if c in df.columns]
    for row in df[cols + extra_cols].itertuples(index=False, name=None):
        entry: dict[str, Any] = {}
        for col, v in zip(cols, row[: len(cols)], strict=True):
            v = _cell(v)
            if v is None:
                continue
            key = mapping[col]
            if key in INT_KEYS:
                entry[key] = int(v)
            elif key in FLOAT_KEYS:
                entry[key] = float(v)
            else:
                entry[key] = v
        extra = {c: v for c, v in zip(extra_cols, row[len(cols) :], strict=True) if _cell(v)}
        if extra:
            entry["extra"] = extra
        out.append(entry)
    return out


def _floats(col: pd.Series) -> np.ndarray:
    """Numbers written as text → float64 (NaN when empty), converted by pyarrow."""
    return col.replace("", None).astype("float64").to_numpy(dtype=float, na_value=np.nan)


def _time_texts(secs: np.ndarray) -> np.ndarray:
    """Seconds → "HH:MM:SS" ("" for NaN), formatted once per distinct value."""
    valid = ~np.isnan(secs)
    uniq, inv = np.unique(secs[valid].astype(np.int64), return_inverse=True)
    labels = np.array([hhmmss(s) for s in uniq.tolist()], dtype=object)
    out = np.full(len(secs), "", dtype=object)
    out[valid] = labels[inv.ravel()]
    return out


def _time_seconds(col: pd.Series) -> np.ndarray:
    """H:MM:SS → seconds (float, NaN when empty); parsed once per distinct value."""
    codes, uniq = pd.factorize(col)
    values = np.full(len(uniq) + 1, np.nan)
    for i, t in enumerate(uniq):
        t = str(t).strip()
        if t:
            try:
                h, m, s = t.split(":")
                values[i] = int(h) * 3600 + int(m) * 60 + int(s)
            except ValueError:
                raise FeedImportError(
                    f"stop_times.txt: {col.name}: {t!r} is not a time (expected H:MM:SS)"
                ) from None
    return values[codes]  # code -1 (missing) → the trailing NaN


def convert(feed: RawFeed, *, headways: bool = False) -> Converted:
    """The source documents for ``feed``; ``headways``: turn runs of trips at a regular headway
    into expanded ``frequencies`` (their trip ids become generated ones)."""
    out = Converted({}, {})
    net: dict[str, Any] = {"format": 1, "literal": True}
    fi = feed.table("feed_info.txt")
    if len(fi) == 1:
        entry = _entities(fi, FEED, feed.headers["feed_info.txt"])[0]
        for key in ("start_date", "end_date"):
            if key in entry:
                entry[key] = _date(entry[key])
        net["feed"] = entry
    elif len(fi) > 1:
        out.files["feed_info.txt"] = feed.raw["feed_info.txt"]
        out.notes.append("feed_info.txt has several rows: kept as it is in files/")
    net["agencies"] = _entities(feed.table("agency.txt"), AGENCY, feed.headers["agency.txt"])
    services, calendar_dates_kept = _services(feed)
    if calendar_dates_kept:
        out.files["calendar_dates.txt"] = feed.raw["calendar_dates.txt"]
        out.notes.append("calendar_dates.txt has unknown columns: kept as it is in files/")
    net["services"] = services
    if "transfers.txt" in feed.tables and len(feed.tables["transfers.txt"]):
        transfers = _entities(
            feed.tables["transfers.txt"], TRANSFERS, feed.headers["transfers.txt"]
        )
        for t in transfers:
            if "type" in t:
                t["type"] = int(t["type"])
            if "min_time" in t:
                t["min_time"] = duration(int(t["min_time"]))
        net["transfers"] = transfers
    if "translations.txt" in feed.tables and len(feed.tables["translations.txt"]):
        net["translations"] = _entities(
            feed.tables["translations.txt"], TRANSLATIONS, feed.headers["translations.txt"]
        )
    out.documents["network.json"] = net
    stops = _entities(feed.table("stops.txt"), STOPS, feed.headers["stops.txt"])
    out.documents["stops.json"] = {"stops": stops}
    routes, counts, notes = _routes(feed, _referenced_trips(feed) if headways else None)
    out.documents["routes.json"] = {"routes": routes}
    out.notes += notes
    shapes = _shapes(feed)
    if shapes is not None:
        out.documents["shapes.json"] = {"shapes": shapes}
    elif "shapes.txt" in feed.raw:
        out.files["shapes.txt"] = feed.raw["shapes.txt"]
    for name, data in feed.raw.items():  # tables or not (a licence text): copied byte for byte
        if name not in MODELED:
            out.files[name] = data
    out.files.update(feed.others)  # locations.geojson, a README, a logo ...
    out.counts = {"agencies": len(net["agencies"]), "stops": len(stops), "routes": len(routes)}
    out.counts.update(counts)
    out.counts["services"] = len(services)
    out.counts["shapes"] = len(shapes or [])
    out.counts["files kept"] = len(out.files)
    return out


def _services(feed: RawFeed) -> tuple[list[dict[str, Any]], bool]:
    """calendar + calendar_dates → services; True when calendar_dates must be kept verbatim."""
    services: dict[str, dict[str, Any]] = {}
    cal = feed.table("calendar.txt")
    if len(cal):
        extra_cols = [
            c
            for c in feed.headers["calendar.txt"]
            if c not in CALENDAR_DAYS and c not in ("service_id", "start_date", "end_date")
        ]
        for row in cal.to_dict("records"):
            s: dict[str, Any] = {"id": row["service_id"]}
            s["days"] = [w for w, d in zip(WEEKDAYS, CALENDAR_DAYS, strict=True) if row[d] == "1"]
            s["start_date"] = _date(row["start_date"])
            s["end_date"] = _date(row["end_date"])
            extra = {c: row[c] for c in extra_cols if row.get(c)}
            if extra:
                s["extra"] = extra
            services[s["id"]] = s
    cd = feed.table("calendar_dates.txt")
    keep = bool(len(cd)) and any(
        c not in ("service_id", "date", "exception_type") and cd[c].ne("").any()
        for c in feed.headers.get("calendar_dates.txt", [])
    )
    if len(cd):
        for sid, date, kind in cd[["service_id", "date", "exception_type"]].itertuples(
            index=False, name=None
        ):
            s = services.setdefault(sid, {"id": sid})
            if not keep:
                s.setdefault("added" if kind == "1" else "removed", []).append(_date(date))
    return list(services.values()), keep


def _shapes(feed: RawFeed) -> list[dict[str, Any]] | None:
    """shapes.txt → ``shapes`` (points with their distances); None to keep the file verbatim."""
    df = feed.table("shapes.txt")
    if df.empty:
        return []
    known = {"shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"}
    if any(c not in known and df[c].ne("").any() for c in df.columns):
        return None
    ids, names = pd.factorize(df["shape_id"])
    order = np.lexsort((_floats(df["shape_pt_sequence"]), ids))
    cols = [_floats(df["shape_pt_lat"])[order], _floats(df["shape_pt_lon"])[order]]
    if "shape_dist_traveled" in df.columns and df["shape_dist_traveled"].ne("").any():
        cols.append(_floats(df["shape_dist_traveled"])[order])
    # nested lists made by numpy in C; a point without a distance loses its NaN third value
    points = np.stack(cols, axis=1).tolist()
    if len(cols) == 3:
        for i in np.flatnonzero(np.isnan(cols[2])).tolist():
            points[i] = points[i][:2]
    sid = ids[order]
    bounds = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1], True]).tolist()
    out = [
        {"id": str(names[sid[a]]), "points": points[a:b]}
        for a, b in itertools.pairwise(bounds)
    ]
    return out


# --------------------------------------------------------------------------- routes & patterns


def _referenced_trips(feed: RawFeed) -> set[str]:
    """Trip ids named outside trips.txt and stop_times.txt: these must keep their ids."""
    out: set[str] = set()
    for name, data in feed.raw.items():
        if name in ("trips.txt", "stop_times.txt"):
            continue
        df = feed.tables.get(name)
        if df is None:
            try:
                df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            except (ValueError, UnicodeDecodeError):
                continue
        for col in df.columns:
            if col.endswith("trip_id"):
                out |= set(df[col])
        if name == "translations.txt" and "record_id" in df.columns:
            out |= set(df.loc[df["table_name"] == "trips", "record_id"])
    return out


def regular_runs(deps: list[int], min_run: int = MIN_RUN) -> list[tuple[int, int]]:
    """Maximal [i, j) runs of at least ``min_run`` sorted departures at one constant headway."""
    runs = []
    i = 0
    n = len(deps)
    while i < n - 1:
        h = deps[i + 1] - deps[i]
        j = i + 1
        while j + 1 < n and deps[j + 1] - deps[j] == h:
            j += 1
        if h > 0 and j + 1 - i >= min_run:
            runs.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    return runs


def _to_frequencies(pat: dict[str, Any], referenced: set[str]) -> int:
    """Replace regular runs of a pattern's departures by expanded frequencies: only for trips
    that nothing else names and that carry nothing of their own (short name, block, extra), so
    the rebuilt trips are identical but for their ids. Returns the number of trips converted."""
    converted = 0
    freqs = pat.setdefault("frequencies", [])
    kept = []
    for g in pat["trips"]:
        plain = "departures" in g and not ({"short_names", "blocks", "extra"} & set(g))
        if not plain or referenced & set(g["ids"]):
            kept.append(g)
            continue
        secs = [_parse(d) for d in g["departures"]]
        taken = set()
        for i, j in regular_runs(secs):
            h = secs[i + 1] - secs[i]
            freqs.append(
                {
                    "id": f"{pat['id']}~f{len(freqs) + 1}",
                    "service": g["service"],
                    "start": g["departures"][i],
                    "end": hhmmss(secs[j - 1] + h),
                    "headway_secs": h,
                    "exact_times": True,
                    "expand": True,
                }
            )
            taken |= set(range(i, j))
            converted += j - i
        rest = [k for k in range(len(secs)) if k not in taken]
        if rest:
            kept.append(
                {
                    **g,
                    "departures": [g["departures"][k] for k in rest],
                    "ids": [g["ids"][k] for k in rest],
                }
            )
    pat["trips"] = kept
    if not freqs:
        del pat["frequencies"]
    return converted


def _parse(t: str) -> int:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _routes(
    feed: RawFeed, referenced: set[str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
    notes: list[str] = []
    routes = _entities(feed.table("routes.txt"), ROUTES, feed.headers["routes.txt"])
    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    trip_header = feed.headers["trips.txt"]
    trip_extra = [c for c in trip_header if c not in TRIP_COLS and trips[c].ne("").any()]
    st_extra = [
        c
        for c in feed.headers["stop_times.txt"]
        if c not in STOP_TIME_COLS and st[c].ne("").any()
    ]
    # -- stop_times rows in (trip, sequence) order, each trip contiguous
    trip_codes, trip_names = pd.factorize(st["trip_id"])
    seq = _floats(st["stop_sequence"])
    order = np.lexsort((seq, trip_codes))
    tcode = trip_codes[order]
    arr = _time_seconds(st["arrival_time"])[order]
    dep = _time_seconds(st["departure_time"])[order]
    untimed = np.isnan(arr) & np.isnan(dep)
    partial = np.isnan(arr) ^ np.isnan(dep)
    key_cols = ["stop_id", "stop_headsign", "pickup_type", "drop_off_type"]
    key_cols += ["shape_dist_traveled", "timepoint", *st_extra]
    key_cols = [c for c in key_cols if c in st.columns]
    codes = np.empty((len(order), len(key_cols) + 1), dtype=np.int64)
    for j, c in enumerate(key_cols):
        codes[:, j] = pd.factorize(st[c])[0][order]
    codes[:, -1] = untimed
    row_key = pd.DataFrame(codes).groupby(list(range(codes.shape[1])), sort=False).ngroup()
    row_key = row_key.to_numpy(dtype=np.int64)
    st_sorted = {c: st[c].to_numpy(dtype=object)[order] for c in key_cols}
    bounds = np.flatnonzero(np.r_[True, tcode[1:] != tcode[:-1], True])
    starts, ends = bounds[:-1], bounds[1:]
    first_dep = np.where(np.isnan(dep[starts]), arr[starts], dep[starts])
    # -- per trip, vectorised: its run-time signature (offsets from its first departure, as
    # bytes) and whether a pattern's run/dwell can express it (no half-given times, the same
    # arrival and departure at both ends)
    row_trip = np.repeat(np.arange(len(starts)), ends - starts)
    off = np.stack([arr, dep], axis=1) - first_dep[row_trip][:, None]
    sig_rows = np.where(np.isnan(off), MISSING, off).astype(np.int64)
    last = ends - 1
    fits = (
        (np.add.reduceat(partial.astype(np.int64), starts) == 0 if len(starts) else starts > 0)
        & (off[starts, 0] == 0)
        & (off[last, 0] == off[last, 1])
    )
    # each row's entry in an explicit timetable: None (no time), "HH:MM:SS" (arrival =
    # departure), or {arrival, departure}
    arr_s, dep_s = _time_texts(arr), _time_texts(dep)
    entry_of = np.where(untimed, None, np.where(arr == dep, arr_s, None))
    for r in np.flatnonzero(~untimed & (arr != dep)).tolist():
        e = {}
        if arr_s[r]:
            e["arrival"] = arr_s[r]
        if dep_s[r]:
            e["departure"] = dep_s[r]
        entry_of[r] = e
    first_s = np.where(np.isnan(dep[starts]), arr_s[starts], dep_s[starts])
    # -- trip attributes
    tattr = trips.set_index("trip_id", drop=False)
    missing_trips = set(trips["trip_id"]) - set(trip_names)
    if missing_trips:
        notes.append(
            f"{len(missing_trips)} trip(s) without stop_times, e.g. {sorted(missing_trips)[0]}: "
            "a pattern needs stops, so these trips are NOT imported"
        )
    cols = {c: tattr[c].reindex(trip_names).to_numpy(dtype=object) for c in trips.columns}
    none = np.full(len(trip_names), None, dtype=object)
    for c in TRIP_COLS:
        cols.setdefault(c, none)
    pattern_key_cols = [c for c in PATTERN_TRIP_COLS if c in cols]
    patterns: dict[tuple, dict[str, Any]] = {}
    per_route: dict[str, list[dict[str, Any]]] = {}
    rk_bytes = row_key.astype(np.int64)
    ps_int = {"pickup_type": "pickup", "drop_off_type": "drop_off", "timepoint": "timepoint"}
    for t in range(len(starts)):
        a, b = int(starts[t]), int(ends[t])
        pkey = (tuple(cols[c][t] for c in pattern_key_cols), rk_bytes[a:b].tobytes())
        pat = patterns.get(pkey)
        if pat is None:
            route_id = cols["route_id"][t]
            plist = per_route.setdefault(route_id, [])
            pat = {"id": f"{route_id}~{len(plist) + 1}"}
            attrs = dict(zip(pattern_key_cols, pkey[0], strict=True))
            if _cell(attrs.get("trip_headsign")):
                pat["headsign"] = attrs["trip_headsign"]
            for col, key in (
                ("direction_id", "direction"),
                ("wheelchair_accessible", "wheelchair_accessible"),
                ("bikes_allowed", "bikes_allowed"),
            ):
                if _cell(attrs.get(col)):
                    pat[key] = int(attrs[col])
            if _cell(attrs.get("shape_id")):
                pat["shape"] = {"id": attrs["shape_id"]}
            pstops = []
            for r in range(a, b):
                ps: dict[str, Any] = {"stop": st_sorted["stop_id"][r]}
                for col in key_cols[1:]:
                    v = _cell(st_sorted[col][r])
                    if v is None:
                        continue
                    if col == "stop_headsign":
                        ps["headsign"] = v
                    elif col in ps_int:
                        ps[ps_int[col]] = int(v)
                    elif col == "shape_dist_traveled":
                        ps["dist"] = float(v)
                    else:
                        ps.setdefault("extra", {})[col] = v
                if untimed[r]:
                    ps["untimed"] = True
                pstops.append(ps)
            pat["stops"] = pstops
            pat["_trips"] = []
            plist.append(pat)
            patterns[pkey] = pat
        pat["_trips"].append(t)
    # -- per pattern: the reference run times, departures lists, explicit timetables
    n_regular = n_explicit = n_freq = 0
    for pat in patterns.values():
        tids = pat.pop("_trips")
        sigs = {t: (sig_rows[starts[t] : ends[t]].tobytes(), fits[t]) for t in tids}
        common = Counter(sig for sig, ok in sigs.values() if ok).most_common(1)
        ref = common[0][0] if common else None
        ref_t = next((t for t in tids if sigs[t][0] == ref), tids[0])
        a, b = int(starts[ref_t]), int(ends[ref_t])
        _set_runs(pat["stops"], arr[a:b] - first_dep[ref_t], dep[a:b] - first_dep[ref_t], ref)
        groups: dict[tuple, dict[str, Any]] = {}
        entries: list[dict[str, Any]] = []
        for t in sorted(tids, key=lambda t: (first_dep[t], t)):
            extra = {c: cols[c][t] for c in trip_extra if _cell(cols[c][t])}
            service = cols["service_id"][t]
            if sigs[t][0] == ref:
                n_regular += 1
                gk = (service, json.dumps(extra, sort_keys=True))
                g = groups.get(gk)
                if g is None:
                    g = groups[gk] = {"service": service, "departures": [], "ids": []}
                    g["_short"], g["_block"] = [], []
                    if extra:
                        g["extra"] = extra
                    entries.append(g)
                g["departures"].append(first_s[t])
                g["ids"].append(cols["trip_id"][t])
                g["_short"].append(_cell(cols["trip_short_name"][t]))
                g["_block"].append(_cell(cols["block_id"][t]))
                continue
            n_explicit += 1
            a, b = int(starts[t]), int(ends[t])
            times = entry_of[a:b].tolist()
            entry: dict[str, Any] = {"id": cols["trip_id"][t], "service": service}
            short = _cell(cols["trip_short_name"][t])
            block = _cell(cols["block_id"][t])
            if short:
                entry["trip_short_name"] = short
            if block:
                entry["block"] = block
            if extra:
                entry["extra"] = extra
            entry["times"] = times
            entries.append(entry)
        for g in entries:
            if "_short" in g:
                short_l, block_l = g.pop("_short"), g.pop("_block")
                if any(short_l):
                    g["short_names"] = short_l
                if any(block_l):
                    g["blocks"] = block_l
        pat["trips"] = entries
        if referenced is not None:
            n_freq += _to_frequencies(pat, referenced)
    for r in routes:
        r["patterns"] = per_route.get(r["id"], [])
    unused = [r["id"] for r in routes if not r["patterns"]]
    if unused:
        notes.append(f"{len(unused)} route(s) without trips, e.g. {unused[0]}")
    counts = {
        "trips": len(starts),
        "patterns": len(patterns),
        "trips in departures lists": n_regular,
        "trips with their own times": n_explicit,
    }
    if referenced is not None:
        counts["trips as frequencies"] = n_freq
    return routes, counts, notes


def _set_runs(
    stops: list[dict[str, Any]], arr_off: np.ndarray, dep_off: np.ndarray, ref: bytes | None
) -> None:
    """The pattern's run/dwell from the reference trip (run 0 everywhere when there is none)."""
    prev = 0.0
    last = len(stops) - 1
    for k, ps in enumerate(stops):
        if k == 0:
            continue
        if ref is None or ps.get("untimed"):
            ps["run"] = 0
            continue
        ps["run"] = duration(int(arr_off[k] - prev))
        dwell = int(dep_off[k] - arr_off[k])
        if dwell and k < last:
            ps["dwell"] = duration(dwell)
        prev = float(dep_off[k])
