"""attributions.txt rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

ATTRIBUTIONS = "attributions.txt"
ROLE_FIELDS = ("is_producer", "is_operator", "is_authority")


@rule(
    files=[ATTRIBUTIONS],
    notices={
        "attribution_without_role": (
            Severity.WARNING,
            "An attribution has none of is_producer, is_operator, is_authority set to 1.",
        ),
    },
)
def check_attribution_role(feed: Feed, notices: Notices) -> None:
    """At least one role must be 1; skipped when the file declares none of the role columns."""
    table = feed.table(ATTRIBUTIONS)
    if table.empty or not any(name in table for name in ROLE_FIELDS):
        return
    assigned = pd.Series(False, index=table.index)
    for name in ROLE_FIELDS:
        if name in table:
            assigned |= (feed.typed(ATTRIBUTIONS, name) == 1).fillna(False)
    hit = table[~assigned]
    notices.add_frame(
        "attribution_without_role",
        pd.DataFrame(
            {
                "csvRowNumber": hit["csv_row"],
                "attributionId": (
                    hit["attribution_id"].fillna("") if "attribution_id" in hit else ""
                ),
            }
        ),
    )
