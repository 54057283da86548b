"""Read a GTFS zip (or folder) for import: every table as strings, every other file as bytes.

The validator's reader (``gtfs_builder.validate.csvio``) is reused read-only: it already copes
with BOMs, CRLF, quoted newlines and stray spaces exactly as the canonical validator does, so
what we import is what the validator judged.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gtfs_builder.validate.csvio import InputError, LoadStatus, open_archive, read_table
from gtfs_builder.validate.notices import Notices

REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


class FeedImportError(Exception):
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
        return self.tables.get(name, pd.DataFrame())


def read_feed(path: Path | str) -> RawFeed:
    """Read every file of the feed; raise :class:`FeedImportError` when it is not a usable feed."""
    path = Path(path)
    notices = Notices(max_samples=1)
    try:
        archive = open_archive(path, notices)
    except InputError as exc:
        raise FeedImportError(str(exc)) from None
    out = RawFeed(path)
    try:
        for name in archive.names():
            if not name.endswith(".txt"):
                continue
            out.raw[name] = archive.read_bytes(name)
            table = read_table(archive, name, notices)
            if table.status == LoadStatus.INVALID_HEADERS:
                raise FeedImportError(f"{path}: {name} has an unreadable header")
            frame = table.frame.drop(columns=["csv_row"], errors="ignore")
            out.tables[name] = frame
            out.headers[name] = [h for h in dict.fromkeys(table.header) if h]
        for name in archive.unknown:
            data = _read_entry(path, name)
            if data is None:
                out.skipped.append(f"{name}: not readable")
            elif name.endswith(".txt"):
                out.raw[name] = data
            else:
                out.others[name] = data
    finally:
        archive.close()
    missing = [n for n in REQUIRED if n not in out.tables or out.tables[n].empty]
    if "calendar.txt" not in out.tables and "calendar_dates.txt" not in out.tables:
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise FeedImportError(
            f"{path}: missing or empty {', '.join(missing)} (expected a GTFS feed with "
            "agencies, stops, routes, trips, stop times and services)"
        )
    return out


def _read_entry(path: Path, name: str) -> bytes | None:
    try:
        if path.is_dir():
            return (path / name).read_bytes()
        with zipfile.ZipFile(path) as zf:
            return zf.read(name)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
