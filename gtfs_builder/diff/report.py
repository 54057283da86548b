"""``FeedDiff``: the result of a comparison, as JSON-ready data and as a short text for people.

The data (``to_dict()``) holds everything; the text groups it, counts it, and shows the first few
examples of each group, so a timetable change on 10 000 trips still reads in a screenful.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from gtfs_builder.diff.days import MINUS, fmt_shift, fmt_time, signed

EXAMPLES = 5  # examples shown per group
GROUPS = 12  # groups shown per section

_VEHICLES = {
    0: "tram", 1: "metro train", 2: "train", 3: "bus", 4: "ferry", 5: "cable car",
    6: "gondola", 7: "funicular", 11: "trolleybus", 12: "train",
}  # fmt: skip
_EXTENDED = {
    1: "train", 2: "coach", 4: "metro train", 7: "bus", 8: "trolleybus", 9: "tram",
    10: "ferry", 12: "ferry", 13: "cable car", 14: "funicular",
}  # fmt: skip  # extended route types by hundreds: 100 railway, 400 urban railway, ...


def vehicle(route_type: str) -> str:
    """What riders call the vehicle of a GTFS route_type (basic or extended): 'train', 'bus'."""
    try:
        t = int(route_type)
    except ValueError:
        return "trip"
    if t in _VEHICLES:
        return _VEHICLES[t]
    return _EXTENDED.get(t // 100, "trip")


def route_label(ref: dict[str, Any]) -> str:
    """'401/402 (Гродеково — Суйфэньхэ)': short name, long name, or the id when neither."""
    short, long = ref.get("short_name", ""), ref.get("long_name", "")
    if short and long:
        return f"{short} ({long})"
    return short or long or ref["route_id"]


def _short_route(ref: dict[str, Any]) -> str:
    return ref.get("short_name") or ref.get("long_name") or ref["route_id"]


def _route_with_id(ref: dict[str, Any]) -> str:
    """'645/646 [KHS-TMG]': the name riders know, and the id that tells apart equal names."""
    name = _short_route(ref)
    return name if name == ref["route_id"] else f"{name} [{ref['route_id']}]"


def _stop(ref: dict[str, Any]) -> str:
    return f"{ref['stop_name'] or '(no name)'} [{ref['stop_id']}]"


class FeedDiff:
    """What changed for riders between two feed versions (see README, "Comparing feed versions")."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def summary(self) -> dict[str, Any]:
        return self.data["summary"]

    @property
    def is_empty(self) -> bool:
        """True when nothing a rider could notice changed (ids, shapes, fares do not count)."""
        return not any(v for v in self.summary.values())

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def to_json(self, indent: int | None = None) -> str:
        """Compact by default: the C encoder, seconds faster on 100 000 moved trips."""
        return json.dumps(self.data, ensure_ascii=False, indent=indent)

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    # ------------------------------------------------------------------ text
    def to_text(self, *, headline: bool = True) -> str:
        d = self.data
        lines: list[str] = []
        if headline:
            lines.append(f"{d['old']['path']} -> {d['new']['path']}")
            w = d["window"]
            lines.append(
                "compared " + (f"{w['from']}..{w['to']}" if w else "no service day in either feed")
            )
        if self.is_empty:
            lines.append("No changes for riders.")
        else:
            for section in (
                self._routes_text,
                self._stops_text,
                self._calendar_text,
                self._per_day_text,
                self._moved_text,
                self._rerouted_text,
            ):
                part = section()
                if part:
                    lines += part
        if d["warnings"]:
            lines.append("Warnings:")
            lines += [f"  {w}" for w in d["warnings"]]
        return "\n".join(lines)

    def _routes_text(self) -> list[str]:
        r = self.data["routes"]
        if not (r["added"] or r["removed"] or r["renamed"]):
            return []
        out = [_heading("Routes", r, ("added", "removed", "renamed"))]
        for sign, key in (("+", "added"), ("-", "removed")):
            for x in sorted(r[key], key=lambda x: -x["trips"])[:GROUPS]:  # busiest first
                runs = f"{_n(x['trips'], 'trip')}, {x['service_days']}" if x["trips"] else "no trip"
                out.append(
                    f"  {sign} {route_label(x)} [{x['route_id']}], {x['agency'] or 'no agency'}, "
                    f"{vehicle(x['route_type'])}: {runs}"
                )
            out += _more(r[key], "routes")
        for x in r["renamed"][:GROUPS]:
            out.append(f"  ~ {route_label(x['old'])} -> {route_label(x['new'])}")
        out += _more(r["renamed"], "routes")
        return out

    def _stops_text(self) -> list[str]:
        s = self.data["stops"]
        if not any(s.values()):
            return []
        out = [_heading("Stops", s, ("added", "removed", "renamed", "moved"))]
        for sign, key in (("+", "added"), ("-", "removed")):
            for x in s[key][:GROUPS]:
                served = "" if x["served"] else " (no trip calls there)"
                out.append(f"  {sign} {_stop(x)}{served}")
            out += _more(s[key], "stops")
        for x in s["renamed"][:GROUPS]:
            out.append(f"  ~ {_stop(x['old'])} renamed {x['new']['stop_name'] or '(no name)'!r}")
        out += _more(s["renamed"], "stops")
        for x in s["moved"][:GROUPS]:
            out.append(f"  ~ {_stop(x['new'])} moved {x['distance_m']:,.0f} m")
        out += _more(s["moved"], "stops")
        return out

    def _calendar_text(self) -> list[str]:
        c = self.data["calendar"]
        wa, wb = c["window"]["old"], c["window"]["new"]
        changed_window = self.summary["window_changed"]
        validity = self.summary["feed_validity_changed"]
        if not (
            changed_window
            or validity
            or c["services_added"]
            or c["services_removed"]
            or c["services_changed"]
        ):
            return []
        counts = [
            f"{_n(len(c[k]), 'service')} {k.split('_')[1]}"
            for k in ("services_added", "services_removed", "services_changed")
            if c[k]
        ]
        out = ["Calendar: " + (", ".join(counts) or "validity changed")]
        if changed_window:
            out.append(f"  service window {_win(wa)} -> {_win(wb)}")
        if validity:
            fa, fb = c["feed_validity"]["old"], c["feed_validity"]["new"]
            out.append(f"  feed validity (feed_info.txt) {_win(fa)} -> {_win(fb)}")
        for sign, key in (("+", "services_added"), ("-", "services_removed")):
            for x in c[key][:GROUPS]:
                out.append(
                    f"  {sign} service {x['service_id']} ({x['trips']:,} trips): {x['description']}"
                )
            out += _more(c[key], "services")
        for x in c["services_changed"][:GROUPS]:
            sid = x["service_id"]
            if x["new_service_id"] != sid:
                sid += f" (now {x['new_service_id']})"
            bits = []
            if "weekdays" in x:
                bits.append(f"{x['weekdays']['old']} -> {x['weekdays']['new']}")
            for f in ("start_date", "end_date"):
                if f in x:
                    bits.append(f"{f.split('_')[0]} {x[f]['old']} -> {x[f]['new']}")
            if x["days_gained"]:
                bits.append(f"runs also {x['gained']}")
            if x["days_lost"]:
                bits.append(f"no longer {x['lost']}")
            out.append(f"  ~ service {sid} ({x['trips']:,} trips): " + "; ".join(bits))
        out += _more(c["services_changed"], "services")
        return out

    def _per_day_text(self) -> list[str]:
        groups = [g for g in self.data["trips_per_day"] if g["route_status"] == "kept"]
        if not groups:
            return []
        s = self.summary
        routes = {g["route"]["route_id"] for g in groups}
        out = [
            f"Trips per service day: {_n(len(groups), 'change')} on {_n(len(routes), 'route')} "
            f"({signed(s['trips_added'])} / {MINUS}{s['trips_removed']:,} trips over the window, "
            "added and removed routes included)"
        ]
        biggest = sorted(groups, key=lambda g: -abs(g["delta"]) * len(g["days"]))
        for g in biggest[:GROUPS]:  # the changes touching the most trips first
            out.append(
                f"  route {_route_with_id(g['route'])}: {signed(g['delta'])} trips "
                f"({g['old_trips']} -> {g['new_trips']}) on {g['description']}"
            )
        out += _more(groups, "changes")
        return out

    def _moved_text(self) -> list[str]:
        moved = self.data["departures_moved"]
        if not moved:
            return []
        by_shift: dict[tuple[int, int, bool], list[dict[str, Any]]] = defaultdict(list)
        for t in moved:
            key = (t["first_shift_s"], t["max_shift_s"], t["same_shift_everywhere"])
            by_shift[key].append(t)
        ranked = sorted(by_shift.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        routes = {t["route"]["route_id"] for t in moved}
        out = [f"Departures moved: {_n(len(moved), 'trip')} on {_n(len(routes), 'route')}"]
        for (first, worst, everywhere), trips in ranked[:GROUPS]:
            per_route: dict[str, int] = defaultdict(int)
            for t in trips:
                per_route[_route_with_id(t["route"])] += 1
            busiest = sorted(per_route.items(), key=lambda kv: -kv[1])
            where = ", ".join(f"{r} ({n:,})" for r, n in busiest[:6])
            if len(per_route) > 6:
                where += f" and {len(per_route) - 6} more routes"
            if everywhere:
                how = f"{fmt_shift(first)} at every stop"
            else:
                how = (
                    f"{fmt_shift(first)} at the first stop, up to {fmt_shift(worst)} along the trip"
                )
            out.append(f"  {_n(len(trips), 'trip')} {how}: route {where}")
            out += [f"    e.g. {e}" for e in _examples(trips, _moved_example)]
        if len(ranked) > GROUPS:
            rest = sum(len(t) for _, t in ranked[GROUPS:])
            out.append(
                f"  ... and {_n(rest, 'trip')} in {len(ranked) - GROUPS:,} other shift groups"
            )
        return out

    def _rerouted_text(self) -> list[str]:
        rer = self.data["patterns_changed"]
        if not rer:
            return []
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for t in rer:
            key = (
                _route_with_id(t["route"]),
                ", ".join(t["stops_removed"]),
                ", ".join(t["stops_added"]),
            )
            groups[key].append(t)
        out = [f"Stop patterns changed: {_n(len(rer), 'trip')}"]
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        for (route, gone, new), trips in ranked[:GROUPS]:
            bits = ([f"no longer calls at {gone}"] if gone else []) + (
                [f"now calls at {new}"] if new else []
            )
            what = "; ".join(bits) or "same stops in another order"
            ex = ", ".join(_trip_name(t) for t in trips[:EXAMPLES])
            out.append(f"  route {route}: {_n(len(trips), 'trip')} {what} (e.g. {ex})")
        if len(ranked) > GROUPS:
            out.append(f"  ... and {len(ranked) - GROUPS:,} other groups")
        return out


def _n(count: int, noun: str) -> str:
    """(1, 'trip') -> '1 trip'; (1200, 'trip') -> '1,200 trips'."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _examples(trips: list[dict[str, Any]], render: Any) -> list[str]:
    """The first ``EXAMPLES`` distinct lines, earliest departures first (copies of one trip in
    many services or agencies would otherwise fill the list with one sentence)."""
    seen: dict[str, None] = {}
    for t in sorted(trips, key=lambda t: t.get("old_departure") or ""):
        seen.setdefault(render(t), None)
        if len(seen) == EXAMPLES:
            break
    return list(seen)


def _trip_name(t: dict[str, Any]) -> str:
    return t["trip_short_name"] or t["new_trip_id"]


def _moved_example(t: dict[str, Any]) -> str:
    """'train 646 (645/646) departs Хасан 15:40 instead of 15:30 (+10 min)'."""
    old, new = t["old_departure"], t["new_departure"]
    text = (
        f"{vehicle(t['route']['route_type'])} {_trip_name(t)} ({_short_route(t['route'])}) "
        f"departs {t['first_stop']} "
        + (f"{_hhmm(new)} instead of {_hhmm(old)} " if old and new else "")
        + f"({fmt_shift(t['first_shift_s'])})"
    )
    if t["max_shift_s"] != t["first_shift_s"]:
        text += f"; {fmt_shift(t['max_shift_s'])} at {t['max_shift_stop']}"
    return text


def _hhmm(gtfs: str) -> str:
    h, m, s = (int(x) for x in gtfs.split(":"))
    return fmt_time(h * 3600 + m * 60 + s)


def _heading(title: str, section: dict[str, list[Any]], keys: tuple[str, ...]) -> str:
    return f"{title}: " + ", ".join(f"{len(section[k]):,} {k}" for k in keys if section[k])


def _more(items: list[Any], what: str) -> list[str]:
    return (
        [f"  ... and {len(items) - GROUPS:,} more {what} (see --json)"]
        if len(items) > GROUPS
        else []
    )


def _win(w: dict[str, str | None] | None) -> str:
    return f"{w['from'] or '?'}..{w['to'] or '?'}" if w else "none"
