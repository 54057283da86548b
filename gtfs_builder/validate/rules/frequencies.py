"""frequencies.txt rules: time ranges and overlapping headway windows per trip."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

FREQUENCIES = "frequencies.txt"


def hhmmss(seconds: pd.Series) -> pd.Series:
    """GtfsTime.toHHMMSS for a column of seconds."""
    return pd.Series(
        [f"{v // 3600:02d}:{v % 3600 // 60:02d}:{v % 60:02d}" for v in seconds.astype("int64")],
        index=seconds.index,
        dtype="str",
    )


def overlapping_pairs(frame: pd.DataFrame, keys: list[str], sort: list[str]) -> pd.DataFrame:
    """Adjacent rows of each key group (sorted by ``sort``) where start < previous end.

    ``frame`` has columns csv_row, start, end (+ keys and sort); the result has the canonical
    prevCsvRowNumber/prevEndTime/currCsvRowNumber/currStartTime plus the key columns.
    """
    ordered = frame.sort_values([*keys, *sort, "csv_row"], kind="stable").reset_index(drop=True)
    same = pd.Series(True, index=ordered.index)
    for key in keys:
        same &= ordered[key].eq(ordered[key].shift()).fillna(False)
    prev_end = ordered["end"].shift()
    prev_row = ordered["csv_row"].shift()
    hit = same & (ordered["start"] < prev_end).fillna(False)
    out = pd.DataFrame(
        {
            "prevCsvRowNumber": prev_row[hit].astype("int64"),
            "prevEndTime": hhmmss(prev_end[hit]),
            "currCsvRowNumber": ordered.loc[hit, "csv_row"],
            "currStartTime": hhmmss(ordered.loc[hit, "start"]),
        }
    )
    for key in keys:
        out[key] = ordered.loc[hit, key]
    return out


@rule(
    files=[FREQUENCIES],
    notices={
        "start_and_end_range_equal": (
            Severity.ERROR,
            "Two date or time fields are equal.",
        ),
        "start_and_end_range_out_of_order": (
            Severity.ERROR,
            "Two date or time fields are out of order.",
        ),
        "overlapping_frequency": (
            Severity.ERROR,
            "Two frequencies.txt windows of one trip overlap.",
        ),
    },
)
def check_frequencies(feed: Feed, notices: Notices) -> None:
    """start_time must be before end_time; a trip's windows (sorted) must not overlap."""
    table = feed.table(FREQUENCIES)
    if table.empty:
        return
    start = feed.typed(FREQUENCIES, "start_time")
    end = feed.typed(FREQUENCIES, "end_time")
    range_notices(
        notices, FREQUENCIES, table, "start_time", start, "end_time", end, hhmmss, table["trip_id"]
    )
    frame = pd.DataFrame(
        {
            "trip_id": table["trip_id"].fillna("") if "trip_id" in table else "",
            "csv_row": table["csv_row"],
            "start": start.fillna(0).astype("int64"),
            "end": end.fillna(0).astype("int64"),
            "headway": feed.typed(FREQUENCIES, "headway_secs").fillna(0).astype("int64"),
        }
    )
    pairs = overlapping_pairs(frame, ["trip_id"], ["start", "end", "headway"])
    notices.add_frame("overlapping_frequency", pairs.rename(columns={"trip_id": "tripId"}))


def range_notices(
    notices: Notices,
    filename: str,
    table: pd.DataFrame,
    start_name: str,
    start: pd.Series,
    end_name: str,
    end: pd.Series,
    render,
    entity_id: pd.Series | None = None,
) -> None:
    """start_and_end_range_equal / _out_of_order for a strict (start < end) range."""
    equal = (start == end).fillna(False)
    rows = table[equal]
    frame = pd.DataFrame({"filename": filename, "csvRowNumber": rows["csv_row"]})
    if entity_id is not None:
        frame["entityId"] = entity_id[equal]
    frame["startFieldName"] = start_name
    frame["endFieldName"] = end_name
    frame["value"] = render(start[equal])
    notices.add_frame("start_and_end_range_equal", frame)
    after = (start > end).fillna(False)
    rows = table[after]
    frame = pd.DataFrame({"filename": filename, "csvRowNumber": rows["csv_row"]})
    if entity_id is not None:
        frame["entityId"] = entity_id[after]
    frame["startFieldName"] = start_name
    frame["startValue"] = render(start[after])
    frame["endFieldName"] = end_name
    frame["endValue"] = render(end[after])
    notices.add_frame("start_and_end_range_out_of_order", frame)
