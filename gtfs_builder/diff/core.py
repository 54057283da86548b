"""Compare two feed versions as a rider would: what runs, where, when.

Only rider-visible content counts: route and stop names, stop positions, which days each route
runs and how many trips it makes on each, the times trips call at stops, the stops they call at.
Ids, shapes, fares and URLs do not. Every step is columnar (numpy / pandas / Arrow): 2 M
``stop_times`` rows each side compare in seconds.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gtfs_builder.diff import match
from gtfs_builder.diff.days import describe_days, gtfs_time, mask_label
from gtfs_builder.diff.load import DiffInputError, Snapshot, day_iso, iso_day, load_snapshot
from gtfs_builder.diff.report import FeedDiff

FORMAT = "gtfs-builder-diff/1"
SEP = "\x1f"
STOP_MOVED_METRES = match.STOP_MATCH_METRES


def diff_feeds(
    old: str | Path | Snapshot,
    new: str | Path | Snapshot,
    *,
    dates: tuple[dt.date | str | None, dt.date | str | None] | None = None,
) -> FeedDiff:
    """What changed for riders between two GTFS zips or folders (``DiffInputError`` if unreadable).

    ``dates`` = (from, to) limits the per-day comparison; by default it spans both feeds'
    service windows (first to last day any service runs in either).
    """
    paths = [x for x in (old, new) if not isinstance(x, Snapshot)]
    if len(paths) == 2:  # the two reads overlap: Arrow's CSV parsing and unzip release the GIL
        with ThreadPoolExecutor(2) as pool:
            a, b = pool.map(load_snapshot, paths)
    else:
        a = old if isinstance(old, Snapshot) else load_snapshot(old)
        b = new if isinstance(new, Snapshot) else load_snapshot(new)
    window = _window(a, b, dates)
    return FeedDiff(Comparison(a, b, window).run())


def _window(
    a: Snapshot, b: Snapshot, dates: tuple[dt.date | str | None, dt.date | str | None] | None
) -> tuple[int, int] | None:
    wins = [w for w in (a.window, b.window) if w is not None]
    lo = min(w[0] for w in wins) if wins else None
    hi = max(w[1] for w in wins) if wins else None
    if dates is not None:
        got = []
        for label, value in zip(("--from", "--to"), dates, strict=True):
            if value is None or isinstance(value, dt.date):
                got.append(None if value is None else iso_day(value.isoformat()))
                continue
            try:
                got.append(iso_day(str(value)))
            except ValueError:
                raise DiffInputError(f"{label} {value!r} is not a YYYY-MM-DD date") from None
        lo = got[0] if got[0] is not None else lo
        hi = got[1] if got[1] is not None else hi
        if lo is not None and hi is not None and lo > hi:
            raise DiffInputError(f"--from {day_iso(lo)} is after --to {day_iso(hi)}")
    if lo is None or hi is None:
        return None
    return lo, hi


def _route_key(routes: pd.DataFrame) -> pd.Series:
    named = (routes["short_name"] != "") | (routes["long_name"] != "")
    key = (
        routes["agency"]
        + SEP
        + routes["short_name"]
        + SEP
        + routes["long_name"]
        + SEP
        + routes["route_type"]
    )
    return key.where(named, "")


def _validity(s: Snapshot) -> dict[str, str] | None:
    """feed_info's feed_start_date..feed_end_date (YYYY-MM-DD), None when neither is given:
    consumers stop offering a feed after its end date, so a change matters to riders."""
    start, end = s.feed_info.get("feed_start_date"), s.feed_info.get("feed_end_date")
    if not start and not end:
        return None

    def iso(v: str | None) -> str | None:
        return f"{v[:4]}-{v[4:6]}-{v[6:]}" if v and len(v) == 8 else v

    return {"from": iso(start), "to": iso(end)}


def _stop_key(stops: pd.DataFrame) -> pd.Series:
    """Name and position to 1e-6 degrees: copies of one stop pair in order, not all to one."""
    lat = stops["lat"].round(6).astype(str)
    lon = stops["lon"].round(6).astype(str)
    key = stops["stop_name"] + SEP + lat + SEP + lon
    return key.where((stops["stop_name"] != "") & stops["lat"].notna() & stops["lon"].notna(), "")


class Comparison:
    """Old (``a``) against new (``b``); every new-side key is mapped into the old row space."""

    def __init__(self, a: Snapshot, b: Snapshot, window: tuple[int, int] | None) -> None:
        self.a, self.b, self.window = a, b, window

    # ------------------------------------------------------------------ matching
    def match_all(self) -> None:
        a, b = self.a, self.b
        s_n2o, s_stage = match.pair(
            [a.stops["stop_id"], _stop_key(a.stops)], [b.stops["stop_id"], _stop_key(b.stops)]
        )
        match.pair_nearby(a.stops, b.stops, s_n2o, s_stage, 2)
        self.stop_n2o, self.stop_stage = s_n2o, s_stage
        self.stop_key_b = match.canonical(s_n2o, len(a.stops))

        r_n2o, r_stage = match.pair(
            [a.routes["route_id"], _route_key(a.routes)],
            [b.routes["route_id"], _route_key(b.routes)],
        )
        self.route_n2o, self.route_stage = r_n2o, r_stage
        self.route_key_b = match.canonical(r_n2o, len(a.routes))

        self.services_a = self._services(a)
        self.services_b = self._services(b)
        v_n2o, v_stage = match.pair(
            [self.services_a["service_id"], self.services_a["signature"]],
            [self.services_b["service_id"], self.services_b["signature"]],
        )
        self.service_n2o, self.service_stage = v_n2o, v_stage
        self.service_key_b = match.canonical(v_n2o, len(self.services_a))

        ta = self._trip_frame(
            a,
            np.arange(len(a.routes)),
            np.arange(len(a.stops)),
            self.services_a,
            np.arange(len(self.services_a)),
        )
        tb = self._trip_frame(
            b, self.route_key_b, self.stop_key_b, self.services_b, self.service_key_b
        )
        self.trips_a, self.trips_b = ta, tb
        t_n2o, t_stage = match.pair(
            [ta["k_id"], ta["k_time"], ta["k_name"]],
            [tb["k_id"], tb["k_time"], tb["k_name"]],
            order=(ta["first"].to_numpy(), tb["first"].to_numpy()),
        )
        self.trip_n2o, self.trip_stage = t_n2o, t_stage

    @staticmethod
    def _services(s: Snapshot) -> pd.DataFrame:
        """Every service id, with a hash of its exact set of days (its identity across ids)."""
        ids = pd.unique(
            pd.concat(
                [s.calendar["service_id"], s.service_dates["service_id"], s.trips["service_id"]]
            ).astype("str")
        )
        ids = np.sort(np.asarray(ids, dtype=object))
        sd = s.service_dates
        code = pd.Index(ids).get_indexer(sd["service_id"])
        order = np.argsort(code, kind="stable")
        counts = np.bincount(code, minlength=len(ids))
        starts = np.concatenate([[0], np.cumsum(counts)])
        sig = match.segment_sums(match.mix(sd["date"].to_numpy()[order]), starts)
        signature = [f"{h:016x}:{n}" if n else "" for h, n in zip(sig, counts, strict=True)]
        return pd.DataFrame({"service_id": ids, "signature": signature, "days": counts})

    @staticmethod
    def _trip_frame(
        s: Snapshot,
        route_key: np.ndarray,
        stop_key: np.ndarray,
        services: pd.DataFrame,
        service_key: np.ndarray,
    ) -> pd.DataFrame:
        """Per trip: route, service, first time, stop-pattern hash, and the three match keys."""
        counts = np.diff(s.trip_start)
        pos = np.arange(len(s.st_trip)) - s.trip_start[s.st_trip]
        with np.errstate(over="ignore"):
            row = match.mix(stop_key[s.st_stop].astype(np.uint64) << np.uint64(20)) ^ pos.astype(
                np.uint64
            )
        pattern = match.segment_sums(match.mix(row), s.trip_start)
        first = np.full(len(counts), -1, dtype=np.int64)
        has = counts > 0
        first[has] = s.st_time[s.trip_start[:-1][has]]
        route = route_key[s.trips["route"].to_numpy()]
        service = service_key[pd.Index(services["service_id"]).get_indexer(s.trips["service_id"])]
        frame = pd.DataFrame(
            {"route": route, "service": service, "first": first, "n": counts, "pattern": pattern}
        )
        r, v = frame["route"].astype(str), frame["service"].astype(str)
        p = pd.Series([f"{x:016x}" for x in pattern]) + ":" + frame["n"].astype(str)
        frame["k_id"] = (s.trips["trip_id"] + SEP + r).where(s.trips["trip_id"] != "", "")
        frame["k_time"] = (r + SEP + v + SEP + frame["first"].astype(str) + SEP + p).where(has, "")
        short = s.trips["trip_short_name"]
        frame["k_name"] = (r + SEP + v + SEP + p + SEP + short).where(has & (short != ""), "")
        return frame

    # ------------------------------------------------------------------ the diff
    def run(self) -> dict[str, Any]:
        self.match_all()
        a, b = self.a, self.b
        day_counts = self._day_counts()
        routes = self._routes(day_counts)
        stops = self._stops()
        calendar = self._calendar()
        per_day = self._per_day(day_counts)
        moved, rerouted = self._trip_changes()
        window_changed = a.window != b.window
        summary = {
            "routes_added": len(routes["added"]),
            "routes_removed": len(routes["removed"]),
            "routes_renamed": len(routes["renamed"]),
            "stops_added": len(stops["added"]),
            "stops_removed": len(stops["removed"]),
            "stops_renamed": len(stops["renamed"]),
            "stops_moved": len(stops["moved"]),
            "services_added": len(calendar["services_added"]),
            "services_removed": len(calendar["services_removed"]),
            "services_changed": len(calendar["services_changed"]),
            "window_changed": window_changed,
            "feed_validity_changed": _validity(a) != _validity(b),
            "route_day_changes": len(per_day),
            "trips_added": int(sum(max(g["delta"], 0) * len(g["days"]) for g in per_day)),
            "trips_removed": int(sum(max(-g["delta"], 0) * len(g["days"]) for g in per_day)),
            "trips_moved": len(moved),
            "trips_rerouted": len(rerouted),
        }
        natural = {
            "stops": int((self.stop_stage > 0).sum()),
            "routes": int((self.route_stage > 0).sum()),
            "services": int((self.service_stage > 0).sum()),
            "trips": int((self.trip_stage > 0).sum()),
        }
        return {
            "format": FORMAT,
            "old": self._side(a),
            "new": self._side(b),
            "window": None
            if self.window is None
            else {"from": day_iso(self.window[0]), "to": day_iso(self.window[1])},
            "summary": summary,
            "matched_by_natural_key": natural,
            "routes": routes,
            "stops": stops,
            "calendar": calendar,
            "trips_per_day": per_day,
            "departures_moved": moved,
            "patterns_changed": rerouted,
            "warnings": a.warnings + b.warnings,
        }

    @staticmethod
    def _side(s: Snapshot) -> dict[str, Any]:
        w = s.window
        return {
            "path": str(s.path),
            "window": None if w is None else {"from": day_iso(w[0]), "to": day_iso(w[1])},
            "feed_info": s.feed_info,
            "routes": len(s.routes),
            "stops": len(s.stops),
            "trips": len(s.trips),
            "stop_times": len(s.st_trip),
        }

    # ------------------------------------------------------------------ routes and stops
    def _route_ref(self, side: str, i: int) -> dict[str, Any]:
        """The route as riders see it (a fresh dict: callers may add keys)."""
        return dict(self._route_refs(side)[int(i)])

    def _route_refs(self, side: str) -> list[dict[str, Any]]:
        """Every route of one side as a dict, built once (``.iloc`` per trip costs minutes)."""
        cache = self.__dict__.setdefault("_refs", {})
        if side not in cache:
            r = (self.a if side == "old" else self.b).routes
            cols = ["route_id", "agency", "short_name", "long_name", "route_type"]
            cache[side] = [
                dict(zip(cols, row, strict=True))
                for row in zip(*(r[c].tolist() for c in cols), strict=True)
            ]
        return cache[side]

    def _routes(self, day_counts: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
        a, b = self.a, self.b
        matched_old = np.zeros(len(a.routes), dtype=bool)
        matched_old[self.route_n2o[self.route_n2o >= 0]] = True
        trips_a = np.bincount(a.trips["route"], weights=a.trips["weight"], minlength=len(a.routes))
        trips_b = np.bincount(b.trips["route"], weights=b.trips["weight"], minlength=len(b.routes))
        days = {
            side: day_counts[day_counts[side] > 0].groupby("route")["date"].agg(list)
            for side in ("old", "new")
        }

        def entry(side: str, i: int, key: int, trips: float) -> dict[str, Any]:
            ref = self._route_ref(side, i)
            run = days[side].get(key, [])
            ref |= {"trips": int(trips), "service_days": describe_days(run) if run else "none"}
            return ref

        removed = [entry("old", i, i, trips_a[i]) for i in np.flatnonzero(~matched_old)]
        added = [
            entry("new", j, int(self.route_key_b[j]), trips_b[j])
            for j in np.flatnonzero(self.route_n2o < 0)
        ]
        renamed = []
        for j in np.flatnonzero(self.route_n2o >= 0):
            i = int(self.route_n2o[j])
            ro, rn = a.routes.iloc[i], b.routes.iloc[j]
            if (ro["short_name"], ro["long_name"]) != (rn["short_name"], rn["long_name"]):
                renamed.append({"old": self._route_ref("old", i), "new": self._route_ref("new", j)})
        return {"added": added, "removed": removed, "renamed": renamed}

    def _stops(self) -> dict[str, list[dict[str, Any]]]:
        a, b = self.a, self.b

        def ref(s: Snapshot, i: int) -> dict[str, Any]:
            r = s.stops.iloc[int(i)]
            lat, lon = r["lat"], r["lon"]
            return {
                "stop_id": r["stop_id"],
                "stop_name": r["stop_name"],
                "lat": None if np.isnan(lat) else float(lat),
                "lon": None if np.isnan(lon) else float(lon),
            }

        matched_old = np.zeros(len(a.stops), dtype=bool)
        matched_old[self.stop_n2o[self.stop_n2o >= 0]] = True
        served_a = np.zeros(len(a.stops), dtype=bool)
        served_a[a.st_stop] = True
        served_b = np.zeros(len(b.stops), dtype=bool)
        served_b[b.st_stop] = True
        removed = [ref(a, i) | {"served": bool(served_a[i])} for i in np.flatnonzero(~matched_old)]
        added = [
            ref(b, j) | {"served": bool(served_b[j])} for j in np.flatnonzero(self.stop_n2o < 0)
        ]
        js = np.flatnonzero(self.stop_n2o >= 0)
        is_ = self.stop_n2o[js]
        old_names = a.stops["stop_name"].to_numpy(dtype=object)[is_]
        new_names = b.stops["stop_name"].to_numpy(dtype=object)[js]
        renamed = [
            {"old": ref(a, i), "new": ref(b, j)}
            for i, j in zip(is_[old_names != new_names], js[old_names != new_names], strict=True)
        ]
        dist = match.metres(
            a.stops["lat"].to_numpy()[is_],
            a.stops["lon"].to_numpy()[is_],
            b.stops["lat"].to_numpy()[js],
            b.stops["lon"].to_numpy()[js],
        )
        far = np.flatnonzero(dist > STOP_MOVED_METRES)
        moved = [
            {"old": ref(a, is_[k]), "new": ref(b, js[k]), "distance_m": round(float(dist[k]), 1)}
            for k in far
        ]
        return {"added": added, "removed": removed, "renamed": renamed, "moved": moved}

    # ------------------------------------------------------------------ calendars
    def _in_window(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.window is None:
            return frame.iloc[:0]
        d = frame["date"]
        return frame[(d >= self.window[0]) & (d <= self.window[1])]

    def _calendar(self) -> dict[str, Any]:
        a, b = self.a, self.b
        sa, sb = self.services_a, self.services_b
        da = self._in_window(a.service_dates).copy()
        db = self._in_window(b.service_dates).copy()
        da["key"] = pd.Index(sa["service_id"]).get_indexer(da["service_id"])
        db["key"] = self.service_key_b[pd.Index(sb["service_id"]).get_indexer(db["service_id"])]
        both = da[["key", "date"]].merge(db[["key", "date"]], how="outer", indicator=True)
        lost = both[both["_merge"] == "left_only"].groupby("key")["date"].agg(list)
        gained = both[both["_merge"] == "right_only"].groupby("key")["date"].agg(list)
        trips_a = a.trips.groupby("service_id")["weight"].sum()
        trips_b = b.trips.groupby("service_id")["weight"].sum()
        cal_a = a.calendar.set_index("service_id")
        cal_b = b.calendar.set_index("service_id")

        def one(side: str, sid: str, key: int) -> dict[str, Any]:
            run = (lost if side == "old" else gained).get(key, [])
            trips = (trips_a if side == "old" else trips_b).get(sid, 0)
            return {
                "service_id": sid,
                "trips": int(trips),
                "days": [day_iso(d) for d in run],
                "description": describe_days(run) if run else "no day in the window",
            }

        matched_old = np.zeros(len(sa), dtype=bool)
        matched_old[self.service_n2o[self.service_n2o >= 0]] = True
        removed = [one("old", sa["service_id"].iloc[i], i) for i in np.flatnonzero(~matched_old)]
        added = [
            one("new", sb["service_id"].iloc[j], int(self.service_key_b[j]))
            for j in np.flatnonzero(self.service_n2o < 0)
        ]
        changed = []
        for j in np.flatnonzero(self.service_n2o >= 0):
            i = int(self.service_n2o[j])
            sid_a, sid_b = sa["service_id"].iloc[i], sb["service_id"].iloc[j]
            lo, ga = lost.get(i, []), gained.get(i, [])
            pattern: dict[str, Any] = {}
            if sid_a in cal_a.index and sid_b in cal_b.index:
                ca, cb = cal_a.loc[sid_a], cal_b.loc[sid_b]
                if ca["mask"] != cb["mask"]:
                    pattern["weekdays"] = {
                        "old": mask_label(ca["mask"]),
                        "new": mask_label(cb["mask"]),
                    }
                for f, col in (("start_date", "start"), ("end_date", "end")):
                    if ca[col] != cb[col]:
                        pattern[f] = {"old": day_iso(ca[col]), "new": day_iso(cb[col])}
            if not lo and not ga:
                continue  # calendar.txt rewritten, same days in the window: nothing for riders
            changed.append(
                {
                    "service_id": sid_a,
                    "new_service_id": sid_b,
                    "trips": int(trips_b.get(sid_b, 0)),
                    **pattern,
                    "days_gained": [day_iso(d) for d in ga],
                    "days_lost": [day_iso(d) for d in lo],
                    "gained": describe_days(ga) if ga else "",
                    "lost": describe_days(lo) if lo else "",
                }
            )
        wa, wb = a.window, b.window
        return {
            "window": {
                "old": None if wa is None else {"from": day_iso(wa[0]), "to": day_iso(wa[1])},
                "new": None if wb is None else {"from": day_iso(wb[0]), "to": day_iso(wb[1])},
            },
            "feed_validity": {"old": _validity(a), "new": _validity(b)},
            "services_added": added,
            "services_removed": removed,
            "services_changed": changed,
        }

    # ------------------------------------------------------------------ trips per day
    def _day_counts(self) -> pd.DataFrame:
        """Trips (frequency departures included) per route key per day, old and new."""
        out = []
        for side, s, rkey in (
            ("old", self.a, np.arange(len(self.a.routes))),
            ("new", self.b, self.route_key_b),
        ):
            per = (
                pd.DataFrame(
                    {
                        "route": rkey[s.trips["route"].to_numpy()],
                        "service_id": s.trips["service_id"],
                        "n": s.trips["weight"],
                    }
                )
                .groupby(["route", "service_id"], as_index=False)["n"]
                .sum()
            )
            days = per.merge(self._in_window(s.service_dates), on="service_id")
            out.append(days.groupby(["route", "date"])["n"].sum().rename(side))
        both = pd.concat(out, axis=1).fillna(0).astype(np.int64).reset_index()
        return both

    def _per_day(self, counts: pd.DataFrame) -> list[dict[str, Any]]:
        diff = counts[counts["old"] != counts["new"]]
        if diff.empty:
            return []
        n_old = len(self.a.routes)
        added_keys = set(self.route_key_b[self.route_n2o < 0].tolist())
        matched_old = set(self.route_n2o[self.route_n2o >= 0].tolist())
        groups = diff.groupby(["route", "old", "new"])["date"].agg(list).reset_index()
        groups["first"] = groups["date"].map(min)
        groups = groups.sort_values(["route", "first"], kind="stable")
        key_to_new = {int(k): j for j, k in enumerate(self.route_key_b)}
        out = []
        for route, old, new, days in groups[["route", "old", "new", "date"]].itertuples(
            index=False
        ):
            route = int(route)
            if route < n_old:
                ref = self._route_ref("old", route)
                status = "kept" if route in matched_old else "removed"
            else:
                ref = self._route_ref("new", key_to_new[route])
                status = "added" if route in added_keys else "kept"
            if route < n_old and route in matched_old:
                j = key_to_new[route]
                ref["new_route_id"] = self.b.routes["route_id"].iloc[j]
            out.append(
                {
                    "route": ref,
                    "route_status": status,
                    "old_trips": int(old),
                    "new_trips": int(new),
                    "delta": int(new - old),
                    "days": [day_iso(d) for d in sorted(days)],
                    "description": describe_days(days),
                }
            )
        return out

    # ------------------------------------------------------------------ trips moved / rerouted
    def _trip_changes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        pn = np.flatnonzero(self.trip_n2o >= 0)
        po = self.trip_n2o[pn]
        ta, tb = self.trips_a, self.trips_b
        same = (ta["pattern"].to_numpy()[po] == tb["pattern"].to_numpy()[pn]) & (
            ta["n"].to_numpy()[po] == tb["n"].to_numpy()[pn]
        )
        moved = self._moved(po[same], pn[same])
        rerouted = self._rerouted(po[~same], pn[~same])
        return moved, rerouted

    def _trip_refs(self, po: np.ndarray, pn: np.ndarray) -> list[dict[str, Any]]:
        """Old trip ``po[k]`` paired with new trip ``pn[k]``: ids, names, service, route."""
        ta, tb = self.a.trips, self.b.trips

        def col(frame: pd.DataFrame, name: str, rows: np.ndarray) -> list[Any]:
            return frame[name].to_numpy(dtype=object)[rows].tolist()

        refs = self._route_refs("old")
        columns = {
            "trip_id": col(ta, "trip_id", po),
            "new_trip_id": col(tb, "trip_id", pn),
            "trip_short_name": col(tb, "trip_short_name", pn),
            "trip_headsign": col(tb, "trip_headsign", pn),
            "service_id": col(tb, "service_id", pn),
            "route": [refs[r] for r in ta["route"].to_numpy()[po].tolist()],
        }
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def _moved(self, po: np.ndarray, pn: np.ndarray) -> list[dict[str, Any]]:
        a, b = self.a, self.b
        lengths = np.diff(a.trip_start)[po]
        keep = lengths > 0
        po, pn, lengths = po[keep], pn[keep], lengths[keep]
        if not len(po):
            return []
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rep = np.repeat(np.arange(len(po)), lengths)
        off = np.arange(int(lengths.sum())) - starts[rep]
        ro = a.trip_start[po][rep] + off
        rn = b.trip_start[pn][rep] + off
        to, tn = a.st_time[ro], b.st_time[rn]
        shift = np.where((to >= 0) & (tn >= 0), tn - to, 0)
        hi = np.maximum.reduceat(shift, starts)
        lo = np.minimum.reduceat(shift, starts)
        changed = np.flatnonzero((hi != 0) | (lo != 0))
        if not len(changed):
            return []
        worst = np.where(-lo > hi, lo, hi)
        rows = np.flatnonzero(shift == worst[rep])
        first_worst = rows[np.unique(rep[rows], return_index=True)[1]]
        names = a.stops["stop_name"].to_numpy(dtype=object)
        names = np.where(names == "", a.stops["stop_id"].to_numpy(dtype=object), names)
        s0 = starts[changed]
        extra = {
            "first_stop": names[a.st_stop[ro[s0]]].tolist(),
            "old_departure": [gtfs_time(t) for t in to[s0].tolist()],
            "new_departure": [gtfs_time(t) for t in tn[s0].tolist()],
            "first_shift_s": shift[s0].tolist(),
            "max_shift_s": worst[changed].tolist(),
            "same_shift_everywhere": (hi[changed] == lo[changed]).tolist(),
            "max_shift_stop": names[a.st_stop[ro[first_worst[changed]]]].tolist(),
        }
        out = self._trip_refs(po[changed], pn[changed])
        for rec, row in zip(out, zip(*extra.values(), strict=True), strict=True):
            rec.update(zip(extra, row, strict=True))
        return out

    def _rerouted(self, po: np.ndarray, pn: np.ndarray) -> list[dict[str, Any]]:
        if not len(po):
            return []
        a, b = self.a, self.b

        def rows(s: Snapshot, trips: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
            lengths = np.diff(s.trip_start)[trips]
            rep = np.repeat(np.arange(len(trips)), lengths)
            off = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            r = s.trip_start[trips][rep] + off
            return pd.DataFrame({"pair": rep, "stop": keys[s.st_stop[r]]}).drop_duplicates()

        ra = rows(a, po, np.arange(len(a.stops)))
        rb = rows(b, pn, self.stop_key_b)
        both = ra.merge(rb, how="outer", indicator=True)
        gone = both[both["_merge"] == "left_only"].groupby("pair")["stop"].agg(list)
        new = both[both["_merge"] == "right_only"].groupby("pair")["stop"].agg(list)
        key_to_new = {int(k): j for j, k in enumerate(self.stop_key_b)}

        def name(key: int) -> str:
            r = a.stops.iloc[key] if key < len(a.stops) else b.stops.iloc[key_to_new[key]]
            return r["stop_name"] or r["stop_id"]

        out = self._trip_refs(po, pn)
        for k, rec in enumerate(out):
            rec["stops_removed"] = [name(s) for s in gone.get(k, [])]
            rec["stops_added"] = [name(s) for s in new.get(k, [])]
        return out
