"""booking_rules.txt (GTFS-Flex) rules: which prior-notice fields each booking_type needs.

All row-level column expressions; "present" means the cell parsed to a value (0 counts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column
from gtfs_builder.validate.rules.frequencies import hhmmss

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

BOOKING_RULES = "booking_rules.txt"
REAL_TIME, SAME_DAY, PRIOR_DAY = 0, 1, 2
DURATION_MIN = "prior_notice_duration_min"
DURATION_MAX = "prior_notice_duration_max"
LAST_DAY = "prior_notice_last_day"
LAST_TIME = "prior_notice_last_time"
START_DAY = "prior_notice_start_day"
START_TIME = "prior_notice_start_time"
SERVICE_ID = "prior_notice_service_id"
# Forbidden fields per booking type, in the canonical order of the fieldNames list.
FORBIDDEN = {
    "forbidden_real_time_booking_field_value": (
        REAL_TIME,
        (DURATION_MIN, DURATION_MAX, LAST_DAY, LAST_TIME, START_DAY, START_TIME, SERVICE_ID),
    ),
    "forbidden_same_day_booking_field_value": (SAME_DAY, (LAST_DAY, LAST_TIME, SERVICE_ID)),
    "forbidden_prior_day_booking_field_value": (PRIOR_DAY, (DURATION_MIN, DURATION_MAX)),
}


@rule(
    files=[BOOKING_RULES],
    notices={
        "forbidden_real_time_booking_field_value": (
            Severity.ERROR,
            "A real-time booking rule (booking_type 0) sets a prior-notice field.",
        ),
        "forbidden_same_day_booking_field_value": (
            Severity.ERROR,
            "A same-day booking rule sets prior_notice_last_day/last_time/service_id.",
        ),
        "forbidden_prior_day_booking_field_value": (
            Severity.ERROR,
            "A prior-day booking rule sets prior_notice_duration_min/max.",
        ),
        "missing_prior_notice_duration_min": (
            Severity.ERROR,
            "A same-day booking rule has no prior_notice_duration_min.",
        ),
        "invalid_prior_notice_duration_min": (
            Severity.ERROR,
            "prior_notice_duration_min is greater than prior_notice_duration_max.",
        ),
        "forbidden_prior_notice_start_day": (
            Severity.ERROR,
            "prior_notice_start_day is set together with prior_notice_duration_max.",
        ),
        "missing_prior_notice_last_day": (
            Severity.ERROR,
            "A prior-day booking rule has no prior_notice_last_day.",
        ),
        "missing_prior_notice_last_time": (
            Severity.ERROR,
            "A prior-day booking rule has no prior_notice_last_time.",
        ),
        "missing_prior_notice_start_time": (
            Severity.ERROR,
            "prior_notice_start_day is set without prior_notice_start_time.",
        ),
        "forbidden_prior_notice_start_time": (
            Severity.ERROR,
            "prior_notice_start_time is set without prior_notice_start_day.",
        ),
        "prior_notice_last_day_after_start_day": (
            Severity.ERROR,
            "prior_notice_last_day is greater than prior_notice_start_day.",
        ),
    },
)
def check_booking_rules(feed: Feed, notices: Notices) -> None:
    """BookingRulesEntityValidator's eleven row-level checks."""
    table = feed.table(BOOKING_RULES)
    if table.empty:
        return
    kind = feed.typed(BOOKING_RULES, "booking_type")
    value = {
        name: feed.typed(BOOKING_RULES, name)
        for name in (DURATION_MIN, DURATION_MAX, LAST_DAY, LAST_TIME, START_DAY, START_TIME)
    }
    value[SERVICE_ID] = column(table, SERVICE_ID)
    has = {name: series.notna() for name, series in value.items()}
    ident = pd.DataFrame(
        {"csvRowNumber": table["csv_row"], "bookingRuleId": column(table, "booking_rule_id")}
    ).fillna({"bookingRuleId": ""})

    for code, (booking_type, fields) in FORBIDDEN.items():
        names = pd.Series("", index=table.index, dtype="object")
        for name in fields:
            names = np.where(has[name], np.where(names == "", name, names + ", " + name), names)
            names = pd.Series(names, index=table.index, dtype="object")
        mask = (kind == booking_type).fillna(False) & names.ne("")
        notices.add_frame(code, ident[mask].assign(fieldNames=names[mask]))

    same_day = (kind == SAME_DAY).fillna(False)
    prior_day = (kind == PRIOR_DAY).fillna(False)
    notices.add_frame("missing_prior_notice_duration_min", ident[same_day & ~has[DURATION_MIN]])
    too_big = has[DURATION_MIN] & has[DURATION_MAX] & (value[DURATION_MAX] < value[DURATION_MIN])
    too_big = too_big.fillna(False)
    notices.add_frame(
        "invalid_prior_notice_duration_min",
        ident[too_big].assign(
            priorNoticeDurationMin=value[DURATION_MIN][too_big],
            priorNoticeDurationMax=value[DURATION_MAX][too_big],
        ),
    )
    both = has[DURATION_MAX] & has[START_DAY]
    notices.add_frame(
        "forbidden_prior_notice_start_day",
        ident[both].assign(
            priorNoticeStartDay=value[START_DAY][both],
            priorNoticeDurationMax=value[DURATION_MAX][both],
        ),
    )
    notices.add_frame("missing_prior_notice_last_day", ident[prior_day & ~has[LAST_DAY]])
    notices.add_frame("missing_prior_notice_last_time", ident[prior_day & ~has[LAST_TIME]])
    day_only = has[START_DAY] & ~has[START_TIME]
    notices.add_frame(
        "missing_prior_notice_start_time",
        ident[day_only].assign(priorNoticeStartDay=value[START_DAY][day_only]),
    )
    time_only = has[START_TIME] & ~has[START_DAY]
    notices.add_frame(
        "forbidden_prior_notice_start_time",
        ident[time_only].assign(priorNoticeStartTime=hhmmss(value[START_TIME][time_only])),
    )
    after = (has[LAST_DAY] & has[START_DAY] & (value[LAST_DAY] > value[START_DAY])).fillna(False)
    notices.add_frame(
        "prior_notice_last_day_after_start_day",
        pd.DataFrame(
            {
                "csvRowNumber": table.loc[after, "csv_row"],
                "priorNoticeLastDay": value[LAST_DAY][after],
                "priorNoticeStartDay": value[START_DAY][after],
            }
        ),
    )
