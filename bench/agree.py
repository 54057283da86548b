"""Agreement check on a scaled feed: our notice counts per code against gtfs-guru's.

Why in the benchmark: the issue forbids buying speed by skipping or weakening a rule. A speed-up
that changes what is reported shows up here, on the very feed that was timed, as a code whose
count differs from the canonical oracle's.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.peers import BIN

GURU = (
    "import json, sys, gtfs_guru; "
    "r = gtfs_guru.validate(sys.argv[1], date=sys.argv[2]); "
    "json.dump(r.to_dict(), open(sys.argv[3], 'w'))"
)


@dataclass
class Agreement:
    rows: int
    date: str
    ours: dict[str, tuple[str, int]] = field(default_factory=dict)
    guru: dict[str, tuple[str, int]] = field(default_factory=dict)
    error: str | None = None

    def differences(self) -> list[tuple[str, str, int | None, int | None]]:
        """(code, severity, ours, gtfs-guru) for every code whose counts differ."""
        out = []
        for code in sorted(self.ours.keys() | self.guru.keys()):
            o, g = self.ours.get(code), self.guru.get(code)
            if o is None or g is None or o[1] != g[1]:
                sev = (o or g or ("?", 0))[0]
                out.append((code, sev, o[1] if o else None, g[1] if g else None))
        return out


def _counts(report: dict) -> dict[str, tuple[str, int]]:
    return {
        n["code"]: (str(n.get("severity", "?")), int(n.get("totalNotices", 0)))
        for n in report.get("notices", [])
    }


def _run(cmd: list[str], timeout: float) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if proc.returncode not in (0, 1):
        return (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:300]
    return None


def compare(feed: Path, rows: int, *, date: str | None = None, timeout: float = 3600) -> Agreement:
    """Run both validators with the same 'today' and collect per-code counts."""
    day = date or dt.date.today().isoformat()
    ag = Agreement(rows=rows, date=day)
    with tempfile.TemporaryDirectory(prefix="bench-agree-") as tmp:
        ours_json, guru_json = Path(tmp) / "ours.json", Path(tmp) / "guru.json"
        err = _run(
            [str(BIN / "gtfs-builder"), "validate", str(feed), "-o", str(ours_json), "--date", day],
            timeout,
        )
        if err is None:
            err = _run([sys.executable, "-c", GURU, str(feed), day, str(guru_json)], timeout)
        if err is not None:
            ag.error = err
            return ag
        try:
            ag.ours = _counts(json.loads(ours_json.read_text()))
            ag.guru = _counts(json.loads(guru_json.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            ag.error = f"unreadable report: {exc}"
    return ag


def format_agreement(ag: Agreement | None) -> str:
    if ag is None:
        return "_not run_\n"
    if ag.error:
        return f"Not available: {ag.error}\n"
    diff = ag.differences()
    codes = len(ag.ours.keys() | ag.guru.keys())
    head = (
        f"Notice counts per code on the {ag.rows:,}-row scaled feed (`--date {ag.date}`): "
        f"{codes - len(diff)} of {codes} codes agree with gtfs-guru.\n"
    )
    if not diff:
        return head
    lines = [head, "| code | severity | ours | gtfs-guru |", "|---|---|---:|---:|"]
    for code, sev, o, g in diff:
        lines.append(f"| `{code}` | {sev} | {'–' if o is None else f'{o:,}'} "
                     f"| {'–' if g is None else f'{g:,}'} |")
    return "\n".join(lines) + "\n"
