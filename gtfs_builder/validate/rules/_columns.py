"""Column access shared by the rule families."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed


def column(table: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-<NA> string column when the file's header lacks it."""
    if name in table.columns:
        return table[name]
    return pd.Series(pd.NA, index=table.index, dtype="str")


def has_column(feed: Feed, filename: str, name: str) -> bool:
    """The file's header had the column (``feed.table()`` also adds absent spec columns)."""
    return feed.has_column(filename, name)


_FAILED_STATUS = {"empty_file", "invalid_headers", "unparsable_rows"}


def tables_ok(feed: Feed, *files: str) -> bool:
    """No present file among ``files`` failed to load (empty, bad header or dropped rows).

    The canonical validator skips a multi-file check when a table it reads could not be fully
    parsed; a missing file is fine (the check sees an empty table).
    """
    return all(not feed.has(f) or feed.status(f).value not in _FAILED_STATUS for f in files)


def typed_or_na(feed: Feed, filename: str, field: str) -> pd.Series:
    """``feed.typed``, or an all-<NA> column when the file lacks the field."""
    table = feed.table(filename)
    if field not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype="Float64")
    return feed.typed(filename, field)
