"""The network map: an SVG drawn from shapes and stops, with no map tiles (the site is offline).

Projection: azimuthal equidistant centred on the network (pyproj), so distances and angles are
right around the centre whatever the latitude (a plain lon/lat plot squashes a northern network
sideways); the map is fitted to the bounding box of what is drawn, north up, with a scale bar.

- Lines: each route's shapes (shapes.txt) in route_color; a trip without a shape is drawn through
  its stops. Polylines are simplified to half a pixel, so big feeds stay small. Where routes share
  track, the earlier route is drawn wider under the later ones, so every colour stays visible.
- Stations: platforms are drawn at their parent station; stops of the same name less than 500 m
  apart are one station (feeds without parent stations list each platform). Terminals are larger.
- Border stations: GTFS has no country field, so a station is marked as a border station when a
  trip runs directly between it and a stop in another time zone (stop_timezone, else the parent's,
  else the agency's): on Khasan → Tumangang that marks both ends of the border crossing.
- Labels: every station when there are at most ``MAX_LABELS``, else terminals and border stations
  first, then the busiest; each label takes the first of eight places around its station that
  overlaps no other label and stays on the map, or is left out (its name is in the tooltip).
"""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString
from shapely.geometry import box as shapely_box
from shapely.prepared import prep

from gtfs_builder.render.feedview import FeedView
from gtfs_builder.render.i18n import Texts
from gtfs_builder.render.page import render_page
from gtfs_builder.render.timetables import RoutePage, route_colours, route_pages

WIDTH = 1000.0
MARGIN = 70.0
MAX_LABELS = 60
FONT = 13.0
OVERLAP_ROUTES = 40  # above this many routes, skip the pairwise shared-track check
SAME_STATION_M = 500.0
SMALL_PX = 90.0  # a group of routes smaller than this on the overview gets a zoomed inset
JOIN_M = 5000.0  # routes closer than this are one group
MAX_INSETS = 3
CROWDED = 150  # more stations than this: smaller marks
INSET_W = 300.0
INSET_MAX_H = 260.0
INSET_MARGIN = 50.0


@dataclass
class Station:
    stop_id: str
    name: str
    x: float = 0.0  # pixels in the view being drawn
    y: float = 0.0
    mx: float = 0.0  # projected metres
    my: float = 0.0
    trips: int = 0
    terminal: bool = False
    border: bool = False


def _text_width(text: str, size: float = FONT) -> float:
    """Rough rendered width: CJK/Hangul glyphs are square, Latin and Cyrillic about 0.6 em."""
    w = 0.0
    for ch in text:
        o = ord(ch)
        w += 1.0 if o >= 0x1100 and (0x1100 <= o <= 0x11FF or 0x2E80 <= o <= 0xD7AF
                                      or 0xF900 <= o <= 0xFFEF) else 0.62
    return w * size


def _nice(length: float) -> float:
    """The largest 1/2/5 × 10^k not above ``length``."""
    if length <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(length))
    for m in (5, 2, 1):
        if m * k <= length:
            return m * k
    return k


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def build_map(view: FeedView, texts: Texts, pages: list[RoutePage] | None = None) -> str:
    """The SVG element (as HTML text) and nothing else."""
    pages = pages if pages is not None else route_pages(view)
    stops = view.stops
    # ---- what to draw: per route, lines as lon/lat sequences
    shapes = _shapes(view)
    trip_shape = dict(zip(view.col("trips.txt", "trip_id"), view.col("trips.txt", "shape_id"),
                          strict=True))
    route_lines: dict[str, list[list[tuple[float, float]]]] = {}
    stations: dict[str, Station] = {}
    edges: set[tuple[str, str]] = set()
    for page in pages:
        seen: set[object] = set()
        lines = route_lines.setdefault(page.route_id, [])
        for trip in page.trips:
            sid = trip_shape.get(trip.trip_id, "")
            shaped = bool(sid) and len(shapes.get(sid, [])) >= 2
            key = ("shape", sid) if shaped else ("stops", tuple(trip.stops))
            if key in seen:
                continue
            seen.add(key)
            if shaped:
                line = shapes[sid]
            else:
                line = [(stops["lon"].get(s, math.nan), stops["lat"].get(s, math.nan))
                        for s in trip.stops]
                line = [p for p in line if not (math.isnan(p[0]) or math.isnan(p[1]))]
            if len(line) >= 2:
                lines.append(line)
        # trips with the same stops add the same marks and edges: once per pattern, counted
        for pattern, n in Counter(tuple(trip.stops) for trip in page.trips).items():
            for i, s in enumerate(pattern):
                st = stations.get(s)
                if st is None:
                    st = stations[s] = Station(s, stops["name"].get(s, s))
                st.trips += n
                if i in (0, len(pattern) - 1):
                    st.terminal = True
                if i:
                    edges.add((pattern[i - 1], s))
    zone_of = stops["zone"].to_dict() if len(stops) else {}
    for a, b in edges:
        if zone_of.get(a) and zone_of.get(b) and zone_of[a] != zone_of[b]:
            stations[a].border = stations[b].border = True
    located = {s: st for s, st in stations.items()
               if not math.isnan(stops["lat"].get(s, math.nan))
               and not math.isnan(stops["lon"].get(s, math.nan))}
    if not located and not any(route_lines.values()):  # e.g. stops only, no trips
        for s, row in stops.iterrows():
            if row["location_type"] in (0, 1) and not row["parent"] and \
                    not (math.isnan(row["lat"]) or math.isnan(row["lon"])):
                located[s] = Station(str(s), row["name"])
    if not located and not any(route_lines.values()):
        return '<p class="empty">No located stops to draw.</p>'

    # ---- projection: metres around the network's centre
    lons = [stops["lon"][s] for s in located] + [p[0] for ls in route_lines.values()
                                                  for line in ls for p in line]
    lats = [stops["lat"][s] for s in located] + [p[1] for ls in route_lines.values()
                                                  for line in ls for p in line]
    lon0 = (min(lons) + max(lons)) / 2
    lat0 = (min(lats) + max(lats)) / 2
    proj = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m",
        always_xy=True)
    for s, st in located.items():
        x, y = proj.transform(stops["lon"][s], stops["lat"][s])
        st.mx, st.my = float(x), float(y)
    located, alias = _merge_platforms(located)
    lines_m: dict[str, list[np.ndarray]] = {}
    for rid, lines in route_lines.items():
        out = []
        for line in lines:
            arr = np.asarray(line)
            x, y = proj.transform(arr[:, 0], arr[:, 1])
            out.append(np.column_stack([x, y]))
        if out:
            lines_m[rid] = out
    route_stops: dict[str, set[str]] = defaultdict(set)
    for page in pages:
        for trip in page.trips:
            route_stops[page.route_id].update(alias[s] for s in trip.stops if s in alias)

    routes = view.table("routes.txt")
    route_rows = {str(r.get("route_id", "")).strip(): {k: str(v).strip() for k, v in r.items()}
                  for r in routes.to_dict("records")} if not routes.empty else {}

    # ---- the whole network; small far-apart groups of routes also get a zoomed inset
    everything = _Group("", set(lines_m) | set(route_stops), set(located))
    whole = _extent(everything, located, lines_m)
    groups = _groups(route_stops, lines_m, located)
    main_w = WIDTH
    span_x, span_y = max(whole[2] - whole[0], 1.0), max(whole[3] - whole[1], 1.0)
    scale = (main_w - 2 * MARGIN) / span_x
    height = min(max(span_y * scale + 2 * MARGIN, 360.0), 900.0)
    scale = min(scale, (height - 2 * MARGIN) / span_y)
    insets = [g for g in groups if len(groups) > 1
              and max(_span(_extent(g, located, lines_m))) * scale < SMALL_PX][:MAX_INSETS]
    if insets:  # a column on the right for the zoomed views; refit the overview to the rest
        main_w = WIDTH - INSET_W - MARGIN / 2
        scale = min((main_w - 2 * MARGIN) / span_x, (height - 2 * MARGIN) / span_y)
        inset_h = min(INSET_MAX_H, (height - 20) / len(insets) - 20)
    taken: list[tuple[float, float, float, float]] = []
    inset_stops = {s for g in insets for s in g.stations}
    main = _Frame(whole, (0, 0, main_w, height), scale)
    body = [f'<rect class="bg" width="{_fmt(WIDTH)}" height="{_fmt(height)}"/>']
    body += _draw(main, everything, located, lines_m, route_rows, texts, taken,
                  labelled=set(located) - inset_stops, name="main")
    for i, g in enumerate(insets):
        letter = chr(ord("A") + i)
        ext = _extent(g, located, lines_m)
        gx0, gy0 = main.px(ext[0], ext[3])
        gx1, gy1 = main.px(ext[2], ext[1])
        box = (WIDTH - INSET_W - 10, 10 + i * (inset_h + 20), INSET_W, inset_h)
        gs = min((INSET_W - 2 * INSET_MARGIN) / max(_span(ext)[0], 1.0),
                 (inset_h - 2 * INSET_MARGIN) / max(_span(ext)[1], 1.0))
        frame = _Frame(ext, box, gs)
        names = ", ".join(route_rows.get(r, {}).get("route_short_name") or r
                          for r in sorted(g.routes))
        body.append(
            f'<g class="inset-mark"><rect x="{_fmt(gx0 - 12)}" y="{_fmt(gy0 - 12)}" '
            f'width="{_fmt(gx1 - gx0 + 24)}" height="{_fmt(gy1 - gy0 + 24)}"/>'
            f'<text x="{_fmt(gx1 + 16)}" y="{_fmt(gy0 - 2)}">{letter}</text></g>')
        taken.append((gx0 - 14, gy0 - 16, gx1 + 30, gy1 + 14))
        body.append(
            f'<g class="inset" data-inset="{letter}"><rect class="inset-bg" x="{_fmt(box[0])}" '
            f'y="{_fmt(box[1])}" width="{_fmt(box[2])}" height="{_fmt(box[3])}"/>'
            f'<text class="inset-title" x="{_fmt(box[0] + 8)}" y="{_fmt(box[1] + 16)}">'
            f"{letter} · {html.escape(names)}</text>")
        taken.append((box[0], box[1], box[0] + box[2], box[1] + 22))
        body += _draw(frame, g, located, lines_m, route_rows, texts, taken,
                      labelled=set(g.stations), name=letter, bounds=box)
        body.append(_scale_bar(gs, box[1] + box[3], box[0] + 8, INSET_W / 3) + "</g>")
    body.append(_scale_bar(scale, height, 20.0, 150.0))
    return (
        f'<svg class="netmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(WIDTH)} '
        f'{_fmt(height)}" role="img" aria-label="Network map">{"".join(body)}</svg>'
    )


@dataclass
class _Group:
    """Routes drawn together, and their stations."""

    key: str
    routes: set[str]
    stations: set[str]


def _extent(group: _Group, located: dict[str, Station],
            lines_m: dict[str, list[np.ndarray]]) -> tuple[float, float, float, float]:
    xs = [located[s].mx for s in group.stations if s in located]
    ys = [located[s].my for s in group.stations if s in located]
    for r in group.routes:
        for arr in lines_m.get(r, []):
            xs += [float(arr[:, 0].min()), float(arr[:, 0].max())]
            ys += [float(arr[:, 1].min()), float(arr[:, 1].max())]
    return min(xs), min(ys), max(xs), max(ys)


def _span(ext: tuple[float, float, float, float]) -> tuple[float, float]:
    return ext[2] - ext[0], ext[3] - ext[1]


def _groups(route_stops: dict[str, set[str]], lines_m: dict[str, list[np.ndarray]],
            located: dict[str, Station]) -> list[_Group]:
    """Routes joined when they share a station or their extents touch (within ``JOIN_M``)."""
    groups = [_Group(r, {r}, set(route_stops.get(r, set()))) for r in
              sorted(set(route_stops) | set(lines_m))]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = groups[i], groups[j]
                ea, eb = _extent(a, located, lines_m), _extent(b, located, lines_m)
                near = (ea[0] - JOIN_M < eb[2] and eb[0] - JOIN_M < ea[2]
                        and ea[1] - JOIN_M < eb[3] and eb[1] - JOIN_M < ea[3])
                if a.stations & b.stations or near:
                    groups[i] = _Group(a.key, a.routes | b.routes, a.stations | b.stations)
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(groups, key=lambda g: (-_extent(g, located, lines_m)[3], g.key))  # north first


def _shapes(view: FeedView) -> dict[str, list[tuple[float, float]]]:
    """shape_id → its located points as (lon, lat), in shape_pt_sequence order."""
    name = "shapes.txt"
    if view.table(name).empty:
        return {}
    points = pd.DataFrame(
        {
            "shape": view.series(name, "shape_id"),
            "seq": view.num(name, "shape_pt_sequence", 0),
            "lon": view.num(name, "shape_pt_lon"),
            "lat": view.num(name, "shape_pt_lat"),
        }
    )
    points = points.dropna(subset=["lon", "lat"]).sort_values(["shape", "seq"], kind="stable")
    return {
        str(shape): list(zip(group["lon"].tolist(), group["lat"].tolist(), strict=True))
        for shape, group in points.groupby("shape", sort=False)
    }


class _Frame:
    """Metres → pixels for one view (the overview or an inset), north up, centred in its box."""

    def __init__(self, ext: tuple[float, float, float, float],
                 box: tuple[float, float, float, float], scale: float) -> None:
        self.ext, self.box, self.scale = ext, box, scale
        w, h = _span(ext)
        self.ox = box[0] + (box[2] - w * scale) / 2
        self.oy = box[1] + (box[3] + h * scale) / 2  # pixel y of the extent's bottom edge

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + (x - self.ext[0]) * self.scale, self.oy - (y - self.ext[1]) * self.scale

    def line(self, arr: np.ndarray) -> np.ndarray:
        return np.column_stack([self.ox + (arr[:, 0] - self.ext[0]) * self.scale,
                                self.oy - (arr[:, 1] - self.ext[1]) * self.scale])


def _draw(frame: _Frame, group: _Group, located: dict[str, Station],
          lines_m: dict[str, list[np.ndarray]], route_rows: dict[str, dict[str, str]],
          texts: Texts, taken: list[tuple[float, float, float, float]], *, labelled: set[str],
          name: str, bounds: tuple[float, float, float, float] | None = None) -> list[str]:
    """Lines, station marks and labels of one group in one frame."""
    geoms: dict[str, list[LineString]] = {}
    for rid in group.routes:
        out = []
        for arr in lines_m.get(rid, []):
            g = LineString(frame.line(arr)).simplify(0.5, preserve_topology=False)
            if not g.is_empty and g.length > 0:
                out.append(g)
        if out:
            geoms[rid] = out
    order = sorted(geoms, key=lambda r: (-sum(g.length for g in geoms[r]), r))
    colours = {r: route_colours(route_rows.get(r, {}))[0] for r in order}
    widths = {r: 4.0 for r in order}
    if len(order) <= OVERLAP_ROUTES and len(set(colours.values())) > 1:
        # widen a route by 3 px per other colour drawn over it on shared track (at most 4)
        buffered = {r: [g.buffer(2.0) for g in geoms[r]] for r in order}
        for i, r in enumerate(order):
            over = {colours[q] for q in order[i + 1:] if colours[q] != colours[r]
                    and any(b.intersection(g).length > 25 for b in buffered[r]
                            for g in geoms[q])}
            widths[r] = 4.0 + 3.0 * min(len(over), 4)
    parts = []
    for rid in order:
        colour = colours[rid]
        paths = " ".join(
            "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in g.coords) for g in geoms[rid])
        label = route_rows.get(rid, {}).get("route_short_name") or route_rows.get(rid, {}).get(
            "route_long_name") or rid
        parts.append(
            f'<path class="route" data-route="{html.escape(rid)}" d="{paths}" '
            f'stroke="#{colour}" stroke-width="{_fmt(widths[rid])}">'
            f"<title>{html.escape(label)}</title></path>")
    stations = [located[s] for s in sorted(group.stations) if s in located]
    for st in stations:
        st.x, st.y = frame.px(st.mx, st.my)
    marks = []
    crowded = len(stations) > CROWDED  # a bus network: small dots, terminals stand out
    for st in sorted(stations, key=lambda s: (s.border, s.terminal, s.stop_id)):
        major = st.terminal or st.border
        r = (5.0 if crowded else 6.5) if major else (2.5 if crowded else 4.0)
        cls = "station" + (" terminal" if st.terminal else "") + (" border" if st.border else "")
        cls += " minor" if crowded and not major else ""
        ring = (f'<circle class="border-ring" cx="{_fmt(st.x)}" cy="{_fmt(st.y)}" '
                f'r="{_fmt(r + 4)}"/>') if st.border else ""
        marks.append(
            f'<g class="{cls}" data-stop="{html.escape(st.stop_id)}" data-view="{name}">{ring}'
            f'<circle cx="{_fmt(st.x)}" cy="{_fmt(st.y)}" r="{_fmt(r)}"/>'
            f"<title>{html.escape(st.name)}</title></g>")
    taken.extend((s.x - 7, s.y - 7, s.x + 7, s.y + 7) for s in stations)
    drawn = [g for gs in geoms.values() for g in gs]
    lines = prep(MultiLineString(drawn)) if drawn else None
    labels = _place_labels([s for s in stations if s.stop_id in labelled], texts, taken,
                           bounds or (0, 0, WIDTH, frame.box[3]), lines)
    return [f'<g class="routes">{"".join(parts)}</g><g class="stations">{"".join(marks)}</g>'
            f'<g class="labels">{"".join(labels)}</g>']


def _merge_platforms(located: dict[str, Station]) -> tuple[dict[str, Station], dict[str, str]]:
    """One mark and label for stops of the same name within ``SAME_STATION_M`` of each other
    (feeds without parent stations list each platform as its own stop: Caltrain's NB and SB).
    Returns the stations kept and, for every located stop, the station it is drawn as."""
    reps: dict[str, list[Station]] = defaultdict(list)
    out: dict[str, Station] = {}
    alias: dict[str, str] = {}
    for st in sorted(located.values(), key=lambda s: (-s.trips, s.stop_id)):
        near = next((r for r in reps[st.name]
                     if math.hypot(r.mx - st.mx, r.my - st.my) <= SAME_STATION_M), None)
        if near is None:
            reps[st.name].append(st)
            out[st.stop_id] = st
            alias[st.stop_id] = st.stop_id
        else:
            near.trips += st.trips
            near.terminal |= st.terminal
            near.border |= st.border
            alias[st.stop_id] = near.stop_id
    return out, alias


def _place_labels(stations: list[Station], texts: Texts,
                  taken: list[tuple[float, float, float, float]],
                  bounds: tuple[float, float, float, float], lines: Any = None) -> list[str]:
    """Greedy placement, most important stations first: the first of eight spots that overlaps
    no label or station and stays in ``bounds``; spots clear of the route lines are preferred."""
    if len(stations) > MAX_LABELS:
        ranked = sorted(stations, key=lambda s: (not s.border, not s.terminal, -s.trips,
                                                 s.stop_id))[:MAX_LABELS]
    else:
        ranked = sorted(stations, key=lambda s: (not s.border, not s.terminal, s.stop_id))
    out = []
    for st in ranked:
        key = texts.feed_key("stops", "stop_name", st.stop_id, st.name)
        w = max(_text_width(v) for v in texts.variants("stops", "stop_name", st.stop_id, st.name))
        w = w * (1.12 if st.terminal or st.border else 1.0) + 6  # bold is wider; a margin
        d, e = 10.0, 8.0
        # (anchor, x, baseline y): right, left, above, below, then the four diagonals
        spots = [("start", st.x + d, st.y + FONT / 3), ("end", st.x - d, st.y + FONT / 3),
                 ("middle", st.x, st.y - d - 2), ("middle", st.x, st.y + d + FONT),
                 ("start", st.x + e, st.y - e), ("end", st.x - e, st.y - e),
                 ("start", st.x + e, st.y + e + FONT), ("end", st.x - e, st.y + e + FONT)]
        own = (st.x - 7, st.y - 7, st.x + 7, st.y + 7)
        candidates = []
        for anchor, x, y in spots:
            x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
            candidates.append((anchor, x, y, (x0, y - FONT - 1, x0 + w, y + 4)))
        free = [c for c in candidates
                if bounds[0] + 2 <= c[3][0] and c[3][2] <= bounds[0] + bounds[2] - 2
                and bounds[1] + 2 <= c[3][1] and c[3][3] <= bounds[1] + bounds[3] - 28
                and not any(_overlap(c[3], t) for t in taken if t != own)]
        clear = [c for c in free if lines is None or not lines.intersects(shapely_box(*c[3]))]
        for anchor, x, y, box in (clear or free)[:1]:
            taken.append(box)
            cls = "label" + (" border" if st.border else "") + (" terminal" if st.terminal else "")
            out.append(f'<text class="{cls}" x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}" '
                       f'data-stop="{html.escape(st.stop_id)}" data-t="{html.escape(key)}">'
                       f"{html.escape(st.name)}</text>")
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _scale_bar(scale: float, bottom: float, x: float, max_len: float) -> str:
    metres = _nice(max_len / scale)
    length = metres * scale
    label = f"{_fmt(metres / 1000)} km" if metres >= 1000 else f"{_fmt(metres)} m"
    y = bottom - 12
    return (f'<g class="scalebar"><path d="M{_fmt(x)},{_fmt(y - 5)} V{_fmt(y)} '
            f'H{_fmt(x + length)} V{_fmt(y - 5)}"/><text x="{_fmt(x + length + 6)}" '
            f'y="{_fmt(y)}">{label}</text></g>')


def _legend(view: FeedView, pages: list[RoutePage], texts: Texts, border: bool) -> str:
    from gtfs_builder.render.timetables import route_heading

    items = []
    done = set()
    for page in pages:
        if page.route_id in done:
            continue
        done.add(page.route_id)
        heading, _ = route_heading(view, page.route_id, texts)
        items.append(f'<li data-route="{html.escape(page.route_id)}">{heading}</li>')
    symbols = (f'<li class="sym"><svg width="22" height="22" viewBox="-11 -11 22 22">'
               f'<g class="station"><circle r="5"/></g></svg> {texts.ui("station")}</li>')
    if border:
        symbols += (f'<li class="sym"><svg width="22" height="22" viewBox="-11 -11 22 22">'
                    f'<g class="station border"><circle class="border-ring" r="9"/>'
                    f'<circle r="5"/></g></svg> {texts.ui("border")}</li>')
    return f'<ul class="legend">{"".join(items)}{symbols}</ul>'


def write_map(view: FeedView, out_dir: Path, pages: list[RoutePage] | None = None,
              has_report: bool = True) -> Path:
    pages = pages if pages is not None else route_pages(view)
    texts = Texts(view)
    svg = build_map(view, texts, pages)
    legend = _legend(view, pages, texts, border="border-ring" in svg)
    body = f'<figure class="map">{svg}</figure>\n{legend}'
    out = out_dir / "map.html"
    out.write_text(render_page(title="Network map", heading=texts.ui("map"), body=body,
                               texts=texts, active="map", has_report=has_report),
                   encoding="utf-8")
    return out


__all__ = ["build_map", "write_map"]
