"""A large generated source network (source format v1) and the timing of `gtfs-builder build` on it.

Why generated: the build target (>= 1 M stop_times rows written per second) is about expanding
frequency windows at national scale, and no real network in `source/` is that large. The network is
a grid of stops crossed by `routes` routes (half east-west, half north-south), each with two
directions and frequency windows expanded into trips, which is where the compiler spends its time.
Defaults give 2,000 routes x 2 directions x 22 stops x 56 trips ~ 4.9 M stop_times rows.
"""

from __future__ import annotations

import io
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.peers import BIN, Measurement, Peer, measure

GRID = 150
"""Stops per side of the square grid (22,500 stops, about 400 m apart)."""

STEP_DEG = 0.0036

# (service, start, end, headway minutes): 18 + 14 + 18 weekday trips, 6 weekend trips.
WINDOWS: tuple[tuple[str, str, str, int], ...] = (
    ("wk", "06:00", "09:00", 10),
    ("wk", "09:00", "16:00", 30),
    ("wk", "16:00", "19:00", 10),
    ("we", "08:00", "20:00", 120),
)


@dataclass(frozen=True)
class NetworkSpec:
    routes: int = 2000
    stops_per_pattern: int = 22
    run_minutes: int = 2

    def trips_per_pattern(self) -> int:
        """Trips one pattern expands to, counting start times in [start, end)."""
        total = 0
        for _svc, start, end, headway in WINDOWS:
            total += -(-(_minutes(end) - _minutes(start)) // headway)
        return total

    def expected_rows(self) -> int:
        return self.routes * 2 * self.stops_per_pattern * self.trips_per_pattern()


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _stop_id(row: int, col: int) -> str:
    return f"s{row:03d}_{col:03d}"


def _route_stops(r: int, spec: NetworkSpec) -> list[str]:
    """Stops of route r: a run of consecutive grid stops along one row or column."""
    line = r % GRID
    span = GRID - spec.stops_per_pattern
    start = (r // GRID * 17) % (span + 1)
    cells = range(start, start + spec.stops_per_pattern)
    if r % 2 == 0:
        return [_stop_id(line, c) for c in cells]
    return [_stop_id(c, line) for c in cells]


def write_network(out_dir: Path, spec: NetworkSpec) -> Path:
    """Write the YAML source folder (feed, agencies, services, stops, routes) and return it.

    YAML is written by hand rather than through ruamel: the generator must be cheap next to the
    build it feeds, and the shape of each record is fixed.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / "feed.yaml").write_text(
        "format: 1\n"
        "feed:\n"
        "  publisher_name: gtfs-builder bench\n"
        "  publisher_url: https://example.org/bench\n"
        "  lang: en\n"
        "  start_date: '2026-01-01'\n"
        "  end_date: '2026-12-31'\n"
        "agencies:\n"
        "  - id: BENCH\n"
        "    name: Bench Transit\n"
        "    url: https://example.org/bench\n"
        "    timezone: Europe/Berlin\n"
        "services:\n"
        "  - id: wk\n"
        "    days: weekdays\n"
        "    start_date: '2026-01-01'\n"
        "    end_date: '2026-12-31'\n"
        "  - id: we\n"
        "    days: weekends\n"
        "    start_date: '2026-01-01'\n"
        "    end_date: '2026-12-31'\n"
    )
    used = sorted({s for r in range(spec.routes) for s in _route_stops(r, spec)})
    buf = io.StringIO()
    buf.write("stops:\n")
    for sid in used:
        row, col = (int(x) for x in sid[1:].split("_"))
        lat = 52.0 + row * STEP_DEG
        lon = 13.0 + col * STEP_DEG * 1.6
        buf.write(f"  - {{id: {sid}, name: Stop {row}-{col}, lat: {lat:.6f}, lon: {lon:.6f}}}\n")
    (out_dir / "stops.yaml").write_text(buf.getvalue())
    buf = io.StringIO()
    buf.write("routes:\n")
    freq = "".join(
        f"          - {{service: {svc}, start: '{a}', end: '{b}', headway: {h}, expand: true}}\n"
        for svc, a, b, h in WINDOWS
    )
    for r in range(spec.routes):
        stops = _route_stops(r, spec)
        buf.write(
            f"  - id: R{r:04d}\n    agency: BENCH\n    short_name: '{r}'\n    type: bus\n"
            "    patterns:\n"
        )
        for direction, seq in ((0, stops), (1, stops[::-1])):
            buf.write(
                f"      - id: R{r:04d}_{direction}\n        direction: {direction}\n"
                f"        headsign: Stop {seq[-1][1:]}\n        stops:\n"
            )
            buf.write(f"          - {{stop: {seq[0]}}}\n")
            for sid in seq[1:]:
                buf.write(f"          - {{stop: {sid}, run: {spec.run_minutes}}}\n")
            buf.write("        frequencies:\n")
            buf.write(freq)
    (out_dir / "routes.yaml").write_text(buf.getvalue())
    return out_dir


def count_stop_times(feed: Path) -> int:
    """Data rows of stop_times.txt in a built zip (streamed: the file may be hundreds of MB)."""
    with zipfile.ZipFile(feed) as z, z.open("stop_times.txt") as f:
        lines = 0
        last = b"\n"
        for chunk in iter(lambda: f.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - 1)


@dataclass
class BuildResult:
    spec: NetworkSpec
    measurement: Measurement
    rows_written: int | None
    source_bytes: int

    @property
    def rows_per_second(self) -> float | None:
        m = self.measurement
        if self.rows_written is None or not m.seconds:
            return None
        return self.rows_written / m.seconds


def bench_build(work: Path, spec: NetworkSpec, **limits: float) -> BuildResult:
    """Generate the network under `work` and time `gtfs-builder build SRC -o FEED.zip`."""
    src = write_network(work / "network", spec)
    out = work / "network.zip"
    peer = Peer(
        "gtfs-builder build",
        "`gtfs-builder build SRC -o FEED.zip`",
        lambda _feed, _o: [str(BIN / "gtfs-builder"), "build", str(src), "-o", str(out)],
    )
    if out.exists():
        out.unlink()
    m = measure(peer, src, spec.expected_rows(), **limits)  # type: ignore[arg-type]
    rows = None
    if m.ok and out.exists():
        try:
            rows = count_stop_times(out)
        except (KeyError, zipfile.BadZipFile) as exc:
            m.error = f"output unreadable: {exc}"
    elif m.ok:
        m.error = f"build exited 0 but wrote no {out.name}"
    size = sum(p.stat().st_size for p in src.iterdir())
    return BuildResult(spec, m, rows, size)


if __name__ == "__main__":
    # Write the network only: `python -m bench.build_network DIR [ROUTES]` (to try it by hand).
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/cache/network")
    s = NetworkSpec(routes=int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
    write_network(target, s)
    print(f"{target}: {s.routes} routes, about {s.expected_rows():,} stop_times rows")
