"""Read a GTFS zip (or folder) for import: every table as strings, every other file as bytes.

Reading goes through :mod:`gtfs_builder.feedio` (the validator's reader, reused read-only): it
copes with BOMs, CRLF, quoted newlines and stray spaces exactly as the canonical validator does,
so what we import is what the validator judged.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gtfs_builder.feedio import FeedFiles, FeedReadError, as_strings
from gtfs_builder.validate.csvio import MACOSX, _unwrap_mac_folder

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
    others: dict[str, bytes] = field(default_factory=dict)  # every other file, as stored
    skipped: list[str] = field(default_factory=list)  # files not read (in folders), with reason

    def table(self, name: str) -> pd.DataFrame:
        """The table's rows, or an empty frame when the feed has no such file."""
        return self.tables.get(name, pd.DataFrame())


def read_feed(path: Path | str) -> RawFeed:
    """Read every file of the feed; raise :class:`FeedImportError` when it is not a usable feed."""
    out = RawFeed(Path(path))
    with FeedFiles(path, error=FeedImportError) as files:
        for name in files.archive.names():
            if not name.endswith(".txt"):  # a known file that is no table: locations.geojson
                out.others[name] = files.table_bytes(name)
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
    out.skipped += [f"{n}: in a subfolder (not part of a GTFS feed)" for n in _in_folders(path)]
    missing = [n for n in REQUIRED if n not in out.tables or out.tables[n].empty]
    if "calendar.txt" not in out.tables and "calendar_dates.txt" not in out.tables:
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise FeedImportError(
            f"{out.path}: missing or empty {', '.join(missing)} (expected a GTFS feed with "
            "agencies, stops, routes, trips, stop times and services)"
        )
    return out


def _in_folders(path: Path | str) -> list[str]:
    """Files in folders inside the feed, which the reader (as the canonical validator) skips;
    macOS's ``__MACOSX/`` and the one folder Finder wraps a whole zip in do not count."""
    path = Path(path)
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
    else:
        try:
            with zipfile.ZipFile(path) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
        except (OSError, zipfile.BadZipFile):
            return []
        names = _unwrap_mac_folder(names, path.stem)
    return sorted(n for n in names if "/" in n and not n.startswith(MACOSX + "/"))
