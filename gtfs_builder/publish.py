"""Build → write to staging → validate → publish into ``feeds/`` only when there is no ERROR.

A failed build (bad source, or a feed with ERRORs) leaves the previously published feed untouched:
the new zip is only ever moved into place with ``os.replace`` after validation passed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gtfs_builder.compile import compile_network
from gtfs_builder.source import load_source
from gtfs_builder.source.loader import gc_paused
from gtfs_builder.write import write_feed


def build_feed(source_dir: Path | str, output: Path | str) -> Path:
    """Load, compile and write one network (no validation). Raises ``SourceErrors``."""
    with gc_paused():  # the build makes millions of acyclic objects: no cycles to hunt
        network = load_source(source_dir)
        tables = compile_network(network)
        return write_feed(tables, output)


@dataclass
class PublishResult:
    network: str
    feed: Path  # where the feed is (or would have been) published
    report_path: Path
    published: bool
    report: Any  # gtfs_builder.validate.Report

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
    feeds_dir.mkdir(parents=True, exist_ok=True)
    target = feeds_dir / f"{network.name}.zip"
    report_path = feeds_dir / f"{network.name}.report.json"
    fd, staging = tempfile.mkstemp(prefix=f".{network.name}.", suffix=".staging.zip", dir=feeds_dir)
    os.close(fd)
    staging_path = Path(staging)
    try:
        write_feed(tables, staging_path)
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        report = validate(staging_path, date=date)
        report.input = str(target)  # describe the feed as published, not the staging file
        report.write_json(report_path)
        ok = report.max_severity is None or report.max_severity < Severity.ERROR
        if ok:
            os.replace(staging_path, target)
    finally:
        staging_path.unlink(missing_ok=True)
    return PublishResult(network.name, target, report_path, ok, report)
