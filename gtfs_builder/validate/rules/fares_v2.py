"""Fares v2 rules: fare media, rider categories, transfer rules, timeframes, networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column
from gtfs_builder.validate.rules.frequencies import hhmmss, overlapping_pairs

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

FARE_TRANSFER_RULES = "fare_transfer_rules.txt"
TIMEFRAMES = "timeframes.txt"
UNLIMITED_TRANSFERS = -1
TWENTY_FOUR_HOURS = 24 * 3600


@rule(
    files=["fare_media.txt"],
    notices={
        "duplicate_fare_media": (
            Severity.WARNING,
            "Two fare media have the same fare_media_name and fare_media_type.",
        ),
    },
)
def check_duplicate_fare_media(feed: Feed, notices: Notices) -> None:
    """Each repeat of a (name, type) pair is reported against the first row with that pair."""
    table = feed.table("fare_media.txt")
    if table.empty:
        return
    frame = pd.DataFrame(
        {
            "name": column(table, "fare_media_name").fillna("\x00"),
            "type": feed.typed("fare_media.txt", "fare_media_type").fillna(-1),
            "row": table["csv_row"],
            "id": column(table, "fare_media_id"),
        }
    )
    first = frame.drop_duplicates(["name", "type"])
    repeats = frame[frame.duplicated(["name", "type"])].merge(
        first, on=["name", "type"], suffixes=("", "_first")
    )
    notices.add_frame(
        "duplicate_fare_media",
        pd.DataFrame(
            {
                "csvRowNumber1": repeats["row_first"],
                "fareMediaId1": repeats["id_first"],
                "csvRowNumber2": repeats["row"],
                "fareMediaId2": repeats["id"],
            }
        ),
    )


@rule(
    files=["fare_products.txt", "rider_categories.txt"],
    notices={
        "fare_product_with_multiple_default_rider_categories": (
            Severity.ERROR,
            "A fare product is priced for two rider categories that are both the default.",
        ),
    },
)
def check_default_rider_categories(feed: Feed, notices: Notices) -> None:
    """One notice per product naming its first two distinct default categories."""
    if not feed.has("rider_categories.txt"):
        return
    cats = feed.table("rider_categories.txt")
    flag = feed.typed("rider_categories.txt", "is_default_fare_category")
    first = pd.DataFrame({"id": column(cats, "rider_category_id"), "default": flag}).dropna(
        subset=["id"]
    )
    first = first.drop_duplicates("id")
    defaults = set(first.loc[(first["default"] == 1).fillna(False), "id"])
    if not defaults:
        return
    products = feed.table("fare_products.txt")
    rows = pd.DataFrame(
        {
            "product": column(products, "fare_product_id"),
            "category": column(products, "rider_category_id"),
            "row": products["csv_row"],
        }
    )
    rows = rows[rows["product"].notna() & rows["category"].isin(defaults)]
    rows = rows.drop_duplicates(["product", "category"])
    rows = rows.assign(rank=rows.groupby("product").cumcount())
    one = rows[rows["rank"] == 0].set_index("product")
    two = rows[rows["rank"] == 1].set_index("product")
    notices.add_frame(
        "fare_product_with_multiple_default_rider_categories",
        pd.DataFrame(
            {
                "fareProductId": two.index,
                "csvRowNumber1": one.loc[two.index, "row"].to_numpy(),
                "riderCategoryId1": one.loc[two.index, "category"].to_numpy(),
                "csvRowNumber2": two["row"].to_numpy(),
                "riderCategoryId2": two["category"].to_numpy(),
            }
        ),
    )


@rule(
    files=[FARE_TRANSFER_RULES],
    notices={
        "fare_transfer_rule_duration_limit_without_type": (
            Severity.ERROR,
            "A fare transfer rule has duration_limit but no duration_limit_type.",
        ),
        "fare_transfer_rule_duration_limit_type_without_duration_limit": (
            Severity.ERROR,
            "A fare transfer rule has duration_limit_type but no duration_limit.",
        ),
        "fare_transfer_rule_invalid_transfer_count": (
            Severity.ERROR,
            "A self-transfer rule's transfer_count is 0 or below -1.",
        ),
        "fare_transfer_rule_without_transfer_count": (
            Severity.ERROR,
            "A self-transfer rule (from_leg_group_id = to_leg_group_id) has no transfer_count.",
        ),
        "fare_transfer_rule_with_forbidden_transfer_count": (
            Severity.ERROR,
            "A rule between different leg groups has a transfer_count.",
        ),
    },
)
def check_fare_transfer_rules(feed: Feed, notices: Notices) -> None:
    """Duration limit/type pairing and transfer_count (only, and always, on self transfers)."""
    table = feed.table(FARE_TRANSFER_RULES)
    if table.empty:
        return
    limit = feed.typed(FARE_TRANSFER_RULES, "duration_limit").notna()
    limit_type = feed.typed(FARE_TRANSFER_RULES, "duration_limit_type").notna()
    count = feed.typed(FARE_TRANSFER_RULES, "transfer_count")
    frm, to = column(table, "from_leg_group_id"), column(table, "to_leg_group_id")
    is_self = (frm.notna() & to.notna() & (frm == to)).fillna(False)
    invalid = is_self & ((count < UNLIMITED_TRANSFERS) | (count == 0)).fillna(False)
    for code, mask in (
        ("fare_transfer_rule_duration_limit_without_type", limit & ~limit_type),
        ("fare_transfer_rule_duration_limit_type_without_duration_limit", ~limit & limit_type),
        ("fare_transfer_rule_without_transfer_count", is_self & count.isna()),
        ("fare_transfer_rule_with_forbidden_transfer_count", ~is_self & count.notna()),
    ):
        notices.add_frame(code, pd.DataFrame({"csvRowNumber": table.loc[mask, "csv_row"]}))
    notices.add_frame(
        "fare_transfer_rule_invalid_transfer_count",
        pd.DataFrame(
            {"csvRowNumber": table.loc[invalid, "csv_row"], "transferCount": count[invalid]}
        ),
    )


@rule(
    files=[TIMEFRAMES],
    notices={
        "timeframe_only_start_or_end_time_specified": (
            Severity.ERROR,
            "A timeframe has only one of start_time and end_time.",
        ),
        "timeframe_start_or_end_time_greater_than_twenty_four_hours": (
            Severity.ERROR,
            "A timeframe start_time or end_time is after 24:00:00.",
        ),
        "timeframe_overlap": (
            Severity.ERROR,
            "Two timeframes of one timeframe_group_id and service_id overlap.",
        ),
    },
)
def check_timeframes(feed: Feed, notices: Notices) -> None:
    """Timeframe bounds come in pairs, within 24 h, and do not overlap within a group."""
    table = feed.table(TIMEFRAMES)
    if table.empty:
        return
    start = feed.typed(TIMEFRAMES, "start_time")
    end = feed.typed(TIMEFRAMES, "end_time")
    lonely = start.isna() != end.isna()
    notices.add_frame(
        "timeframe_only_start_or_end_time_specified",
        pd.DataFrame({"csvRowNumber": table.loc[lonely, "csv_row"]}),
    )
    late = []
    for name, values in (("start_time", start), ("end_time", end)):
        mask = (values > TWENTY_FOUR_HOURS).fillna(False)
        late.append(
            pd.DataFrame(
                {
                    "csvRowNumber": table.loc[mask, "csv_row"],
                    "fieldName": name,
                    "time": hhmmss(values[mask]),
                }
            )
        )
    notices.add_frame(
        "timeframe_start_or_end_time_greater_than_twenty_four_hours",
        pd.concat(late).sort_values("csvRowNumber", kind="stable"),
    )
    # start_time < end_time itself is the generic start_and_end_range check (rules/fields.py).
    # Rows with both times only; at most one notice per (group, service), as gtfs-guru reports.
    both = start.notna() & end.notna()
    frame = pd.DataFrame(
        {
            "timeframeGroupId": column(table, "timeframe_group_id").fillna("")[both],
            "serviceId": column(table, "service_id").fillna("")[both],
            "csv_row": table["csv_row"][both],
            "start": start[both].astype("int64"),
            "end": end[both].astype("int64"),
        }
    )
    pairs = overlapping_pairs(frame, ["timeframeGroupId", "serviceId"], ["start", "end"])
    notices.add_frame("timeframe_overlap", pairs.drop_duplicates(["timeframeGroupId", "serviceId"]))


@rule(
    files=["routes.txt", "networks.txt", "route_networks.txt"],
    notices={
        "route_networks_specified_in_more_than_one_file": (
            Severity.ERROR,
            "routes.network_id is declared while networks.txt or route_networks.txt exists.",
        ),
    },
)
def check_route_networks(feed: Feed, notices: Notices) -> None:
    """A routes.txt network_id column conflicts with each of route_networks.txt, networks.txt."""
    if not feed.has_column("routes.txt", "network_id"):
        return
    for other in ("route_networks.txt", "networks.txt"):
        if feed.has(other):
            notices.add(
                "route_networks_specified_in_more_than_one_file",
                fieldName="network_id",
                fileNameA="routes.txt",
                fileNameB=other,
            )
