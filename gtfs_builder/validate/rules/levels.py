"""levels.txt / stops.level_id rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

ELEVATOR = 5


@rule(
    files=["pathways.txt", "stops.txt"],
    notices={
        "missing_level_id": (
            Severity.ERROR,
            "A stop at either end of an elevator pathway has no level_id.",
        ),
    },
)
def check_missing_level_id(feed: Feed, notices: Notices) -> None:
    """Elevator endpoints need stops.level_id (each stops.txt row naming such a stop)."""
    pathways = feed.table("pathways.txt")
    if pathways.empty:
        return
    elevator = (feed.typed("pathways.txt", "pathway_mode") == ELEVATOR).fillna(False)
    ends = pd.concat(
        [column(pathways, "from_stop_id")[elevator], column(pathways, "to_stop_id")[elevator]]
    ).dropna()
    if ends.empty:
        return
    stops = feed.table("stops.txt")
    hit = stops[column(stops, "stop_id").isin(ends) & column(stops, "level_id").isna()]
    notices.add_frame(
        "missing_level_id",
        pd.DataFrame(
            {
                "csvRowNumber": hit["csv_row"],
                "stopId": hit["stop_id"],
                "stopName": column(hit, "stop_name").fillna(""),
            }
        ),
    )
