"""Validate any GTFS feed with the canonical (MobilityData) rule set.

``validate(path)`` reads the zip or folder, runs every registered rule family and returns a
:class:`~gtfs_builder.validate.report.Report`. It raises :class:`InputError` only when the input
cannot be read at all (not found, not a zip); every other problem is a notice.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from pathlib import Path

from gtfs_builder.validate.csvio import InputError
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.notices import RULES, Notices, RuleConfig, Severity, declare
from gtfs_builder.validate.report import Report

__all__ = ["Feed", "InputError", "Report", "validate"]

declare(
    "runtime_exception_in_validator_error",
    Severity.ERROR,
    "RuntimeException while validating GTFS archive.",
    "validate.runner",
)


def validate(
    path: str | Path,
    *,
    date: dt.date | str | None = None,
    country_code: str | None = None,
    config: RuleConfig | None = None,
    max_samples: int = 100,
) -> Report:
    """Validate the feed at ``path`` (zip or folder) and return its report."""
    import gtfs_builder.validate.rules  # noqa: F401  (registers every rule family)

    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    started = time.perf_counter()
    notices = Notices(max_samples=max_samples, config=config)
    feed = Feed.open(path, notices, date=date, country_code=country_code)
    try:
        for r in RULES:
            try:
                r.func(feed, notices)
            except Exception as exc:  # one broken rule must not hide the others
                frames = traceback.extract_tb(exc.__traceback__)
                where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
                notices.add(
                    "runtime_exception_in_validator_error",
                    validator=r.name,
                    exception=type(exc).__name__,
                    message=f"{exc} ({where})",
                )
    finally:
        feed.archive.close()
    return Report(
        notices,
        input=str(path),
        date=feed.date,
        country_code=feed.country_code,
        files=feed.files(),
        seconds=time.perf_counter() - started,
    )
