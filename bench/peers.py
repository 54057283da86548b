"""Whole-process timing of validators (ours and peers), best of N, with peak RSS per run.

Why whole processes: a user pays for interpreter start-up, imports and report writing, and
peers differ in all three; timing a function call in-process would flatter whoever has the
heaviest imports. Each run is a fresh child so its peak RSS is its own: measured with
`/usr/bin/time` when present, else with a tiny wrapper child reading `RUSAGE_CHILDREN`.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
TIME_BIN = "/usr/bin/time"


@dataclass(frozen=True)
class Peer:
    """A validator (or loader) to time: how to call it and where it stops being worth running."""

    name: str
    what: str
    command: Callable[[Path, Path], list[str]]
    max_rows: int | None = None
    ok_codes: frozenset[int] = frozenset({0})

    def applies(self, rows: int) -> bool:
        return self.max_rows is None or rows <= self.max_rows


@dataclass
class Measurement:
    """Best-of-N wall time and the largest peak RSS seen over the runs."""

    tool: str
    rows: int
    seconds: float | None = None
    runs: list[float] = field(default_factory=list)
    peak_rss_kb: int | None = None
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.seconds is not None

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.seconds else None


def _py(code: str) -> Callable[[Path, Path], list[str]]:
    return lambda feed, _out: [sys.executable, "-c", code, str(feed)]


OURS = Peer(
    "gtfs-builder",
    "`gtfs-builder validate FEED` (full rule set)",
    lambda feed, _out: [str(BIN / "gtfs-builder"), "validate", str(feed)],
    # Exit 1 means "the feed has errors": the run completed.
    ok_codes=frozenset({0, 1}),
)

PEERS: tuple[Peer, ...] = (
    Peer(
        "gtfs-guru",
        "`gtfs_guru.validate(FEED)` (Rust, canonical codes)",
        _py(
            "import sys, gtfs_guru; r = gtfs_guru.validate(sys.argv[1]); "
            "print(r.error_count, r.warning_count)"
        ),
    ),
    Peer(
        "gtfs-validator",
        "`gtfs-validator -i FEED -o DIR` (PyPI, pure Python, canonical codes)",
        lambda feed, out: [str(BIN / "gtfs-validator"), "-i", str(feed), "-o", str(out)],
        max_rows=2_500_000,
    ),
    Peer(
        "partridge",
        "`ptg.load_feed(FEED)` + `len(feed.stop_times)` (load only, no rules)",
        _py(
            "import sys, partridge as ptg; f = ptg.load_feed(sys.argv[1]); "
            "print(len(f.stop_times))"
        ),
    ),
)

ALL_TOOLS: tuple[Peer, ...] = (OURS, *PEERS)


def by_name(names: Sequence[str]) -> list[Peer]:
    known = {p.name: p for p in ALL_TOOLS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown tool(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]


def _rss_wrapper(cmd: list[str], rss_file: str) -> list[str]:
    """Fallback when /usr/bin/time is missing: a fresh child that reports its child's peak RSS."""
    return [sys.executable, str(Path(__file__)), "--rss-wrap", "--rss-file", rss_file, *cmd]


RSS_CAP_KB = 14 * 1024 * 1024
"""Default cap on a run's process-tree RSS: a runaway tool must not take the shared machine down."""


def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants (scans /proc: no psutil needed)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * page_kb
    total, todo = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


def run_once(
    cmd: list[str], timeout: float, rss_cap_kb: int = RSS_CAP_KB
) -> tuple[float, int | None, int, str]:
    """Run `cmd` once: (wall seconds, peak RSS kB or None, exit code, stderr tail).

    The run is killed (exit -9) when it passes `timeout` or its process tree passes `rss_cap_kb`.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, tempfile.TemporaryFile(
        "w+b"
    ) as err:
        if shutil.which(TIME_BIN):
            full = [TIME_BIN, "-o", rss.name, "-f", "%M", *cmd]
        else:
            full = _rss_wrapper(cmd, rss.name)
        killed = ""
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        while True:
            try:
                proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                pass
            elapsed = time.perf_counter() - t0
            if elapsed > timeout:
                killed = f"timed out after {timeout:.0f} s"
            elif _tree_rss_kb(proc.pid) > rss_cap_kb:
                killed = (
                    f"killed after {elapsed:.0f} s: RSS above the "
                    f"{rss_cap_kb / 1024 / 1024:.1f} GiB cap"
                )
            if killed:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
        seconds = time.perf_counter() - t0
        code = -9 if killed else proc.returncode
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        rss_text = Path(rss.name).read_text().strip().splitlines()
    peak = None
    for line in reversed(rss_text):
        if line.strip().isdigit():
            peak = int(line.strip())
            break
    if killed:
        tail = tail + "\n" + killed
    return seconds, peak, code, tail


def measure(
    peer: Peer,
    feed: Path,
    rows: int,
    *,
    repeat: int = 3,
    timeout: float = 3600.0,
    slow_after: float = 300.0,
    rss_cap_kb: int = RSS_CAP_KB,
    log: Callable[[str], None] = print,
) -> Measurement:
    """Best of `repeat` runs; a run slower than `slow_after` seconds is not repeated.

    A tool that takes minutes per run (gtfs-validator at 2 M rows) gains nothing from a second
    run, and repeating it would triple the benchmark's wall time.
    """
    m = Measurement(peer.name, rows)
    if not peer.applies(rows):
        m.skipped = f"not run above {peer.max_rows:,} rows"
        return m
    with tempfile.TemporaryDirectory(prefix=f"bench-{peer.name}-") as out:
        for i in range(repeat):
            seconds, peak, code, tail = run_once(
                peer.command(feed, Path(out)), timeout, rss_cap_kb
            )
            bad = code not in peer.ok_codes or "Traceback (most recent call last)" in tail
            if bad:
                last = tail.strip().splitlines()[-1:] or [f"exit {code}"]
                m.error = f"exit {code}: {last[0][:200]}"
                log(f"    {peer.name}: FAILED ({m.error})")
                return m
            m.runs.append(seconds)
            if peak is not None:
                m.peak_rss_kb = max(m.peak_rss_kb or 0, peak)
            log(
                f"    {peer.name} run {i + 1}/{repeat}: {seconds:.2f} s, "
                f"peak RSS {_mib(peak)}"
            )
            if seconds > slow_after:
                break
    m.seconds = min(m.runs)
    return m


def _mib(kb: int | None) -> str:
    return "?" if kb is None else f"{kb / 1024:,.0f} MiB"


def _wrap_main(argv: list[str]) -> int:
    """`python -m bench.peers --rss-wrap [--rss-file F] CMD...`: run CMD, write its peak RSS."""
    rss_file = None
    if argv[:1] == ["--rss-file"]:
        rss_file, argv = argv[1], argv[2:]
    code = subprocess.run(argv, check=False).returncode
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    if rss_file:
        Path(rss_file).write_text(f"{peak}\n")
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss-wrap"]:
        sys.exit(_wrap_main(sys.argv[2:]))
    sys.exit(f"usage: python -m bench.peers --rss-wrap CMD...  ({os.path.basename(__file__)})")
