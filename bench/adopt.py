"""Adopting an existing feed (issue 8): time `gtfs-builder import`, the rebuild and `diff`.

Issue 8 claims "import and diff a 2 M `stop_times` feed in under a minute on 2 cores". Like the
validation table, each step is a whole process timed best of N with peak RSS, next to a peer
measured in the same run: partridge's load for `import` (reading the feed is the least an import
must do) and gtfs-kit loading both feeds for `diff` (the least a diff must do). The rebuild of the
imported source is timed too and checked: same `stop_times` row count, and `diff` of the original
against the rebuilt feed finds no change for riders.

The NEW side of the diff is a modified copy of the scaled feed, made once and cached next to it:
~1 % of trips depart a few minutes later, one route is dropped, one stop renamed. The diff's
summary is compared with those edits, so the timing is of a diff that did real work.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.build_network import count_stop_times
from bench.peers import BIN, Measurement, Peer, measure, run_once
from bench.scale import ScaledFeed

MODIFIED_VERSION = 1
"""Bump when `modified_feed` edits differently, so cached modified feeds are rebuilt."""

SHIFT_EVERY = 100  # every 100th trip (in trips.txt order) departs later: ~1 % of trips
SHIFT_SECONDS = 240
RENAME_SUFFIX = " (renamed)"
TRIP_DAY_TALLIES = frozenset({"trips_added", "trips_removed"})
"""Diff summary counts of trips x service days: totals of `route_day_changes`, not changes."""
EDITED = ("routes.txt", "trips.txt", "stop_times.txt", "stops.txt")

IMPORT = "gtfs-builder import"
BUILD = "gtfs-builder build"
DIFF = "gtfs-builder diff"
PARTRIDGE = "partridge"
GTFS_KIT = "gtfs-kit"

GTFS_KIT_CODE = (
    "import sys, gtfs_kit as gk\n"
    "n = 0\n"
    "for p in sys.argv[1:]:\n"
    "    n += len(gk.read_feed(p, dist_units='km').stop_times)\n"
    "print(n)\n"
)
PARTRIDGE_CODE = (
    "import sys, partridge as ptg; f = ptg.load_feed(sys.argv[1]); print(len(f.stop_times))"
)


# ---------------------------------------------------------------- the modified feed


@dataclass(frozen=True)
class ModifiedFeed:
    """A cached modified copy of a feed and the changes a diff should find in it."""

    path: Path
    expected: dict[str, int]


def _read(z: zipfile.ZipFile, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(z.read(name)), dtype=str, keep_default_na=False, engine="pyarrow")


def _csv(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def _shift(times: pd.Series, seconds: int) -> pd.Series:
    """'H:MM:SS' strings moved by `seconds` (hours may pass 24, as GTFS allows)."""
    if times.empty:
        return times
    parts = times.str.strip().str.split(":", expand=True).astype(int)
    total = parts[0] * 3600 + parts[1] * 60 + parts[2] + seconds
    h, m, s = total // 3600, total % 3600 // 60, total % 60
    return h.map("{:02d}".format) + ":" + m.map("{:02d}".format) + ":" + s.map("{:02d}".format)


def edit_tables(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Apply the edits in place (deterministic: picked by file order); return what they change.

    Drops the route of the first trip (its trips and their stop_times with it), moves every
    `SHIFT_EVERY`-th remaining trip that has times `SHIFT_SECONDS` later at every stop, renames
    the first stop a remaining trip calls at.
    """
    routes, trips = tables["routes.txt"], tables["trips.txt"]
    st, stops = tables["stop_times.txt"], tables["stops.txt"]
    if trips["route_id"].nunique() < 2:
        raise ValueError("the feed needs trips on two routes or more (one of them is dropped)")
    gone_route = trips["route_id"].iloc[0]
    gone = trips["route_id"] == gone_route
    gone_trips = set(trips.loc[gone, "trip_id"])
    trips = trips[~gone].reset_index(drop=True)
    st = st[~st["trip_id"].isin(gone_trips)].reset_index(drop=True)
    routes = routes[routes["route_id"] != gone_route].reset_index(drop=True)

    timed = set(st.loc[st["departure_time"].str.strip() != "", "trip_id"])
    shifted = set(trips.loc[trips["trip_id"].isin(timed), "trip_id"].iloc[::SHIFT_EVERY])
    rows = st["trip_id"].isin(shifted)
    for col in ("arrival_time", "departure_time"):
        filled = rows & (st[col].str.strip() != "")
        st.loc[filled, col] = _shift(st.loc[filled, col], SHIFT_SECONDS)

    served = stops["stop_id"].isin(set(st["stop_id"]))
    target = stops.index[served][0]
    stops = stops.copy()
    stops.loc[target, "stop_name"] = stops.loc[target, "stop_name"] + RENAME_SUFFIX

    tables.update(
        {"routes.txt": routes, "trips.txt": trips, "stop_times.txt": st, "stops.txt": stops}
    )
    return {
        "routes_removed": 1,
        "stops_renamed": 1,
        "trips_moved": len(shifted),
        "trips_dropped": len(gone_trips),
        "stop_times_rows": len(st),
    }


def modified_feed(src: Path, cache_dir: Path, *, log: bool = True) -> ModifiedFeed:
    """The cached modified copy of `src` (made if missing): see `edit_tables`.

    Only the edited tables are rewritten; every other entry is copied byte for byte. Written to a
    temporary name and renamed, so an interrupted run leaves no half-written feed in the cache.
    """
    key = f"{src.stem}-modified-v{MODIFIED_VERSION}"
    path, meta = cache_dir / f"{key}.zip", cache_dir / f"{key}.json"
    if path.exists() and meta.exists():
        return ModifiedFeed(path, json.loads(meta.read_text())["expected"])
    if log:
        print(f"  modifying {src.name} -> {path.name}", flush=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin:
        tables = {name: _read(zin, name) for name in EDITED}
        expected = edit_tables(tables)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
                for info in zin.infolist():
                    if info.filename in tables:
                        zout.writestr(info.filename, _csv(tables[info.filename]))
                    elif not info.is_dir():
                        zout.writestr(info, zin.read(info))
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    meta.write_text(json.dumps({"base": str(src), "expected": expected}, indent=1))
    return ModifiedFeed(path, expected)


# ---------------------------------------------------------------- measuring


@dataclass
class AdoptResult:
    """One feed size: import, rebuild and diff (ours), with their peers and the checks."""

    rows: int
    feed: str
    import_: Measurement
    build: Measurement
    diff: Measurement
    import_peer: Measurement
    diff_peer: Measurement
    rebuilt_rows: int | None = None
    roundtrip_diff_exit: int | None = None  # 0: no change for riders
    roundtrip_diff_error: str | None = None
    expected: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)  # the diff's summary
    date: str = ""  # when measured, and the machine's 1-minute load then: `--only adopt` can
    load: str = ""  # refresh this section alone, so it carries its own time

    @property
    def changes(self) -> int | None:
        """Changes the diff reported: routes, stops, services, trips moved or rerouted and
        (route, days) groups whose trip count changed; not the trip-days those groups add up to.
        """
        if not self.found:
            return None
        return sum(
            int(v)
            for k, v in self.found.items()
            if not isinstance(v, bool) and k not in TRIP_DAY_TALLIES
        )

    def diff_problems(self) -> list[str]:
        """Where the diff's summary departs from the edits made to NEW (empty: it found them)."""
        if not self.found:
            return ["no diff summary"]
        return [
            f"{k} {self.found.get(k)} (expected {v})"
            for k, v in self.expected.items()
            if k in ("routes_removed", "stops_renamed", "trips_moved") and self.found.get(k) != v
        ]

    @property
    def roundtrip_ok(self) -> bool | None:
        """Rebuilt feed has every stop_times row and no change for riders; None: not measured."""
        if self.rebuilt_rows is None:
            return None
        return self.rebuilt_rows == self.rows and self.roundtrip_diff_exit == 0

    def to_json(self) -> dict:
        d = asdict(self)
        d["import"] = d.pop("import_")
        return d

    @classmethod
    def from_json(cls, d: dict) -> AdoptResult:
        d = dict(d)
        d["import_"] = d.pop("import")
        for k in ("import_", "build", "diff", "import_peer", "diff_peer"):
            d[k] = Measurement(**d[k])
        return cls(**d)


def _gb(*args: str) -> list[str]:
    return [str(BIN / "gtfs-builder"), *args]


def _to_file(cmd: list[str], out: Path) -> list[str]:
    """`cmd > out` with `exec`, so the timed and RSS-measured process is `cmd` itself."""
    return ["/bin/sh", "-c", 'out="$1"; shift; exec "$@" > "$out"', "sh", str(out), *cmd]


def bench_adopt(
    feed: ScaledFeed,
    work: Path,
    cache_dir: Path,
    *,
    reuse: Sequence[Measurement] = (),
    log: Callable[[str], None] = print,
    **limits: float,
) -> AdoptResult:
    """Import, rebuild and diff one scaled feed (and time the peers); `work` holds the outputs.

    `reuse`: measurements already taken in this run (the validation table's partridge load of
    the same feed is the import peer: not measured twice).
    """
    rows, path = feed.stop_times_rows, feed.path
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = f"{os.getloadavg()[0]:.2f}"
    work.mkdir(parents=True, exist_ok=True)
    src, rebuilt, diff_json = work / "source", work / "rebuilt.zip", work / "diff.json"
    mod = modified_feed(path, cache_dir)

    log(f"  import -> {src}")
    imp = Peer(
        IMPORT,
        "`gtfs-builder import FEED -o DIR`",
        lambda _f, _o: _gb("import", str(path), "-o", str(src), "--force"),
    )
    m_import = measure(imp, path, rows, log=log, **limits)  # type: ignore[arg-type]

    peer_import = next((m for m in reuse if m.tool == PARTRIDGE and m.rows == rows and m.ok), None)
    if peer_import is None:
        p = Peer(
            PARTRIDGE,
            "`ptg.load_feed(FEED)`",
            lambda f, _o: [sys.executable, "-c", PARTRIDGE_CODE, str(f)],
        )
        peer_import = measure(p, path, rows, log=log, **limits)  # type: ignore[arg-type]
    else:
        log(f"    {PARTRIDGE}: reusing the validation run ({peer_import.seconds:.2f} s)")

    m_build = Measurement(BUILD, rows, skipped="import failed")
    res = AdoptResult(
        rows,
        path.name,
        m_import,
        m_build,
        Measurement(DIFF, rows),
        peer_import,
        Measurement(GTFS_KIT, rows),
        expected=mod.expected,
        date=date,
        load=load,
    )
    if m_import.ok:
        log(f"  build {src.name} -> {rebuilt.name}")
        if rebuilt.exists():
            rebuilt.unlink()
        b = Peer(
            BUILD,
            "`gtfs-builder build DIR -o FEED.zip`",
            lambda _f, _o: _gb("build", str(src), "-o", str(rebuilt)),
        )
        res.build = measure(b, src, rows, log=log, **limits)  # type: ignore[arg-type]
        if res.build.ok:
            try:
                res.rebuilt_rows = count_stop_times(rebuilt)
            except (OSError, KeyError, zipfile.BadZipFile) as exc:
                res.build.error = f"rebuilt feed unreadable: {exc}"
        if res.rebuilt_rows is not None:
            _s, _rss, code, tail = run_once(
                _gb("diff", str(path), str(rebuilt)), limits.get("timeout", 3600.0)
            )
            res.roundtrip_diff_exit = code
            if code not in (0, 1):
                res.roundtrip_diff_error = (tail.strip().splitlines() or [f"exit {code}"])[-1]
            log(f"    round trip: {res.rebuilt_rows:,} of {rows:,} rows; diff exit {code}")

    log(f"  diff {path.name} {mod.path.name} --json")
    d = Peer(
        DIFF,
        "`gtfs-builder diff OLD NEW --json`",
        lambda _f, _o: _to_file(_gb("diff", str(path), str(mod.path), "--json"), diff_json),
        ok_codes=frozenset({0, 1}),
    )
    if diff_json.exists():
        diff_json.unlink()
    res.diff = measure(d, path, rows, log=log, **limits)  # type: ignore[arg-type]
    if res.diff.ok:
        try:
            res.found = json.loads(diff_json.read_text())["summary"]
        except (OSError, ValueError, KeyError) as exc:
            res.diff.error = f"no JSON summary: {exc}"
    k = Peer(
        GTFS_KIT,
        "`gtfs_kit.read_feed` of OLD and NEW",
        lambda _f, _o: [sys.executable, "-c", GTFS_KIT_CODE, str(path), str(mod.path)],
    )
    res.diff_peer = measure(k, path, rows, log=log, **limits)  # type: ignore[arg-type]
    return res


# ---------------------------------------------------------------- formatting (unit-tested)


def _num(x: float | None, fmt: str = "{:,.2f}") -> str:
    return "–" if x is None else fmt.format(x)


def _mib(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def _line(
    r: AdoptResult, step: str, m: Measurement, ours: Measurement | None, note: str = ""
) -> str:
    """One table line; `ours` given on a peer's line gives the ratio ours:peer."""
    if ours is not None and ours.ok and m.ok:
        rt, rr = _ratio(ours.seconds, m.seconds), _ratio(ours.peak_rss_kb, m.peak_rss_kb)
    else:
        rt = rr = "–"
    why = m.skipped or m.error or ""
    if m.ok and len(m.runs) == 1:
        why = why or "1 run"
    text = "; ".join(x for x in (note, why) if x).replace("|", "/")
    return (
        f"| {r.rows:,} | {step} | {m.tool} | {_num(m.seconds)} "
        f"| {_num(m.rows_per_second, '{:,.0f}')} | {_mib(m.peak_rss_kb)} | {rt} | {rr} | {text} |"
    )


def format_adopt_table(results: Sequence[AdoptResult]) -> str:
    """Markdown table: import, rebuild and diff per size, each peer line with ours:peer ratios.

    rows/s is stop_times rows of the feed (each side, for diff) per second. A ratio below 1 means
    ours is faster (or smaller) than a peer that only loads the data.
    """
    if not results:
        return "_not run_\n"
    when = "; ".join(f"{r.rows:,} rows at {r.date}, load {r.load}" for r in results if r.date)
    head = (
        (f"Measured (1-minute load average at the start): {when}.\n\n" if when else "")
        + "| stop_times rows | step | tool | seconds (best) | rows/s | peak RSS MiB "
        "| ours:peer time | ours:peer RSS | note |\n"
        "|---:|---|---|---:|---:|---:|---:|---:|---|\n"
    )
    lines = []
    for r in results:
        lines.append(_line(r, "import", r.import_, None))
        lines.append(_line(r, "import", r.import_peer, r.import_, "load only"))
        if r.rebuilt_rows is None:
            rt = ""
        else:
            rt = f"rebuilt {r.rebuilt_rows:,} of {r.rows:,} rows; " + (
                "diff with the original: no change"
                if r.roundtrip_diff_exit == 0
                else f"diff with the original: exit {r.roundtrip_diff_exit}"
                + (f" ({r.roundtrip_diff_error})" if r.roundtrip_diff_error else "")
            )
        lines.append(_line(r, "build the import", r.build, None, rt))
        found = ""
        if r.found:
            f = r.found
            found = (
                f"{r.changes:,} changes: {f.get('routes_removed')} route removed, "
                f"{f.get('stops_renamed')} stop renamed, {f.get('trips_moved', 0):,} trips moved "
                f"({r.expected.get('trips_moved', 0):,} shifted), "
                f"{f.get('route_day_changes', 0):,} route-day changes "
                f"({f.get('trips_removed', 0):,} trip-days removed)"
            )
            bad = r.diff_problems()
            if bad:
                found += "; MISMATCH: " + ", ".join(bad)
        lines.append(_line(r, "diff OLD vs modified", r.diff, None, found))
        lines.append(_line(r, "diff OLD vs modified", r.diff_peer, r.diff, "load both only"))
    return head + "\n".join(lines) + "\n"


def check_adopt_targets(results: Sequence[AdoptResult]) -> list[str]:
    """Issue 8's claims at 2 M rows, each PASS / FAIL / n/a with the numbers behind it."""

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    r = next((x for x in results if 1_500_000 <= x.rows <= 3_000_000), None)
    imp = r.import_ if r else None
    dif = r.diff if r else None
    i_ok = None if imp is None or not imp.ok else imp.seconds < 60  # type: ignore[operator]
    d_ok = None
    if r is not None and dif is not None and dif.ok:
        d_ok = dif.seconds < 60 and not r.diff_problems()  # type: ignore[operator]
    changes = "" if r is None or r.changes is None else f", {r.changes:,} changes found"
    out = [
        f"- import of the 2M feed: {_num(imp.seconds if imp else None)} s (target < 60 s): "
        f"**{verdict(i_ok)}**",
        f"- diff of 2M vs a modified 2M: {_num(dif.seconds if dif else None)} s{changes} "
        f"(target < 60 s, finding the route removed, the stop renamed and the trips moved): "
        f"**{verdict(d_ok)}**",
    ]
    rt = None if r is None else r.roundtrip_ok
    b = r.build if r else None
    total = (
        imp.seconds + b.seconds if imp and b and imp.ok and b.ok else None  # type: ignore[operator]
    )
    rows = "–" if r is None or r.rebuilt_rows is None else f"{r.rebuilt_rows:,} of {r.rows:,}"
    out.append(
        f"- import + build round trip at 2M: {_num(total)} s, {rows} stop_times rows back, "
        f"diff with the original empty (target: every row back, no change for riders): "
        f"**{verdict(rt)}**"
    )
    return out


def _main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.adopt FEED.zip`: make the modified copy and run one size, by hand."""
    from bench.scale import DEFAULT_CACHE

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bench.adopt FEED.zip", file=sys.stderr)
        return 2
    path = Path(args[0])
    sf = ScaledFeed(path, path, 1, {"stop_times.txt": count_stop_times(path)})
    with tempfile.TemporaryDirectory(prefix="bench-adopt-") as work:
        r = bench_adopt(sf, Path(work), DEFAULT_CACHE, repeat=1)
    print(format_adopt_table([r]))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
