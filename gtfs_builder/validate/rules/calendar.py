"""Calendar and service-date rules: ranges, expiry, coverage, gaps and the feed's service window.

A service's active days are the weekly patterns of all its calendar.txt rows, then its
calendar_dates rows in file order (the last of type 1 = added or 2 = removed wins for a date;
other types are ignored), as gtfs-guru computes them (vectorised: one numpy expansion of every
calendar row, then set operations). An inverted range (start_date > end_date) is clamped to its
start day for expired_calendar and trip coverage, and adds nothing to the service-window rules
(big_gap_in_service, service_extends_far_in_the_future, future_calendar, feed period).

Dates are handled as int64 day numbers since 1970-01-01 so that years up to 9999 work.
"""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gtfs_builder import spec
from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

CALENDAR = "calendar.txt"
CALENDAR_DATES = "calendar_dates.txt"
WEEKDAYS = spec.CALENDAR_DAYS
EPOCH = datetime.date(1970, 1, 1)

# TripCalendarUtil constants (majority service coverage).
MAX_SERVICE_DATE_TRIP_COUNT_RATIO = 0.90
MAX_SERVICE_DATE_TRIP_COUNT_LIMIT = 30
MAJORITY_TRIP_COUNT_RATIO = 0.75
COVERAGE_DAYS = 7
MAX_GAP_DAYS = 13  # ServiceSpreadValidator: a gap of 14 inactive days or more is reported
MAX_FUTURE_EXTENT_DAYS = 2 * 365
SERVICE_WINDOW_THRESHOLD_DAYS = 14
MAX_EXPANDED_DAYS = 20_000_000  # total calendar days expanded exactly (see _expand_patterns)
CHUNK_DAYS = 2_000_000
HORIZON_DAYS = 800
# Expanded service days per feed, shared by the rules of this module (each expansion is used
# by two rule families); weak keys so a finished validation frees them.
_EXPANSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# ---------------------------------------------------------------------------------------------
# helpers (shared with feed_info.py and frequencies.py)


def ymd_to_days(values: pd.Series) -> np.ndarray:
    """YYYYMMDD Int64 -> int64 days since 1970-01-01 (NA -> a large negative sentinel)."""
    raw = values.astype("Int64").fillna(19700101).to_numpy(dtype="int64")
    year, rest = np.divmod(raw, 10000)
    month, day = np.divmod(rest, 100)
    months = (year - 1970) * 12 + (month - 1)
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype("int64") + (day - 1)
    return np.where(values.isna().to_numpy(), np.iinfo(np.int64).min // 2, days)


def day_to_date(day: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=int(day))


def date_to_day(value: datetime.date) -> int:
    return (value - EPOCH).days


def yyyymmdd(day: int) -> str:
    """GtfsDate.toYYYYMMDD of a day number."""
    return day_to_date(day).strftime("%Y%m%d")


def iso(day: int) -> str:
    """LocalDate.toString of a day number."""
    return day_to_date(day).isoformat()


def _calendar_rows(feed: Feed) -> pd.DataFrame:
    """Calendar rows with a service id and both dates: service_id, csv_row, start, end, pattern."""
    table = feed.table(CALENDAR)
    out = pd.DataFrame(
        {
            "service_id": table.get("service_id", pd.NA),
            "csv_row": table["csv_row"],
            "start": feed.typed(CALENDAR, "start_date"),
            "end": feed.typed(CALENDAR, "end_date"),
        },
        index=table.index,
    )
    pattern = np.zeros(len(table), dtype="int64")
    for bit, name in enumerate(WEEKDAYS):
        value = feed.typed(CALENDAR, name).fillna(0).to_numpy(dtype="int64")
        pattern |= (value & 1) << bit
    out["pattern"] = pattern
    out = out[out["service_id"].notna() & out["start"].notna() & out["end"].notna()]
    out["start"] = ymd_to_days(out["start"])
    out["end"] = ymd_to_days(out["end"])
    return out.reset_index(drop=True)


def _calendar_date_rows(feed: Feed) -> pd.DataFrame:
    """calendar_dates rows with a service id and a date: service_id, csv_row, day, type."""
    table = feed.table(CALENDAR_DATES)
    out = pd.DataFrame(
        {
            "service_id": table.get("service_id", pd.NA),
            "csv_row": table["csv_row"],
            "day": feed.typed(CALENDAR_DATES, "date"),
            "type": feed.typed(CALENDAR_DATES, "exception_type"),
        },
        index=table.index,
    )
    out = out[out["service_id"].notna() & out["day"].notna()]
    out["day"] = ymd_to_days(out["day"])
    return out.sort_values("csv_row", kind="stable").reset_index(drop=True)


def _expand_patterns(rows: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Every (service_id, day) a calendar row's weekly pattern selects within its range.

    Vectorised (np.repeat) over all rows, in chunks of at most CHUNK_DAYS days so temporaries stay
    small. Only when the ranges span more than MAX_EXPANDED_DAYS in total (say thousands of
    services running to 9999) are ranges cut at ``horizon`` (800 days past today and the last
    calendar_dates day): the counts of the rules stay the same, only far-future sample dates move.
    """
    rows = rows[(rows["pattern"] != 0) & (rows["end"] >= rows["start"])]
    if rows.empty:
        return pd.DataFrame({"service_id": pd.Series([], dtype="str"), "day": []})
    start = rows["start"].to_numpy(dtype="int64")
    end = rows["end"].to_numpy(dtype="int64")
    if int((end - start + 1).sum()) > MAX_EXPANDED_DAYS:
        end = np.minimum(end, np.maximum(start, horizon))
    lengths = end - start + 1
    patterns = rows["pattern"].to_numpy(dtype="int64")
    ids = rows["service_id"].to_numpy()
    chunk_of = np.cumsum(lengths) // CHUNK_DAYS
    parts = []
    for chunk in np.unique(chunk_of):  # one iteration per CHUNK_DAYS days, not per row
        sel = np.flatnonzero(chunk_of == chunk)
        n = lengths[sel]
        offsets = np.arange(int(n.sum()), dtype="int64") - np.repeat(np.cumsum(n) - n, n)
        days = np.repeat(start[sel], n) + offsets
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        keep = ((np.repeat(patterns[sel], n) >> weekday) & 1).astype(bool)
        parts.append(pd.DataFrame({"service_id": ids[np.repeat(sel, n)[keep]], "day": days[keep]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def _horizon(feed: Feed, dates: pd.DataFrame) -> int:
    last_exception = int(dates["day"].max()) if not dates.empty else 0
    return max(date_to_day(feed.date), last_exception) + HORIZON_DAYS


def _cached(feed: Feed, key: str, build: Callable[[Feed], Any]) -> Any:
    """Each expansion is read by two rule families: build it once per feed and date."""
    store = _EXPANSIONS.setdefault(feed, {})
    dated = (key, feed.date)  # the expansion horizon depends on the date (huge feeds only)
    if dated not in store:
        store[dated] = build(feed)
    return store[dated]


def period_days(feed: Feed) -> pd.DataFrame:
    """Active (service_id, day) pairs as CalendarUtil.createServicePeriod computes them."""
    return _cached(feed, "period", _period_days)


def _period_days(feed: Feed) -> pd.DataFrame:
    cal = _calendar_rows(feed)
    # An inverted range is clamped (end = start) rather than rejected.
    cal["end"] = np.maximum(cal["end"], cal["start"])
    dates = _calendar_date_rows(feed)
    return _apply_exceptions(_expand_patterns(cal, _horizon(feed, dates)), dates)


def interval_days(feed: Feed) -> pd.DataFrame:
    """Active (service_id, day) pairs for the service-window rules: inverted ranges add nothing."""
    return _cached(feed, "interval", _interval_days)


def _interval_days(feed: Feed) -> pd.DataFrame:
    cal = _calendar_rows(feed)
    cal = cal[cal["start"] <= cal["end"]]
    dates = _calendar_date_rows(feed)
    return _apply_exceptions(_expand_patterns(cal, _horizon(feed, dates)), dates)


def _apply_exceptions(pattern_days: pd.DataFrame, dates: pd.DataFrame) -> pd.DataFrame:
    """calendar_dates rows applied in file order: the last of type 1 (add) or 2 (remove) wins."""
    ops = dates[dates["type"].isin([1, 2]).fillna(False)]
    last = ops.drop_duplicates(["service_id", "day"], keep="last")
    removed = last.loc[last["type"] == 2, ["service_id", "day"]]
    added = last.loc[last["type"] == 1, ["service_id", "day"]]
    active = pattern_days
    if not removed.empty:
        gone = active.merge(removed, how="left", indicator=True)
        active = gone.loc[gone["_merge"] == "left_only", ["service_id", "day"]]
    active = pd.concat([active, added], ignore_index=True).drop_duplicates()
    return active.reset_index(drop=True)


def _trip_service_ids(feed: Feed) -> pd.Series:
    trips = feed.table("trips.txt")
    if "service_id" not in trips:
        return pd.Series([], dtype="str")
    return trips["service_id"].dropna().drop_duplicates()


def _service_window(active: pd.DataFrame, service_ids: pd.Series) -> tuple[int, int] | None:
    used = active[active["service_id"].isin(service_ids)]
    if used.empty:
        return None
    return int(used["day"].min()), int(used["day"].max())


def _feed_period(feed: Feed) -> tuple[int, int] | None:
    """feed_info's first row start and end dates (FeedServiceWindowValidator reads row 0 only)."""
    table = feed.table("feed_info.txt")
    if table.empty:
        return None
    start = feed.typed("feed_info.txt", "feed_start_date").iloc[0]
    end = feed.typed("feed_info.txt", "feed_end_date").iloc[0]
    if pd.isna(start) or pd.isna(end):
        return None
    days = ymd_to_days(pd.Series([start, end], dtype="Int64"))
    return int(days[0]), int(days[1])


# ---------------------------------------------------------------------------------------------
# rules


@rule(
    files=[CALENDAR],
    notices={
        "service_has_no_active_day_of_the_week": (
            Severity.WARNING,
            "A calendar.txt row has every day of the week set to 0.",
        ),
        "start_and_end_range_out_of_order": (
            Severity.ERROR,
            "Two date or time fields are out of order.",
        ),
    },
)
def check_calendar_rows(feed: Feed, notices: Notices) -> None:
    """Row-level calendar checks: no active weekday; start_date after end_date."""
    table = feed.table(CALENDAR)
    if table.empty:
        return
    has_id = table["service_id"].notna() if "service_id" in table else False
    all_off = pd.Series(True, index=table.index)
    for name in WEEKDAYS:
        all_off &= feed.typed(CALENDAR, name).fillna(0) == 0
    hit = table[all_off & has_id]
    notices.add_frame(
        "service_has_no_active_day_of_the_week",
        pd.DataFrame({"csvRowNumber": hit["csv_row"], "serviceId": hit["service_id"]}),
    )
    start = feed.typed(CALENDAR, "start_date")
    end = feed.typed(CALENDAR, "end_date")
    bad = (start > end).fillna(False)
    rows = table[bad]
    notices.add_frame(
        "start_and_end_range_out_of_order",
        pd.DataFrame(
            {
                "filename": CALENDAR,
                "csvRowNumber": rows["csv_row"],
                "entityId": rows.get("service_id", None),
                "startFieldName": "start_date",
                "startValue": start[bad].astype("str"),
                "endFieldName": "end_date",
                "endValue": end[bad].astype("str"),
            }
        ),
    )


@rule(
    files=[CALENDAR, CALENDAR_DATES],
    notices={
        "expired_calendar": (Severity.WARNING, "A service's last active date is before today."),
    },
)
def check_expired_calendar(feed: Feed, notices: Notices) -> None:
    """Services that ended before feed.date (calendar rows; calendar_dates-only if all expired)."""
    active = period_days(feed)
    if active.empty:
        return
    last = active.groupby("service_id", sort=False)["day"].max()
    today = date_to_day(feed.date)
    cal = feed.table(CALENDAR)
    cal_rows = (
        cal.loc[cal["service_id"].notna(), ["service_id", "csv_row"]]
        .groupby("service_id")["csv_row"]
        .min()
        if "service_id" in cal
        else pd.Series(dtype="int64")
    )
    dates = feed.table(CALENDAR_DATES)
    date_rows = (
        dates.loc[dates["service_id"].notna(), ["service_id", "csv_row"]]
        .groupby("service_id")["csv_row"]
        .min()
        if "service_id" in dates
        else pd.Series(dtype="int64")
    )
    expired = last[last < today]
    in_calendar = expired.index.isin(cal_rows.index)
    reported = pd.DataFrame(
        {
            "csvRowNumber": cal_rows.reindex(expired.index[in_calendar]).to_numpy(),
            "serviceId": expired.index[in_calendar],
        }
    )
    if cal_rows.empty and len(expired) == len(last):
        others = expired.index[~in_calendar]
        reported = pd.concat(
            [
                reported,
                pd.DataFrame(
                    {
                        "csvRowNumber": date_rows.reindex(others).fillna(0).to_numpy("int64"),
                        "serviceId": others,
                    }
                ),
            ],
            ignore_index=True,
        )
    notices.add_frame("expired_calendar", reported.sort_values("csvRowNumber", kind="stable"))


def _trips_by_date(feed: Feed, active: pd.DataFrame) -> pd.Series:
    """Trips per active service date (frequency-based trips count once per headway)."""
    trips = feed.table("trips.txt")
    if trips.empty or active.empty or "service_id" not in trips:
        return pd.Series(dtype="int64")
    per_trip = pd.Series(1, index=trips.index, dtype="int64")
    freq = feed.table("frequencies.txt")
    if not freq.empty and "trip_id" in freq and "trip_id" in trips:
        start = feed.typed("frequencies.txt", "start_time")
        end = feed.typed("frequencies.txt", "end_time")
        headway = feed.typed("frequencies.txt", "headway_secs")
        usable = (headway > 0).fillna(False) & start.notna() & end.notna()
        span = (end - start - 1).where(usable, 0).fillna(0).to_numpy("int64")
        step = headway.where(usable, 1).fillna(1).to_numpy("int64")
        extra = np.trunc(span / step).astype("int64")  # Java integer division truncates
        counts = pd.Series(1 + extra, index=freq.index)
        by_trip = counts[freq["trip_id"].notna()].groupby(freq["trip_id"]).sum()
        mapped = trips["trip_id"].map(by_trip)
        per_trip = mapped.fillna(1).astype("int64")
    by_service = per_trip[trips["service_id"].notna()].groupby(trips["service_id"]).sum()
    joined = active.merge(
        by_service.rename("n").rename_axis("service_id").reset_index(), on="service_id"
    )
    return joined.groupby("day")["n"].sum()


@rule(
    files=["trips.txt", CALENDAR, CALENDAR_DATES, "frequencies.txt"],
    notices={
        "trip_coverage_not_active_for_next7_days": (
            Severity.WARNING,
            "The majority-service window does not cover the next 7 days.",
        ),
    },
)
def check_trip_coverage(feed: Feed, notices: Notices) -> None:
    """TripCalendarUtil's majority service window must cover today and the next 7 days."""
    count_by_date = _trips_by_date(feed, period_days(feed))
    if count_by_date.empty:
        return
    counts = np.sort(count_by_date.to_numpy())
    n = len(counts)
    index = max(int(n * MAX_SERVICE_DATE_TRIP_COUNT_RATIO), n - MAX_SERVICE_DATE_TRIP_COUNT_LIMIT)
    threshold = int(MAJORITY_TRIP_COUNT_RATIO * counts[index])
    majority = count_by_date[count_by_date >= threshold]
    if majority.empty:
        majority = count_by_date
    start, end = int(majority.index.min()), int(majority.index.max())
    today = date_to_day(feed.date)
    if not (start > today or end - today < COVERAGE_DAYS):
        return
    notices.add(
        "trip_coverage_not_active_for_next7_days",
        currentDate=yyyymmdd(today),
        serviceWindowStartDate=yyyymmdd(start),
        serviceWindowEndDate=yyyymmdd(end),
    )


@rule(
    files=[CALENDAR, CALENDAR_DATES],
    notices={
        "big_gap_in_service": (
            Severity.INFO,
            "A calendar service has 14 or more consecutive inactive days inside its span.",
        ),
        "service_extends_far_in_the_future": (
            Severity.INFO,
            "A calendar service's last active date is more than 730 days after today.",
        ),
    },
)
def check_service_spread(feed: Feed, notices: Notices) -> None:
    """ServiceSpreadValidator: gaps and far-future ends, per calendar.txt row."""
    active = interval_days(feed)
    if active.empty:
        return
    cal = feed.table(CALENDAR)
    if cal.empty:
        return
    # Once per calendar service (a duplicated service_id is one service).
    rows = cal.loc[cal["service_id"].notna(), ["service_id", "csv_row"]].drop_duplicates(
        "service_id"
    )
    ordered = active.sort_values(["service_id", "day"]).reset_index(drop=True)
    prev = ordered["day"].shift()
    same = ordered["service_id"].eq(ordered["service_id"].shift())
    gap = (ordered["day"] - prev - 1).where(same)
    big = ordered[(gap > MAX_GAP_DAYS).fillna(False)].copy()
    big["prev"] = prev[big.index].astype("int64")
    big["length"] = gap[big.index].astype("int64")
    gaps = rows.merge(big, on="service_id").sort_values(["csv_row", "day"], kind="stable")
    notices.add_frame(
        "big_gap_in_service",
        pd.DataFrame(
            {
                "serviceId": gaps["service_id"],
                "gapStartDate": [iso(d) for d in gaps["prev"]],
                "gapEndDate": [iso(d) for d in gaps["day"]],
                "gapDurationDays": gaps["length"],
            }
        ),
    )
    last = ordered.groupby("service_id")["day"].max().rename("last").reset_index()
    far = rows.merge(last, on="service_id")
    far = far[far["last"] - date_to_day(feed.date) > MAX_FUTURE_EXTENT_DAYS]
    notices.add_frame(
        "service_extends_far_in_the_future",
        pd.DataFrame(
            {
                "serviceId": far["service_id"],
                "serviceWindowEndDate": [iso(d) for d in far["last"]],
            }
        ),
    )


@rule(
    files=["trips.txt", CALENDAR, CALENDAR_DATES, "feed_info.txt"],
    notices={
        "future_calendar": (Severity.INFO, "Every service used by trips starts after today."),
        "service_window_outside_feed_period": (
            Severity.INFO,
            "A service used by trips runs before feed_start_date or after feed_end_date.",
        ),
        "feed_valid_beyond_total_service_window": (
            Severity.INFO,
            "feed_info's period exceeds the trips' total service window by more than 14 days.",
        ),
    },
)
def check_feed_service_window(feed: Feed, notices: Notices) -> None:
    """FeedServiceWindowValidator: the trips' total service window against today and feed_info."""
    active = interval_days(feed)
    service_ids = _trip_service_ids(feed)
    window = _service_window(active, service_ids)
    if window is None:
        return
    today = date_to_day(feed.date)
    if window[0] > today:
        notices.add("future_calendar", minServiceStartDate=iso(window[0]), currentDate=iso(today))
    period = _feed_period(feed)
    if period is None:
        return
    feed_start, feed_end = period
    used = active[active["service_id"].isin(service_ids)]
    spans = used.groupby("service_id", sort=False)["day"].agg(["min", "max"])
    before = np.where(spans["min"] < feed_start, feed_start - spans["min"], 0)
    after = np.where(spans["max"] > feed_end, spans["max"] - feed_end, 0)
    outside = (before > 0) | (after > 0)
    hit = spans[outside]
    notices.add_frame(
        "service_window_outside_feed_period",
        pd.DataFrame(
            {
                "serviceId": hit.index,
                "serviceWindowStartDate": [iso(d) for d in hit["min"]],
                "serviceWindowEndDate": [iso(d) for d in hit["max"]],
                "daysBeforeFeedStart": before[outside],
                "daysAfterFeedEnd": after[outside],
            }
        ),
    )
    if (
        window[0] - feed_start > SERVICE_WINDOW_THRESHOLD_DAYS
        or feed_end - window[1] > SERVICE_WINDOW_THRESHOLD_DAYS
    ):
        notices.add(
            "feed_valid_beyond_total_service_window",
            feedStartDate=iso(feed_start),
            feedEndDate=iso(feed_end),
            serviceWindowStartDate=iso(window[0]),
            serviceWindowEndDate=iso(window[1]),
        )
