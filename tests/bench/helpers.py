"""What the bench tests share: the shared feeds and a made-up timing."""

from __future__ import annotations

from pathlib import Path

from bench.peers import Measurement

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"


def measurement(
    tool: str, rows: int, seconds: float | None, rss_kb: int | None = 1024 * 1024, **kw: object
) -> Measurement:
    """A timing as the benchmark records it: three equal runs (none when not run)."""
    runs = [seconds] * 3 if seconds is not None else []
    return Measurement(tool, rows, seconds=seconds, runs=runs, peak_rss_kb=rss_kb, **kw)
