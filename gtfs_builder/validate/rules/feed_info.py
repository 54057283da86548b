"""feed_info.txt rules: dates, contact, language, single row, expiry.

feed_info.txt is tiny (one row expected), so these checks are plain column expressions; the
date-dependent ones read ``feed.date`` as "today".
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column
from gtfs_builder.validate.rules.calendar import date_to_day, ymd_to_days, yyyymmdd

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

FEED_INFO = "feed_info.txt"
EXPIRY_SOON_DAYS = 7
EXPIRY_UPCOMING_DAYS = 30


def _blank(values: pd.Series) -> pd.Series:
    """Absent or whitespace only (Java String.isBlank)."""
    return values.isna() | values.astype("str").str.strip().eq("").fillna(True)




@rule(
    files=[FEED_INFO],
    notices={
        "missing_feed_info_date": (
            Severity.WARNING,
            "Only one of feed_start_date and feed_end_date is set.",
        ),
        "missing_feed_contact_email_and_url": (
            Severity.WARNING,
            "feed_info has neither feed_contact_email nor feed_contact_url.",
        ),
        "more_than_one_entity": (Severity.WARNING, "feed_info.txt has more than one row."),
        "start_and_end_range_out_of_order": (
            Severity.ERROR,
            "Two date or time fields are out of order.",
        ),
    },
)
def check_feed_info_rows(feed: Feed, notices: Notices) -> None:
    """Row-level feed_info checks: date pair, contact, row count, date order."""
    table = feed.table(FEED_INFO)
    if table.empty:
        return
    start = feed.typed(FEED_INFO, "feed_start_date")
    end = feed.typed(FEED_INFO, "feed_end_date")
    lonely = start.notna() != end.notna()
    rows = table[lonely]
    notices.add_frame(
        "missing_feed_info_date",
        pd.DataFrame(
            {
                "csvRowNumber": rows["csv_row"],
                "fieldName": start[lonely]
                .notna()
                .map({True: "feed_end_date", False: "feed_start_date"}),
            }
        ),
    )
    no_contact = _blank(column(table, "feed_contact_email")) & _blank(
        column(table, "feed_contact_url")
    )
    notices.add_frame(
        "missing_feed_contact_email_and_url",
        pd.DataFrame({"csvRowNumber": table.loc[no_contact, "csv_row"]}),
    )
    if len(table) > 1:
        notices.add("more_than_one_entity", filename=FEED_INFO, entityCount=len(table))
    bad = (start > end).fillna(False)
    rows = table[bad]
    notices.add_frame(
        "start_and_end_range_out_of_order",
        pd.DataFrame(
            {
                "filename": FEED_INFO,
                "csvRowNumber": rows["csv_row"],
                "entityId": rows["feed_publisher_name"],
                "startFieldName": "feed_start_date",
                "startValue": start[bad].astype("str"),
                "endFieldName": "feed_end_date",
                "endValue": end[bad].astype("str"),
            }
        ),
    )


@rule(
    files=[FEED_INFO, "agency.txt"],
    notices={
        "feed_info_lang_and_agency_lang_mismatch": (
            Severity.WARNING,
            "An agency's agency_lang differs from feed_info's feed_lang (unless feed_lang is mul).",
        ),
    },
)
def check_feed_lang(feed: Feed, notices: Notices) -> None:
    """Every agency_lang must equal feed_lang (first feed_info row), ignoring case."""
    info = feed.table(FEED_INFO)
    if info.empty or pd.isna(info["feed_lang"].iloc[0]):
        return
    feed_lang = str(info["feed_lang"].iloc[0])
    if feed_lang.lower() == "mul":
        return
    agency = feed.table("agency.txt")
    langs = column(agency, "agency_lang")
    hit = agency[langs.notna() & langs.str.lower().ne(feed_lang.lower()).fillna(False)]
    notices.add_frame(
        "feed_info_lang_and_agency_lang_mismatch",
        pd.DataFrame(
            {
                "csvRowNumber": hit["csv_row"],
                "agencyId": column(hit, "agency_id").fillna(""),
                "agencyName": column(hit, "agency_name").fillna(""),
                "agencyLang": hit["agency_lang"],
                "feedLang": feed_lang,
            }
        ),
    )


def _plus_days(today: datetime.date, days: int) -> int:
    return date_to_day(today) + days


@rule(
    files=[FEED_INFO],
    notices={
        "feed_expiration_date7_days": (
            Severity.WARNING,
            "feed_end_date is at most 7 days after today.",
        ),
        "feed_expiration_date30_days": (
            Severity.WARNING,
            "feed_end_date is at most 30 days after today (and not within 7).",
        ),
        "future_feed": (Severity.INFO, "The earliest feed_start_date is after today."),
    },
)
def check_feed_dates(feed: Feed, notices: Notices) -> None:
    """FeedExpirationDateValidator (per row) and FeedValidTodayValidator (min start date)."""
    table = feed.table(FEED_INFO)
    if table.empty:
        return
    today = feed.date
    end_raw = feed.typed(FEED_INFO, "feed_end_date")
    has_end = end_raw.notna().to_numpy()
    end = ymd_to_days(end_raw)
    soon = has_end & (end <= _plus_days(today, EXPIRY_SOON_DAYS))
    upcoming = has_end & ~soon & (end <= _plus_days(today, EXPIRY_UPCOMING_DAYS))
    for code, mask, days in (
        ("feed_expiration_date7_days", soon, EXPIRY_SOON_DAYS),
        ("feed_expiration_date30_days", upcoming, EXPIRY_UPCOMING_DAYS),
    ):
        rows = table[mask]
        notices.add_frame(
            code,
            pd.DataFrame(
                {
                    "csvRowNumber": rows["csv_row"],
                    "currentDate": yyyymmdd(date_to_day(today)),
                    "feedEndDate": [yyyymmdd(d) for d in end[mask]],
                    "suggestedExpirationDate": yyyymmdd(_plus_days(today, days)),
                }
            ),
        )
    start_raw = feed.typed(FEED_INFO, "feed_start_date").dropna()
    if start_raw.empty:
        return
    earliest = int(ymd_to_days(start_raw).min())
    if earliest > date_to_day(today):
        notices.add(
            "future_feed",
            feedStartDate=yyyymmdd(earliest),
            currentDate=yyyymmdd(date_to_day(today)),
        )
