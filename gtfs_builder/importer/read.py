"""Read a GTFS zip (or folder) for import: every table as strings, every other file as bytes.

Reading goes through :mod:`gtfs_builder.feedio` (the validator's reader, reused read-only): it
copes with BOMs, CRLF, quoted newlines and stray spaces exactly as the canonical validator does,
so what we import is what the validator judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gtfs_builder.feedio import FeedFiles, FeedReadError, as_strings

REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


class FeedImportError(FeedReadError):
    """The feed cannot be imported (not a zip, a required file missing or unreadable)."""


@dataclass
class RawFeed:
    """The feed's tables (strings, "" when empty) and its other files (raw bytes)."""

    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)  # every .txt file, as stored
    others: dict[str, bytes] = field(default_factory=dict)  # non-table files (kept as they are)
    skipped: list[str] = field(default_factory=list)  # entries not kept (folders), with reason

    def table(self, name: str) -> pd.DataFrame:
        """The table's rows, or an empty frame when the feed has no such file."""
        return self.tables.get(name, pd.DataFrame())


def read_feed(path: Path | str) -> RawFeed:
    """Read every file of the feed; raise :class:`FeedImportError` when it is not a usable feed."""
    out = RawFeed(Path(path))
    with FeedFiles(path, error=FeedImportError) as files:
        for name in files.archive.names():
            if not name.endswith(".txt"):
                continue
            out.raw[name] = files.table_bytes(name)
            table = files.read(name)
            out.tables[name] = as_strings(table.frame)
            out.headers[name] = [h for h in dict.fromkeys(table.header) if h]
        for name in files.archive.unknown:
            data = files.other_file(name)
            if data is None:
                out.skipped.append(f"{name}: not readable")
            elif name.endswith(".txt"):
                out.raw[name] = data
            else:
                out.others[name] = data
    missing = [n for n in REQUIRED if n not in out.tables or out.tables[n].empty]
    if "calendar.txt" not in out.tables and "calendar_dates.txt" not in out.tables:
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise FeedImportError(
            f"{out.path}: missing or empty {', '.join(missing)} (expected a GTFS feed with "
            "agencies, stops, routes, trips, stop times and services)"
        )
    return out
