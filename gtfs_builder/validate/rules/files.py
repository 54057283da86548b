"""File-level notices: required, recommended and conditionally required files.

The archive-level codes (unknown_file, empty_file, invalid_input_files_in_subfolder, i_o_error)
and the CSV-level ones (header problems, invalid_row_length, empty_row, csv_parsing_failed) are
emitted by ``csvio`` while reading and declared there; this module holds the checks on the file
listing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

# The canonical validator's @Required tables; stops.txt is required unless locations.geojson
# exists, feed_info.txt when translations.txt exists.
REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


@rule(
    files=["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt",
           "calendar.txt", "calendar_dates.txt", "feed_info.txt", "translations.txt"],
    notices={
        "missing_required_file": (Severity.ERROR, "A required file is missing."),
        "missing_recommended_file": (Severity.WARNING, "A recommended file is missing."),
        "missing_calendar_and_calendar_date_files": (
            Severity.ERROR,
            "Missing GTFS files `calendar.txt` and `calendar_dates.txt`.",
        ),
    },
)
def check_files(feed: Feed, notices: Notices) -> None:
    """Required files exist; feed_info.txt is recommended (required with translations)."""
    for name in REQUIRED:
        if feed.has(name):
            continue
        if name == "stops.txt" and feed.has("locations.geojson"):
            continue
        notices.add("missing_required_file", filename=name)
    if not feed.has("feed_info.txt"):
        if feed.has("translations.txt"):
            notices.add("missing_required_file", filename="feed_info.txt")
        else:
            notices.add("missing_recommended_file", filename="feed_info.txt")
    if not feed.has("calendar.txt") and not feed.has("calendar_dates.txt"):
        notices.add("missing_calendar_and_calendar_date_files")
