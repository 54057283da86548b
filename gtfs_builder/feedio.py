"""Open a GTFS zip or folder and read its tables as strings, for the tools beside the validator.

``import``, ``diff`` and ``render`` each turn a feed into something of their own, but they read it
the same way: through the validator's reader (``gtfs_builder.validate.csvio``, used read-only), so
any bytes the validator survives (BOM, CRLF, quoted newlines, ragged rows) they survive too, and
row numbers match the validation report. CSV-level problems are the validator's business: their
notices are dropped here. Input that cannot be used at all is a :class:`FeedReadError` whose one
line names the file (and the row, field and value when there is one).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import TracebackType

import pandas as pd

from gtfs_builder import spec
from gtfs_builder.validate import csvio
from gtfs_builder.validate.notices import Notices


class FeedReadError(csvio.InputError):
    """The feed cannot be used; the message is one line naming the file and what is wrong.

    A ``csvio.InputError``, so one ``except`` serves the validator's and these tools' inputs.
    """


class FeedFiles:
    """An open GTFS archive: which files it holds, and each table's rows as strings.

    Raises ``error`` (a :class:`FeedReadError` subclass, so each tool keeps its own exception)
    when the path is not a zip or folder, or holds no GTFS file at all.
    """

    def __init__(self, path: str | Path, *, error: type[FeedReadError] = FeedReadError) -> None:
        self.path = Path(path)
        self.error = error
        try:
            self.archive = csvio.open_archive(self.path, Notices(max_samples=1))
        except csvio.InputError as exc:
            raise error(str(exc)) from None
        if not self.archive.entries:
            self.archive.close()
            what = "folder" if self.path.is_dir() else "archive"
            raise error(f"{self.path}: the {what} holds no GTFS file")

    def __enter__(self) -> FeedFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.archive.close()

    def has(self, name: str) -> bool:
        """The archive holds this GTFS file (even if it is empty)."""
        return name in self.archive.entries

    def require(self, *names: str) -> None:
        """Raise ``error`` naming the first of ``names`` the archive does not hold."""
        for name in names:
            if not self.has(name):
                raise self.error(f"{self.path}: {name} is missing (a GTFS feed needs it)")

    def read(self, name: str, *, header_must_parse: bool = True) -> csvio.RawTable:
        """The file as the validator reads it (``frame`` with ``csv_row``; status MISSING when
        absent). A header the canonical loader refuses (no row of the file is then read) raises
        ``error`` with the reason, unless ``header_must_parse`` is False."""
        table = csvio.read_table(self.archive, name, Notices(max_samples=1))
        if header_must_parse and table.status is csvio.LoadStatus.INVALID_HEADERS:
            if not table.header:  # the entry itself could not be read (bad CRC, zip bomb ...)
                self.table_bytes(name)
            raise self.error(f"{self.path}: {name}: {header_problem(name, table.header)}")
        return table

    def table_bytes(self, name: str) -> bytes:
        """The GTFS file's bytes as stored; ``error`` when the entry cannot be read."""
        try:
            return self.archive.read_bytes(name)
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as exc:
            raise self.error(f"{self.path}: {name} cannot be read ({exc})") from None

    def strings(self, name: str, *, header_must_parse: bool = True) -> pd.DataFrame:
        """Every row of the file, every cell a string ("" when empty), no ``csv_row``; an empty
        frame when the file is absent or empty."""
        return as_strings(self.read(name, header_must_parse=header_must_parse).frame)

    def other_file(self, name: str) -> bytes | None:
        """The bytes of an entry that is not a GTFS table (``archive.unknown``); None when it
        cannot be read."""
        try:
            if self.path.is_dir():
                return (self.path / name).read_bytes()
            with zipfile.ZipFile(self.path) as zf:
                return zf.read(name)
        except (OSError, KeyError, zipfile.BadZipFile):
            return None


def as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without ``csv_row``, index 0..n-1, every cell a string ("" for a missing one)."""
    frame = frame.drop(columns=["csv_row"], errors="ignore").reset_index(drop=True)
    for column in frame.columns:  # the reader's columns are "str" already: no copy for them
        values = frame[column]
        if values.dtype != "str" or values.isna().any():
            frame[column] = values.astype(object).fillna("").astype(str)
    return frame


def header_problem(name: str, header: list[str]) -> str:
    """Why the canonical loader refuses this header, with the header itself."""
    fspec = spec.FILES.get(name)
    required = list(fspec.required_columns) if fspec else []
    absent = [c for c in required if c not in header]
    dupes = sorted({c for c in header if c and header.count(c) > 1})
    if absent:
        problem = f"no column {absent[0]!r}"
    elif dupes:
        problem = f"column {dupes[0]!r} appears twice"
    elif "" in header:
        problem = f"column {header.index('') + 1} has no name"
    else:
        problem = "unreadable header"
    return f"{problem} (header: {', '.join(header)})"
