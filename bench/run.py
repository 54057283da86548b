"""`python -m bench.run`: the whole benchmark in one run, so every ratio compares like with like.

Steps: make (or reuse) the scaled feeds; time `gtfs-builder validate` and each peer on each, best
of N, with peak RSS; time `gtfs-builder build` on a generated 2,000-route network; time `import`
(and the rebuild) and `diff` on the feeds up to 2 M rows (`bench/adopt.py`); profile our
validator at 2 M rows with pyinstrument; check the issue's targets; print the tables and write
them to `bench/results.md` (plus the raw numbers to `bench/results.json`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import peers as peers_mod
from bench.adopt import AdoptResult, bench_adopt, check_adopt_targets, format_adopt_table
from bench.agree import Agreement, compare, format_agreement
from bench.build_network import BuildResult, NetworkSpec, bench_build
from bench.peers import OURS, PEERS, Measurement, measure
from bench.scale import DEFAULT_BASE, DEFAULT_CACHE, format_size, parse_size, scaled_feed

HERE = Path(__file__).resolve().parent
GIB = 1024 * 1024  # kB per GiB


@dataclass
class Profile:
    rows: int
    seconds: float | None = None
    top_self: list[dict] = field(default_factory=list)
    top_ours: list[dict] = field(default_factory=list)
    text_path: str | None = None
    error: str | None = None


# ---------------------------------------------------------------- formatting (unit-tested)


def _num(x: float | None, fmt: str = "{:,.2f}") -> str:
    return "–" if x is None else fmt.format(x)


def _mib(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def format_validation_table(results: Sequence[Measurement], ours: str = OURS.name) -> str:
    """Markdown table: one line per (size, tool); ratios are ours / that tool at the same size.

    A ratio below 1 means ours is faster (or smaller). Failed or skipped runs keep their line, with
    the reason, so a missing number is never silently absent.
    """
    head = (
        "| stop_times rows | tool | seconds (best) | rows/s | peak RSS MiB "
        "| ours:tool time | ours:tool RSS | note |\n"
        "|---:|---|---:|---:|---:|---:|---:|---|\n"
    )
    mine = {m.rows: m for m in results if m.tool == ours}
    lines = []
    for m in results:
        o = mine.get(m.rows)
        note = m.skipped or m.error or ""
        if m.ok and len(m.runs) == 1:
            note = note or "1 run"
        if m.tool == ours or o is None or not m.ok:
            rt = rr = "–"
        else:
            rt = _ratio(o.seconds, m.seconds)
            rr = _ratio(o.peak_rss_kb, m.peak_rss_kb)
        lines.append(
            f"| {m.rows:,} | {m.tool} | {_num(m.seconds)} | {_num(m.rows_per_second, '{:,.0f}')} "
            f"| {_mib(m.peak_rss_kb)} | {rt} | {rr} | {note.replace('|', '/')} |"
        )
    return head + "\n".join(lines) + "\n"


def format_build_table(b: BuildResult | None) -> str:
    if b is None:
        return "_not run_\n"
    m = b.measurement
    return (
        "| routes | stop_times rows written | source YAML MB | seconds (best) | rows/s "
        "| peak RSS MiB | note |\n|---:|---:|---:|---:|---:|---:|---|\n"
        f"| {b.spec.routes:,} | {_num(b.rows_written, '{:,}')} "
        f"(expected {b.spec.expected_rows():,}) | {_num(b.source_bytes / 1e6 or None, '{:.1f}')} "
        f"| {_num(m.seconds)} "
        f"| {_num(b.rows_per_second, '{:,.0f}')} | {_mib(m.peak_rss_kb)} "
        f"| {(m.error or m.skipped or '').replace('|', '/')} |\n"
    )


def _at(results: Sequence[Measurement], tool: str, rows_min: int, rows_max: int) -> Measurement:
    for m in results:
        if m.tool == tool and rows_min <= m.rows <= rows_max and m.ok:
            return m
    return Measurement(tool, 0)


def check_targets(results: Sequence[Measurement], build: BuildResult | None) -> list[str]:
    """The issue's targets, each PASS / FAIL / n/a with the numbers behind it."""

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    out = []
    bands = {"2M": (1_500_000, 3_000_000), "20M": (15_000_000, 30_000_000)}
    for label, (lo, hi) in bands.items():
        o = _at(results, OURS.name, lo, hi)
        g = _at(results, "gtfs-guru", lo, hi)
        v = _at(results, "gtfs-validator", lo, hi)
        r = o.seconds / g.seconds if o.ok and g.ok else None
        out.append(
            f"- validate at {label}: ours:gtfs-guru time = {_num(r)} (target <= 1.5, goal < 1.0): "
            f"**{verdict(None if r is None else r <= 1.5)}**"
        )
        if label == "2M":
            s = v.seconds / o.seconds if o.ok and v.ok else None
            out.append(
                f"- validate at {label}: speed-up over gtfs-validator = {_num(s, '{:,.1f}')}x "
                f"(target >= 50x): **{verdict(None if s is None else s >= 50)}**"
            )
    o20 = _at(results, OURS.name, *bands["20M"])
    g20 = _at(results, "gtfs-guru", *bands["20M"])
    rss_ok = None
    if o20.ok and o20.peak_rss_kb is not None:
        rss_ok = o20.peak_rss_kb < 4 * GIB and (
            g20.peak_rss_kb is None or o20.peak_rss_kb < g20.peak_rss_kb
        )
    out.append(
        f"- peak RSS at 20M: ours {_mib(o20.peak_rss_kb)} MiB, gtfs-guru "
        f"{_mib(g20.peak_rss_kb)} MiB (target: below gtfs-guru and below 4096 MiB): "
        f"**{verdict(rss_ok)}**"
    )
    o2 = _at(results, OURS.name, *bands["2M"])
    lin = None
    if o2.rows_per_second and o20.rows_per_second:
        lin = o20.rows_per_second / o2.rows_per_second
    out.append(
        f"- linear growth: rows/s at 20M / rows/s at 2M = {_num(lin)} (target >= 0.70): "
        f"**{verdict(None if lin is None else lin >= 0.70)}**"
    )
    bps = build.rows_per_second if build else None
    out.append(
        f"- build: {_num(bps, '{:,.0f}')} stop_times rows written per second "
        f"(target >= 1,000,000): **{verdict(None if bps is None else bps >= 1_000_000)}**"
    )
    return out


def format_profile(p: Profile | None) -> str:
    if p is None:
        return "_not run_\n"
    if p.error:
        return f"Profile not available: {p.error}\n"
    lines = [
        f"pyinstrument, `gtfs_builder.validate.validate()` in-process on {p.rows:,} stop_times "
        f"rows: {_num(p.seconds)} s. Full call tree: `{p.text_path}`.\n",
        "Top functions by self time (where the time is actually spent):\n",
        "| self s | share | function | where |",
        "|---:|---:|---|---|",
    ]
    for f in p.top_self:
        lines.append(
            f"| {f['self']:.2f} | {f['share']:.0%} | `{f['function']}` | `{f['where']}` |"
        )
    lines += [
        "",
        "Our functions by inclusive time (which rule or stage to work on):\n",
        "| total s | share | function | where |",
        "|---:|---:|---|---|",
    ]
    for f in p.top_ours:
        lines.append(
            f"| {f['total']:.2f} | {f['share']:.0%} | `{f['function']}` | `{f['where']}` |"
        )
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / GIB:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = []
    for dist in ("gtfs-builder", "gtfs-guru", "gtfs-validator", "partridge", "pandas", "pyarrow"):
        try:
            versions.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": ", ".join(versions),
        "load": _loadavg(),
    }


def _loadavg() -> str:
    """1-minute load average: a busy machine (other jobs on 2 cores) makes every number noisy."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def render(
    info: dict[str, str],
    argv: str,
    base: Path,
    results: Sequence[Measurement],
    build: BuildResult | None,
    profile: Profile | None,
    agreement: Agreement | None = None,
    adopt: Sequence[AdoptResult] = (),
) -> str:
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Written by `python -m bench.run {argv}`. Do not edit by hand: re-run `make bench`.",
            "",
            f"- date: {info['date']}"
            + (
                f" (timings); agreement and profile refreshed {info['refreshed']}"
                if info.get("refreshed")
                else ""
            ),
            f"- machine: {info['cores']} cores, {info['cpu']}, {info['memory']} RAM, "
            f"{info['platform']}, Python {info['python']}",
            f"- versions: {info['versions']}",
            f"- 1-minute load average: {info['load']} at the start, {_loadavg()} when written "
            "(anything near or above the core count means the numbers are noisy)",
            f"- scaled feeds: `{base.name}` copied N times with prefixed ids (`bench/scale.py`)",
            "- each tool timed as a whole process (start-up and imports included), best of N "
            "runs; peak RSS is the largest over the runs (`/usr/bin/time`). Ratios are "
            "ours / tool at the same size: below 1 means ours is faster or smaller.",
            "",
            "## Validation",
            "",
            format_validation_table(results),
            "## Same notices as gtfs-guru? (no rule skipped or weakened for speed)",
            "",
            format_agreement(agreement),
            "## Targets (issues 5 and 8)",
            "",
            *check_targets(results, build),
            *check_adopt_targets(adopt),
            "",
            "## Build",
            "",
            format_build_table(build),
            "## Import and diff",
            "",
            "`gtfs-builder import` of each scaled feed, `gtfs-builder build` of the imported "
            "source (its rows checked, and diffed against the original), and `gtfs-builder diff "
            "OLD NEW --json` against a modified copy (`bench/adopt.py`: ~1 % of trips moved, one "
            "route dropped, one stop renamed). Peers only load: partridge one feed, gtfs-kit both "
            "feeds.",
            "",
            format_adopt_table(adopt),
            "## Profile of our validator",
            "",
            format_profile(profile),
        ]
    )


# ---------------------------------------------------------------- profiling


PROFILE_CHILD = r"""
import json, sys, time
from collections import defaultdict
from pathlib import Path
from pyinstrument import Profiler
feed, out_json, out_txt = sys.argv[1:4]
from gtfs_builder.validate import validate
p = Profiler(interval=0.005)
t0 = time.perf_counter()
p.start()
validate(Path(feed))
p.stop()
elapsed = time.perf_counter() - t0
Path(out_txt).write_text(p.output_text(unicode=False, color=False, show_all=False))
root = p.last_session.root_frame()
self_t = defaultdict(float)
incl = defaultdict(float)
def walk(frame, stack):
    key = (frame.function, f"{frame.file_path_short}:{frame.line_no}")
    if frame.is_synthetic:
        return
    self_t[key] += frame.total_self_time
    if key not in stack and "gtfs_builder" in (frame.file_path or ""):
        incl[key] += frame.time
    for c in frame.children:
        walk(c, stack | {key})
walk(root, frozenset())
total = root.time or elapsed
top_self = sorted((kv for kv in self_t.items() if kv[1] > 0), key=lambda kv: -kv[1])[:15]
top_ours = sorted(incl.items(), key=lambda kv: -kv[1])[:20]
json.dump({
    "seconds": elapsed,
    "top_self": [{"function": f, "where": w, "self": s, "share": s / total}
                 for (f, w), s in top_self],
    "top_ours": [{"function": f, "where": w, "total": s, "share": s / total}
                 for (f, w), s in top_ours],
}, open(out_json, "w"))
"""


def profile_validator(feed: Path, rows: int, timeout: float, txt: Path) -> Profile:
    """Profile `validate()` in a fresh child (so its imports and memory are its own)."""
    prof = Profile(rows=rows)
    with tempfile.NamedTemporaryFile(suffix=".json") as js:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", PROFILE_CHILD, str(feed), js.name, str(txt)],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            prof.error = f"timed out after {timeout:.0f} s"
            return prof
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            prof.error = tail[:300]
            return prof
        data = json.loads(Path(js.name).read_text())
    prof.seconds = data["seconds"]
    prof.top_self = data["top_self"]
    prof.top_ours = data["top_ours"]
    try:
        prof.text_path = str(txt.resolve().relative_to(HERE.parent))
    except ValueError:
        prof.text_path = str(txt)
    return prof


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="0.5M,2M,20M", help="stop_times rows per scaled feed")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and size (best kept)")
    ap.add_argument(
        "--skip-peers",
        default="",
        help="comma list of tools not to run: gtfs-builder,gtfs-guru,gtfs-validator,partridge",
    )
    ap.add_argument(
        "--quick", action="store_true", help="0.5M only, 1 run, 200-route build, profile at 0.5M"
    )
    ap.add_argument("--base", type=Path, default=DEFAULT_BASE, help="real feed to scale")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--build-routes", type=int, default=2000)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--profile-size", default="2M")
    ap.add_argument("--no-agree", action="store_true", help="skip the notice-count comparison")
    ap.add_argument("--no-adopt", action="store_true", help="skip the import and diff timings")
    ap.add_argument(
        "--adopt-sizes",
        default=None,
        help="feed sizes for the import and diff timings (default: those of --sizes up to 3M)",
    )
    ap.add_argument(
        "--only",
        choices=["adopt"],
        help="run only this section (adopt: import and diff); the other sections of the last "
        "results.json (same --out) are kept as they are",
    )
    ap.add_argument(
        "--agree-size",
        default="2M",
        help="feed size for the notice-count comparison with gtfs-guru (default 2M, or the "
        "nearest measured size)",
    )
    ap.add_argument(
        "--reuse-timings",
        action="store_true",
        help="take the validation and build timings from the last results.json (same --out) and "
        "only redo the agreement check and the profile: a quick refresh after a code change",
    )
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per single run")
    ap.add_argument(
        "--slow-after",
        type=float,
        default=120.0,
        help="a run slower than this many seconds is not repeated",
    )
    ap.add_argument(
        "--rss-cap-gib",
        type=float,
        default=14.0,
        help="kill a run whose process tree passes this RSS (protects the shared machine)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.repeat, a.profile_size, a.agree_size = "0.5M", 1, "0.5M", "0.5M"
        a.build_routes = min(a.build_routes, 200)
    if a.adopt_sizes is None:
        a.adopt_sizes = ",".join(
            s for s in a.sizes.split(",") if s.strip() and parse_size(s) <= 3_000_000
        )
    return a


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv) or "(defaults: the full set)"
    try:
        sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
        adopt_sizes = [parse_size(s) for s in args.adopt_sizes.split(",") if s.strip()]
        skip = {s.strip() for s in args.skip_peers.split(",") if s.strip()}
        tools = [t for t in (OURS, *PEERS) if t.name not in skip]
        peers_mod.by_name(sorted(skip))
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if not args.base.exists():
        print(f"bench: base feed not found: {args.base}", file=sys.stderr)
        return 2
    info = machine_info()
    print(f"bench: {info['cores']} cores, {info['cpu']}; sizes {args.sizes}; repeat {args.repeat}")

    results: list[Measurement] = []
    feeds = {}
    reused_build: BuildResult | None = None
    adopt: list[AdoptResult] = []
    kept_agreement: Agreement | None = None
    kept_profile: Profile | None = None
    if args.only == "adopt":
        sizes = []
        args.no_agree = args.no_build = args.no_profile = True
        if args.reuse_timings:
            print("bench: --only adopt already keeps the other sections", file=sys.stderr)
            return 2
        previous = args.out.with_suffix(".json")
        if previous.exists():  # keep the other sections of the last run; redo only this one
            try:
                info, results, reused_build = load_results(previous)
                kept_agreement, kept_profile = load_agreement_profile(previous)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                print(f"bench: not keeping {previous}: {exc}", file=sys.stderr)
    if args.reuse_timings:
        try:
            info, results, reused_build = load_results(args.out.with_suffix(".json"))
            adopt = load_adopt(args.out.with_suffix(".json"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"bench: cannot reuse {args.out.with_suffix('.json')}: {exc}", file=sys.stderr)
            return 2
        for m in results:
            feeds.setdefault(m.rows, scaled_feed(args.base, m.rows, args.cache_dir))
        sizes = adopt_sizes = []
        args.no_build = True
        info["refreshed"] = machine_info()["date"]
    for target in sizes:
        sf = scaled_feed(args.base, target, args.cache_dir)
        feeds[target] = sf
        rows = sf.stop_times_rows
        print(f"\n== {format_size(rows)} ({rows:,} stop_times rows, {sf.path.name})", flush=True)
        for tool in tools:
            results.append(measure(tool, sf.path, rows, **_limits(args)))
        _write(args, info, argv_text, results, None, None)

    agreement = kept_agreement
    if not args.no_agree and feeds:
        want = parse_size(args.agree_size)
        sf = feeds[min(feeds, key=lambda k: abs(k - want))]
        print(f"\n== notice counts vs gtfs-guru at {sf.stop_times_rows:,} rows", flush=True)
        agreement = compare(sf.path, sf.stop_times_rows, timeout=args.timeout)
        print("    " + format_agreement(agreement).splitlines()[0])
        _write(args, info, argv_text, results, None, None, agreement)

    build = reused_build
    if not args.no_build:
        print(f"\n== build: {args.build_routes} generated routes", flush=True)
        spec = NetworkSpec(routes=args.build_routes)
        build = bench_build(args.cache_dir / "build", spec, **_limits(args))
        _write(args, info, argv_text, results, build, None, agreement)

    if not args.no_adopt:
        for target in adopt_sizes:
            sf = feeds.get(target) or scaled_feed(args.base, target, args.cache_dir)
            rows = sf.stop_times_rows
            print(f"\n== import and diff: {format_size(rows)} ({rows:,} rows)", flush=True)
            work = args.cache_dir / "adopt" / f"x{sf.copies}"
            same_run = [] if args.only else results  # kept results are from an earlier run
            adopt.append(bench_adopt(sf, work, args.cache_dir, reuse=same_run, **_limits(args)))
            _write(args, info, argv_text, results, build, None, agreement, adopt)

    profile = kept_profile
    if not args.no_profile:
        target = parse_size(args.profile_size)
        sf = feeds.get(target) or scaled_feed(args.base, target, args.cache_dir)
        print(f"\n== profile: validate() at {sf.stop_times_rows:,} rows", flush=True)
        txt = args.out.with_name("profile.txt")
        profile = profile_validator(sf.path, sf.stop_times_rows, args.timeout, txt)
        if profile.error:
            print(f"    profile failed: {profile.error}")

    text = _write(args, info, argv_text, results, build, profile, agreement, adopt)
    print("\n" + text)
    print(f"written: {args.out}")
    return 0


def load_results(
    path: Path,
) -> tuple[dict[str, str], list[Measurement], BuildResult | None]:
    """The machine info and timings of an earlier run, from its results.json."""
    raw = json.loads(path.read_text())
    info = {"load": "?", **raw["machine"]}
    results = [Measurement(**m) for m in raw["validation"]]
    build = None
    if raw.get("build"):
        b = raw["build"]
        build = BuildResult(
            NetworkSpec(routes=b["routes"]),
            Measurement(**b["measurement"]),
            b["rows_written"],
            b.get("source_bytes", 0),
        )
    return info, results, build


def load_agreement_profile(path: Path) -> tuple[Agreement | None, Profile | None]:
    """The agreement check and the profile of an earlier run's results.json (for --only)."""
    raw = json.loads(path.read_text())
    agreement = profile = None
    if raw.get("agreement"):
        a = raw["agreement"]
        for side in ("ours", "guru"):
            a[side] = {code: tuple(v) for code, v in a[side].items()}
        agreement = Agreement(**a)
    if raw.get("profile"):
        profile = Profile(**raw["profile"])
    return agreement, profile


def load_adopt(path: Path) -> list[AdoptResult]:
    """The import and diff timings of an earlier run's results.json (none if it has none)."""
    return [AdoptResult.from_json(a) for a in json.loads(path.read_text()).get("adopt") or []]


def _limits(args: argparse.Namespace) -> dict:
    return {
        "repeat": args.repeat,
        "timeout": args.timeout,
        "slow_after": args.slow_after,
        "rss_cap_kb": int(args.rss_cap_gib * GIB),
    }


def _write(
    args: argparse.Namespace,
    info: dict[str, str],
    argv_text: str,
    results: list[Measurement],
    build: BuildResult | None,
    profile: Profile | None,
    agreement: Agreement | None = None,
    adopt: Sequence[AdoptResult] = (),
) -> str:
    """Write results.md (and results.json) after every step, so an interrupted run leaves data."""
    text = render(info, argv_text, args.base, results, build, profile, agreement, adopt)
    args.out.write_text(text)
    raw = {
        "machine": info,
        "validation": [asdict(m) for m in results],
        "build": None if build is None else {
            "routes": build.spec.routes,
            "expected_rows": build.spec.expected_rows(),
            "rows_written": build.rows_written,
            "rows_per_second": build.rows_per_second,
            "source_bytes": build.source_bytes,
            "measurement": asdict(build.measurement),
        },
        "profile": None if profile is None else asdict(profile),
        "agreement": None if agreement is None else asdict(agreement),
        "adopt": [a.to_json() for a in adopt],
    }
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    return text


if __name__ == "__main__":
    sys.exit(main())
