"""Compare two GTFS feed versions for what riders would notice (``gtfs-builder diff``).

``diff_feeds(old, new, dates=None) -> FeedDiff`` with ``.is_empty``, ``.to_text()`` and
``.to_dict()`` (JSON, format ``gtfs-builder-diff/1``, documented in the README).
"""

from gtfs_builder.diff.core import diff_feeds
from gtfs_builder.diff.load import DiffInputError, Snapshot, load_snapshot
from gtfs_builder.diff.report import FeedDiff

__all__ = ["DiffInputError", "FeedDiff", "Snapshot", "diff_feeds", "load_snapshot"]
