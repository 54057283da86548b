"""One printed-style timetable page per route and direction.

Columns are trips (train number on top), rows are stops (platforms merged into their station),
trips are grouped by the days they run ("Mon, Wed, Fri", "Daily"), with the calendar_dates
exceptions listed under each table. Like a printed cross-border timetable, each time is shown in
the stop's own zone: stop_times are in the agency zone on the service day ("noon minus 12 h"), so
a time becomes an instant on the trip's service date and is then read in the stop's zone. Zone
offsets can depend on the date (daylight saving), so a table uses the first date its service
runs, says so, and notes any later change of offset between the zones it shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gtfs_builder.render.feedview import FeedView, Service, zone
from gtfs_builder.render.i18n import DAY_KEYS, UI, Texts
from gtfs_builder.render.page import render_page

MAX_LISTED_DATES = 12


@dataclass
class Trip:
    trip_id: str
    service: str
    number: str  # trip_short_name, else ''
    headsign: str
    stops: list[str] = field(default_factory=list)  # row keys, in trip order
    arr: list[float] = field(default_factory=list)
    dep: list[float] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    every: list[tuple[float, float, float]] = field(default_factory=list)  # frequencies.txt


@dataclass
class RoutePage:
    route_id: str
    direction: str  # '0', '1' or '' (no direction_id)
    path: str  # relative to the site root
    trips: list[Trip]
    headsign: str  # the most common headsign, for links and titles


def _add_stop_times(view: FeedView, trips: dict[str, Trip]) -> None:
    """Each trip's stops (as their stations), platforms and times in stop_sequence order: one
    vectorised sort of stop_times, then one slice per trip."""
    name = "stop_times.txt"
    rows = pd.DataFrame(
        {
            "trip": view.series(name, "trip_id"),
            "stop": view.series(name, "stop_id"),
            "seq": view.num(name, "stop_sequence", 0),
            "arr": view.times(name, "arrival_time"),
            "dep": view.times(name, "departure_time"),
        }
    )
    rows = rows[rows["trip"].isin(list(trips))].sort_values(["trip", "seq"], kind="stable")
    if rows.empty:
        return
    arr, dep = rows["arr"].to_numpy(), rows["dep"].to_numpy()
    arrivals = np.where(np.isnan(arr), dep, arr).tolist()  # a stop with one time: both the same
    departures = np.where(np.isnan(dep), arr, dep).tolist()
    stations = view.stations_of(rows["stop"]).tolist()
    platforms = rows["stop"].tolist()
    trip_ids = rows["trip"].to_numpy(dtype=object)
    cuts = np.flatnonzero(trip_ids[1:] != trip_ids[:-1]) + 1
    for start, end in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(rows)].tolist(), strict=True):
        trip = trips[trip_ids[start]]
        trip.stops.extend(stations[start:end])
        trip.platforms.extend(platforms[start:end])
        trip.arr.extend(arrivals[start:end])
        trip.dep.extend(departures[start:end])


def slug(text: str) -> str:
    """A file-name-safe id; an added hash keeps two ids from colliding after cleaning."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:60] or "route"
    if clean != text:
        clean += "-" + hashlib.sha1(text.encode()).hexdigest()[:6]
    return clean


def route_pages(view: FeedView) -> list[RoutePage]:
    """Every (route, direction) that has trips, in route order, with its trips and stop times."""
    trips_tab = view.table("trips.txt")
    trips: dict[str, Trip] = {}
    key_of: dict[str, tuple[str, str]] = {}
    if not trips_tab.empty:
        cols = [view.col("trips.txt", c) for c in ("trip_id", "route_id", "service_id",
                                                     "trip_short_name", "trip_headsign",
                                                     "direction_id")]
        for tid, rid, sid, num, head, direction in zip(*cols, strict=True):
            if tid and tid not in trips:
                trips[tid] = Trip(tid, sid, num, head)
                key_of[tid] = (rid, direction if direction in ("0", "1") else "")
    if trips and not view.table("stop_times.txt").empty:
        _add_stop_times(view, trips)
    fq = view.table("frequencies.txt")
    if not fq.empty:
        starts = view.times("frequencies.txt", "start_time")
        ends = view.times("frequencies.txt", "end_time")
        heads = view.num("frequencies.txt", "headway_secs")
        for i, tid in enumerate(view.col("frequencies.txt", "trip_id")):
            if tid in trips and not math.isnan(heads[i]):
                trips[tid].every.append((starts[i], ends[i], heads[i]))
        for trip in trips.values():
            trip.every.sort()
    grouped: dict[tuple[str, str], list[Trip]] = defaultdict(list)
    for tid, trip in trips.items():
        if trip.stops:
            grouped[key_of[tid]].append(trip)
    route_order = {rid: i for i, rid in enumerate(_route_sort(view))}
    pages = []
    for (rid, direction), group in sorted(
        grouped.items(), key=lambda kv: (route_order.get(kv[0][0], 1 << 30), kv[0])
    ):
        heads = Counter(t.headsign for t in group if t.headsign)
        name = f"timetables/{slug(rid)}-{direction or 'all'}.html"
        pages.append(RoutePage(rid, direction, name, group,
                               heads.most_common(1)[0][0] if heads else ""))
    return pages


def _route_sort(view: FeedView) -> list[str]:
    """Route ids by route_sort_order, then short name (numbers numerically), then id."""
    ids = view.col("routes.txt", "route_id")
    order = view.num("routes.txt", "route_sort_order", math.inf)
    short = view.col("routes.txt", "route_short_name")

    def natural(s: str) -> tuple:
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", s))

    rows = sorted(range(len(ids)), key=lambda i: (order[i], natural(short[i]), ids[i]))
    return [ids[i] for i in rows]


def merge_stop_orders(patterns: list[list[str]]) -> list[tuple[str, int]]:
    """One row order for several stop patterns: the longest first, then each other pattern's
    stops inserted after the stop that precedes them in it. A stop visited twice by one trip
    (a loop) gets two rows: keys are (stop, k-th visit)."""
    order: list[tuple[str, int]] = []
    for pattern in sorted(patterns, key=lambda p: (-len(p), p)):
        seen: Counter[str] = Counter()
        last = -1
        for stop in pattern:
            key = (stop, seen[stop])
            seen[stop] += 1
            if key in order:
                last = order.index(key)
            else:
                order.insert(last + 1, key)
                last += 1
    return order


# --------------------------------------------------------------------------------- service days
def days_label(mask: tuple[bool, ...]) -> dict[str, str]:
    """'Daily', 'Mon–Fri', 'Mon, Wed, Fri'... in every interface language."""
    out = {}
    for lang, words in UI.items():
        if all(mask):
            out[lang] = words["daily"]
            continue
        runs, i = [], 0
        while i < 7:
            if mask[i]:
                j = i
                while j + 1 < 7 and mask[j + 1]:
                    j += 1
                runs.append((i, j))
                i = j + 1
            else:
                i += 1
        parts = []
        for a, b in runs:
            if b - a >= 2:
                parts.append(f"{words[DAY_KEYS[a]]}–{words[DAY_KEYS[b]]}")
            else:
                parts.extend(words[DAY_KEYS[k]] for k in range(a, b + 1))
        out[lang] = ", ".join(parts)
    return out


@dataclass(frozen=True)
class Days:
    """When a group of trips runs, as a printed timetable says it: weekdays in a date range with
    exceptions, or (a few dates only) the dates themselves."""

    mask: tuple[bool, ...] | None  # None: only on ``only``
    start: dt.date | None = None
    end: dt.date | None = None
    removed: tuple[dt.date, ...] = ()
    added: tuple[dt.date, ...] = ()
    only: tuple[dt.date, ...] = ()

    def sort_key(self) -> tuple:
        far = dt.date.max
        return (self.mask is None, tuple(not d for d in self.mask or ()), self.start or far,
                self.end or far, self.removed, self.added, self.only)


def service_days(svc: Service | None) -> Days:
    """A service as weekdays + range + exceptions. A service defined only by calendar_dates (one
    row per date) gets the weekdays it runs on, the range of its dates, and as exceptions the
    days of those weekdays it skips; with three dates or fewer, the dates are listed."""
    if svc is None or not svc.dates:
        return Days(None)
    if svc.weekdays and any(svc.weekdays) and svc.start and svc.end:
        return Days(svc.weekdays, svc.start, svc.end,
                    tuple(d for d in svc.removed if svc.start <= d <= svc.end
                          and svc.weekdays[d.weekday()]),
                    tuple(svc.added))
    dates = svc.dates
    if len(dates) <= 3:
        return Days(None, dates[0], dates[-1], only=tuple(dates))
    mask = tuple(any(d.weekday() == k for d in dates) for k in range(7))
    have = set(dates)
    span = (dates[-1] - dates[0]).days + 1
    missing = tuple(d for d in (dates[0] + dt.timedelta(days=i) for i in range(span))
                    if mask[d.weekday()] and d not in have)
    return Days(mask, dates[0], dates[-1], removed=missing)


def _fmt_date(d: dt.date) -> str:
    return d.isoformat()


def _dates_text(dates: list[dt.date]) -> str:
    shown = ", ".join(_fmt_date(d) for d in dates[:MAX_LISTED_DATES])
    more = len(dates) - MAX_LISTED_DATES
    return shown + (f" … (+{more})" if more > 0 else "")


# --------------------------------------------------------------------------------- time zones
def zone_short(name: str) -> str:
    """'Asia/Pyongyang' → 'Pyongyang', 'America/Argentina/Buenos_Aires' → 'Buenos Aires'."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset(tz: ZoneInfo, when: dt.datetime) -> str:
    """'UTC+9', 'UTC+5:30', 'UTC−7' (a real minus sign, as printed)."""
    off = when.astimezone(tz).utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def service_noon(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """GTFS times count from 'noon minus 12 h' of the service day in the agency zone: an instant
    (in UTC: aware datetime arithmetic in Python is wall-clock, wrong on DST days)."""
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz).astimezone(dt.UTC)
    return noon - dt.timedelta(hours=12)


def local_time(seconds: float, day: dt.date, agency: ZoneInfo, tz: ZoneInfo) -> dt.datetime:
    return (service_noon(day, agency) + dt.timedelta(seconds=seconds)).astimezone(tz)


def _offset_changes(dates: list[dt.date], agency: ZoneInfo, zones: list[str]) -> list[str]:
    """A note per zone whose offset from the agency zone is not the same on every service date:
    'Asia/X − Europe/Y: +2 h from 2024-03-10, +3 h from 2024-03-31'."""
    notes = []
    for name in zones:
        tz = zone(name)
        if tz is None:
            continue
        runs: list[tuple[dt.timedelta, dt.date]] = []
        for d in dates:
            noon = dt.datetime(d.year, d.month, d.day, 12, tzinfo=agency)
            delta = (noon.astimezone(tz).utcoffset() or dt.timedelta(0)) - (
                noon.utcoffset() or dt.timedelta(0))
            if not runs or runs[-1][0] != delta:
                runs.append((delta, d))
        if len(runs) > 1:
            parts = [f"{_hours(delta)} from {_fmt_date(d)}" for delta, d in
                     runs[:MAX_LISTED_DATES]]
            notes.append(f"{name} − {agency.key}: " + ", ".join(parts))
    return notes


def _hours(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h} h" + (f" {m:02d} min" if m else "")


# --------------------------------------------------------------------------------- page
def _cell(trip: Trip, idx: int, first: bool, last: bool, day: dt.date | None,
          agency: ZoneInfo, tz: ZoneInfo, tz_name: str, texts: Texts) -> str:
    secs = trip.arr[idx] if last else trip.dep[idx]
    if math.isnan(secs):
        return f'<td data-trip="{html.escape(trip.trip_id)}" class="pass">·</td>'
    if day is None:
        day = dt.date(2000, 1, 3)  # no service date: show the times on a neutral Monday
    local = local_time(secs, day, agency, tz)
    shift = (local.date() - day).days
    mark = ""
    if shift:
        word = texts.ui("next_day" if shift > 0 else "prev_day")
        mark = f'<sup class="day">{shift:+d}</sup><span class="sr">{word}</span>'
    full = f"{local:%H:%M} {tz_name} ({utc_offset(tz, local)})"
    arr = ""
    if not first and not last and not math.isnan(trip.arr[idx]) and trip.arr[idx] != secs:
        a = local_time(trip.arr[idx], day, agency, tz)
        arr = f'<span class="arr">{a:%H:%M}</span>'
        full = f"arr {a:%H:%M}, dep {full}"
    return (
        f'<td data-trip="{html.escape(trip.trip_id)}" data-local="{local.isoformat()}" '
        f'title="{html.escape(full)}">{arr}{local:%H:%M}{mark}</td>'
    )


def _section(view: FeedView, trips: list[Trip], days: Days, texts: Texts, multi_zone: bool,
             with_range: bool) -> str:
    agency_name = view.agency_zone_name
    agency = zone(agency_name) or ZoneInfo("UTC")
    services = [view.services.get(t.service) for t in trips]
    first_dates = {t.trip_id: (s.dates[0] if s and s.dates else None)
                   for t, s in zip(trips, services, strict=True)}
    if days.mask is not None:
        title = texts.composed("days:" + "".join("1" if d else "0" for d in days.mask),
                               days_label(days.mask))
    elif days.only:
        title = texts.ui("only_on") + " " + html.escape(_dates_text(list(days.only)))
    else:
        title = texts.ui("no_days")
    if with_range and days.mask is not None and days.start and days.end:
        title += f" · {_fmt_date(days.start)} – {_fmt_date(days.end)}"
    trips = sorted(trips, key=lambda t: (_first_time(t), t.number, t.trip_id))
    rows = merge_stop_orders([t.stops for t in trips])
    row_of = {key: i for i, key in enumerate(rows)}
    cells: list[dict[str, int]] = []  # per trip: row index → position in the trip
    for t in trips:
        seen: Counter[str] = Counter()
        pos = {}
        for i, s in enumerate(t.stops):
            pos[row_of[(s, seen[s])]] = i
            seen[s] += 1
        cells.append(pos)
    all_dates = sorted({d for s in services if s for d in s.dates})
    ref = all_dates[0] if all_dates else None
    ref_noon = service_noon(ref or dt.date(2000, 1, 3), agency) + dt.timedelta(hours=12)

    head = [f'<th class="stopcol" scope="col">{texts.ui("stop")}</th>']
    if multi_zone:
        head.append(f'<th class="zonecol" scope="col">{texts.ui("zone")}</th>')
    numbers = [t.number or t.trip_id for t in trips]
    head += [f'<th scope="col" class="trip{"" if t.number else " tripid"}" '
             f'data-trip="{html.escape(t.trip_id)}">{html.escape(n)}</th>'
             for t, n in zip(trips, numbers, strict=True)]
    heads = {t.headsign for t in trips}
    head_rows = [f"<tr>{''.join(head)}</tr>"]
    if any(t.every for t in trips):  # frequency-based trips: the times are of the first run
        lead = '<th class="stopcol"></th>' + ('<th class="zonecol"></th>' if multi_zone else "")
        head_rows.append(f'<tr class="every">{lead}' + "".join(
            f"<td>{html.escape(_every_text(t))}</td>" for t in trips) + "</tr>")
    if len(heads) > 1:
        lead = '<th class="stopcol"></th>' + ('<th class="zonecol"></th>' if multi_zone else "")
        head_rows.append(
            f'<tr class="headsigns">{lead}'
            + "".join(f"<td>{texts.feed('trips', 'trip_headsign', t.trip_id, t.headsign)}</td>"
                      for t in trips) + "</tr>")
    body = []
    zones_shown = []
    for r, (stop, _visit) in enumerate(rows):
        tz_name = view.stops["zone"].get(stop, agency_name) or agency_name
        tz = zone(tz_name) or agency
        if tz_name not in zones_shown:
            zones_shown.append(tz_name)
        name = view.stops["name"].get(stop, stop)
        line = [f'<th scope="row" class="stopcol">{texts.feed("stops", "stop_name", stop, name)}'
                "</th>"]
        if multi_zone:
            line.append(f'<td class="zonecol" data-zone="{html.escape(tz_name)}">'
                        f'{html.escape(zone_short(tz_name))} '
                        f'<span class="off">({utc_offset(tz, ref_noon)})</span></td>')
        for t, pos in zip(trips, cells, strict=True):
            i = pos.get(r)
            if i is None:
                line.append(f'<td data-trip="{html.escape(t.trip_id)}" class="none">–</td>')
            else:
                line.append(_cell(t, i, i == 0, i == len(t.stops) - 1, first_dates[t.trip_id],
                                  agency, tz, tz_name, texts))
        body.append(f'<tr data-stop="{html.escape(stop)}">{"".join(line)}</tr>')

    notes = []
    if ref is not None:
        start, end = all_dates[0], all_dates[-1]
        notes.append(f'<p class="validity">{texts.ui("valid")}: {_fmt_date(start)} – '
                     f"{_fmt_date(end)}</p>")
    if days.removed:
        notes.append(f'<p class="exceptions">{texts.ui("not_running")}: '
                     f"{html.escape(_dates_text(list(days.removed)))}</p>")
    if days.added:
        notes.append(f'<p class="exceptions">{texts.ui("also_running")}: '
                     f"{html.escape(_dates_text(list(days.added)))}</p>")
    if multi_zone and ref is not None:
        notes.append(f'<p class="note">{texts.ui("local_times")}; {texts.ui("times_as_of")} '
                     f"{_fmt_date(ref)}.</p>")
        for note in _offset_changes(all_dates, agency, [z for z in zones_shown
                                                        if z != agency_name]):
            notes.append(f'<p class="note">{html.escape(note)}</p>')
    return (
        f'<section class="service"><h2>{title}</h2>\n'
        f'<div class="scroll"><table class="timetable">\n<thead>{"".join(head_rows)}</thead>\n'
        f'<tbody>\n{chr(10).join(body)}\n</tbody></table></div>\n{"".join(notes)}</section>'
    )


def _every_text(t: Trip) -> str:
    """'every 10 min until 09:00' per frequencies.txt window (agency time)."""
    parts = []
    for start, end, head in t.every:
        def hm(v: float) -> str:
            return "?" if math.isnan(v) else f"{int(v) // 3600:02d}:{int(v) % 3600 // 60:02d}"
        parts.append(f"every {int(head) // 60} min {hm(start)}–{hm(end)}")
    return "; ".join(parts)


def _first_time(t: Trip) -> float:
    for v in t.dep:
        if not math.isnan(v):
            return v
    return math.inf


def route_heading(view: FeedView, route_id: str, texts: Texts) -> tuple[str, str]:
    """(HTML heading: a colour chip with the short name, then the long name; plain title)."""
    routes = view.table("routes.txt")
    row = {}
    if not routes.empty:
        match = routes[routes["route_id"].str.strip() == route_id]
        if not match.empty:
            row = {k: str(v).strip() for k, v in match.iloc[0].items()}
    short, long_ = row.get("route_short_name", ""), row.get("route_long_name", "")
    colour, text_colour = route_colours(row)
    chip = (f'<span class="chip" style="background:#{colour};color:#{text_colour}">'
            f"{texts.feed('routes', 'route_short_name', route_id, short)}</span> ") if short else ""
    name = texts.feed("routes", "route_long_name", route_id, long_) if long_ else ""
    if not short and not long_:
        name = html.escape(route_id)
    return chip + name, " ".join(x for x in (short, long_) if x) or route_id


def route_colours(row: dict[str, str]) -> tuple[str, str]:
    """(route_color, route_text_color) as 6 hex digits, with GTFS defaults made readable:
    a missing colour is a neutral dark grey rather than the reference's white-on-white."""
    colour = row.get("route_color", "").strip().upper()
    text = row.get("route_text_color", "").strip().upper()
    if not re.fullmatch(r"[0-9A-F]{6}", colour):
        colour = "444444"
        text = text if re.fullmatch(r"[0-9A-F]{6}", text) else "FFFFFF"
    if not re.fullmatch(r"[0-9A-F]{6}", text):
        r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
        text = "000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "FFFFFF"
    return colour, text


def write_route_page(view: FeedView, page: RoutePage, out_dir: Path, has_report: bool) -> Path:
    texts = Texts(view)
    heading, title = route_heading(view, page.route_id, texts)
    groups: dict[Days, list[Trip]] = defaultdict(list)
    for t in page.trips:
        groups[service_days(view.services.get(t.service))].append(t)
    masks = Counter(d.mask for d in groups if d.mask is not None)
    zones = {view.stops["zone"].get(s, "") or view.agency_zone_name
             for t in page.trips for s in t.stops}
    multi_zone = len(zones | {view.agency_zone_name}) > 1
    sections = [_section(view, groups[d], d, texts, multi_zone, masks[d.mask] > 1)
                for d in sorted(groups, key=Days.sort_key)]
    direction = (f'<p class="direction">→ '
                 f"{texts.feed('trips', 'trip_headsign', '', page.headsign)}</p>"
                 if page.headsign else
                 (f'<p class="direction">{texts.ui("direction")} {page.direction}</p>'
                  if page.direction else ""))
    agency = _agency_line(view, page.route_id, texts)
    caption = ""
    if not multi_zone:
        tz = zone(view.agency_zone_name) or ZoneInfo("UTC")
        ref = min((d for t in page.trips if (s := view.services.get(t.service)) and s.dates
                   for d in s.dates[:1]), default=dt.date(2000, 1, 3))
        caption = (f'<p class="zone-caption">{texts.ui("zone")}: '
                   f"{html.escape(view.agency_zone_name)} "
                   f"({utc_offset(tz, service_noon(ref, tz) + dt.timedelta(hours=12))})</p>")
    body = direction + agency + caption + "\n".join(sections)
    out = out_dir / page.path
    out.parent.mkdir(parents=True, exist_ok=True)
    headsign = f" → {page.headsign}" if page.headsign else ""
    out.write_text(
        render_page(title=f"{title}{headsign}", heading=heading, body=body, texts=texts,
                    root="../", active="", has_report=has_report),
        encoding="utf-8",
    )
    return out


def _agency_line(view: FeedView, route_id: str, texts: Texts) -> str:
    routes = view.table("routes.txt")
    aid = ""
    if not routes.empty and "agency_id" in routes:
        match = routes[routes["route_id"].str.strip() == route_id]
        if not match.empty:
            aid = str(match.iloc[0]["agency_id"]).strip()
    agency = view.agencies.get(aid) or (next(iter(view.agencies.values()))
                                        if len(view.agencies) == 1 else None)
    if not agency:
        return ""
    name = texts.feed("agency", "agency_name", agency.get("agency_id", ""),
                      agency.get("agency_name", ""))
    return f'<p class="agency">{texts.ui("agency")}: {name}</p>'


def write_timetables(view: FeedView, out_dir: Path, has_report: bool = True) -> list[RoutePage]:
    pages = route_pages(view)
    for page in pages:
        write_route_page(view, page, out_dir, has_report)
    return pages
