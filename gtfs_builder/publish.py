"""Build → write to staging → validate → publish into ``feeds/`` only when there is no ERROR.

A failed build (bad source, or a feed with ERRORs) leaves the previously published feed untouched:
the new zip is only ever moved into place with ``os.replace`` after validation passed. Each
publication that changes something for riders prepends a dated section to ``feeds/CHANGELOG.md``:
the ``gtfs-builder diff`` of the previously published zip against the new one.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gtfs_builder.compile import compile_network, kept_files
from gtfs_builder.source import load_source
from gtfs_builder.source.loader import gc_paused
from gtfs_builder.write import write_feed


def build_feed(source_dir: Path | str, output: Path | str) -> Path:
    """Load, compile and write one network (no validation). Raises ``SourceErrors``."""
    with gc_paused():  # the build makes millions of acyclic objects: no cycles to hunt
        network = load_source(source_dir)
        tables = compile_network(network)
        return write_feed(tables, output, raw=kept_files(network, tables))


@dataclass
class PublishResult:
    network: str
    feed: Path  # where the feed is (or would have been) published
    report_path: Path
    published: bool
    report: Any  # gtfs_builder.validate.Report
    changelog: str | None = None  # the CHANGELOG.md section written (None: no change for riders)

    @property
    def counts(self) -> dict[str, int]:
        return {sev.name: n for sev, n in self.report.counts().items()}


def publish(
    source_dir: Path | str, feeds_dir: Path | str = "feeds", *, date: dt.date | str | None = None
) -> PublishResult:
    """Build and validate; move ``feeds/<network>.zip`` into place only when no ERROR is found.

    The validation report is written to ``feeds/<network>.report.json`` either way, so a refused
    feed can be diagnosed. Source errors raise ``SourceErrors`` before anything is written.
    """
    from gtfs_builder.validate import validate
    from gtfs_builder.validate.notices import Severity

    source_dir = Path(source_dir)
    feeds_dir = Path(feeds_dir)
    network = load_source(source_dir)  # raises SourceErrors before feeds/ is touched
    tables = compile_network(network)
    raw = kept_files(network, tables)  # source errors (a folder in files/ ...) before feeds/
    feeds_dir.mkdir(parents=True, exist_ok=True)
    target = feeds_dir / f"{network.name}.zip"
    report_path = feeds_dir / f"{network.name}.report.json"
    fd, staging = tempfile.mkstemp(prefix=f".{network.name}.", suffix=".staging.zip", dir=feeds_dir)
    os.close(fd)
    staging_path = Path(staging)
    try:
        write_feed(tables, staging_path, raw=raw)
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        report = validate(staging_path, date=date)
        report.input = str(target)  # describe the feed as published, not the staging file
        report.write_json(report_path)
        ok = report.max_severity is None or report.max_severity < Severity.ERROR
        section = None
        if ok:
            section = changelog_section(network.name, target, staging_path)
            os.replace(staging_path, target)
            if section is not None:
                prepend_changelog(feeds_dir / CHANGELOG, section)
    finally:
        staging_path.unlink(missing_ok=True)
    return PublishResult(network.name, target, report_path, ok, report, section)


CHANGELOG = "CHANGELOG.md"
CHANGELOG_HEADER = (
    "# Published feed changes\n\n"
    "Newest first. Written by `gtfs-builder publish`: what changed for riders since the previous\n"
    "publication of each network (`gtfs-builder diff`). Ids, shapes and fares do not count.\n"
)


def changelog_section(
    network: str, previous: Path, new: Path, *, now: dt.datetime | None = None
) -> str | None:
    """The CHANGELOG section for publishing ``new`` over ``previous``; None when riders see no
    change. A comparison that fails never blocks a valid feed: the section says so instead."""
    from gtfs_builder.diff import diff_feeds, load_snapshot

    now = now or dt.datetime.now(dt.UTC)
    title = f"## {network} \u2014 {now:%Y-%m-%d %H:%M} UTC\n\n"
    try:
        if not previous.exists():
            snap = load_snapshot(new)
            w = snap.window
            days = "no service day" if w is None else f"service {_iso(w[0])}..{_iso(w[1])}"
            return title + (
                f"First publication: {len(snap.routes):,} routes, {len(snap.stops):,} stops, "
                f"{len(snap.trips):,} trips; {days}.\n"
            )
        result = diff_feeds(previous, new)
    except Exception as exc:  # the feed is valid: publish it, and say why there is no diff
        return title + f"Published; what changed could not be worked out ({exc}).\n"
    if result.is_empty:
        return None
    w = result.data["window"]
    compared = f" (service days {w['from']}..{w['to']})" if w else ""
    body = result.to_text(headline=False)
    return title + f"Changes since the previous publication{compared}:\n\n```text\n{body}\n```\n"


def prepend_changelog(path: Path, section: str) -> None:
    """Put ``section`` first under the header (temp file + rename: never a half-written log)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old.startswith(CHANGELOG_HEADER):
        old = old[len(CHANGELOG_HEADER) :]
    text = CHANGELOG_HEADER + "\n" + section + ("\n" + old.lstrip("\n") if old.strip() else "")
    fd, tmp = tempfile.mkstemp(prefix=".CHANGELOG.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _iso(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()
