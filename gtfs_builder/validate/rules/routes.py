"""Routes family: names, colours and URLs of single routes, and duplicate routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, tables_ok

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

MAX_SHORT_NAME_LENGTH = 12
MAX_ROUTE_COLOR_LUMA_DIFFERENCE = 72




@rule(
    files=["routes.txt"],
    notices={
        "route_both_short_and_long_name_missing": (
            Severity.ERROR,
            "A route has neither route_short_name nor route_long_name.",
        ),
        "route_short_name_too_long": (
            Severity.WARNING,
            "route_short_name is longer than 12 characters.",
        ),
        "route_long_name_contains_short_name": (
            Severity.WARNING,
            "route_long_name starts with route_short_name.",
        ),
        "same_name_and_description_for_route": (
            Severity.WARNING,
            "route_desc repeats route_short_name or route_long_name.",
        ),
    },
)
def check_route_names(feed: Feed, notices: Notices) -> None:
    """Per-route name checks: riders see names, so they must exist and not repeat each other."""
    routes = feed.table("routes.txt")
    if routes.empty:
        return
    short = column(routes, "route_short_name")
    long_ = column(routes, "route_long_name")
    desc = column(routes, "route_desc")
    rid = column(routes, "route_id")
    row = routes["csv_row"]
    has_s, has_l = short.notna(), long_.notna()

    both = ~has_s & ~has_l
    notices.add_frame(
        "route_both_short_and_long_name_missing",
        pd.DataFrame({"routeId": rid[both], "csvRowNumber": row[both]}),
    )

    too_long = has_s & (short.str.len() > MAX_SHORT_NAME_LENGTH).fillna(False)
    notices.add_frame(
        "route_short_name_too_long",
        pd.DataFrame(
            {
                "routeId": rid[too_long],
                "csvRowNumber": row[too_long],
                "routeShortName": short[too_long],
            }
        ),
    )

    both_names = has_s & has_l
    s_low = short.str.lower().fillna("")
    l_low = long_.str.lower().fillna("")
    starts = pd.Series(
        [b and lo.startswith(so) for b, lo, so in zip(both_names, l_low, s_low, strict=True)],
        index=routes.index,
        dtype=bool,
    )  # per route, not per stop_times row: routes.txt is small
    remainder = pd.Series(
        [lo[len(so) :] for lo, so in zip(long_.fillna(""), short.fillna(""), strict=True)],
        index=routes.index,
        dtype=object,
    )
    rem_ok = remainder.eq("") | remainder.str.match(r"^\s?[\s\-\(\)]", na=False)
    contains = starts & rem_ok
    notices.add_frame(
        "route_long_name_contains_short_name",
        pd.DataFrame(
            {
                "routeId": rid[contains],
                "csvRowNumber": row[contains],
                "routeShortName": short[contains],
                "routeLongName": long_[contains],
            }
        ),
    )

    d_low = desc.str.lower()
    same_short = desc.notna() & has_s & (d_low == s_low).fillna(False)
    same_long = desc.notna() & ~same_short & has_l & (d_low == l_low).fillna(False)
    field = pd.Series(
        np.where(same_short, "route_short_name", "route_long_name"), index=routes.index
    )
    same = same_short | same_long
    notices.add_frame(
        "same_name_and_description_for_route",
        pd.DataFrame(
            {
                "csvRowNumber": row[same],
                "routeDesc": desc[same],
                "routeId": rid[same],
                "specifiedField": field[same],
            }
        ),
    )


@rule(
    files=["routes.txt"],
    notices={
        "duplicate_route_name": (
            Severity.WARNING,
            "Two routes of one agency and type have the same short and long names.",
        ),
    },
)
def check_duplicate_route_name(feed: Feed, notices: Notices) -> None:
    """Routes riders cannot tell apart: same names, route_type and agency as an earlier route."""
    if not tables_ok(feed, "routes.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    routes = feed.table("routes.txt")
    if routes.empty:
        return
    key = pd.DataFrame(
        {
            "l": column(routes, "route_long_name").fillna(""),
            "s": column(routes, "route_short_name").fillna(""),
            "t": column(routes, "route_type").fillna(""),
            "a": column(routes, "agency_id").fillna(""),
        }
    )
    dup = key.duplicated(keep="first")
    if not dup.any():
        return
    first_pos = key.groupby(list(key.columns), sort=False).ngroup()
    first_idx = pd.Series(routes.index, index=routes.index).groupby(first_pos).transform("first")
    cur = routes.loc[dup]
    prev = routes.loc[first_idx[dup].to_numpy()]
    notices.add_frame(
        "duplicate_route_name",
        pd.DataFrame(
            {
                "csvRowNumber1": prev["csv_row"].to_numpy(),
                "routeId1": column(prev, "route_id").to_numpy(),
                "csvRowNumber2": cur["csv_row"].to_numpy(),
                "routeId2": column(cur, "route_id").to_numpy(),
                "routeShortName": column(cur, "route_short_name").to_numpy(),
                "routeLongName": column(cur, "route_long_name").to_numpy(),
                "routeTypeValue": feed.typed("routes.txt", "route_type")[dup].to_numpy(),
                "agencyId": column(cur, "agency_id").to_numpy(),
            }
        ),
    )


def _luma(hex_color: pd.Series) -> pd.Series:
    """Rec. 601 luma of an RRGGBB colour, truncated to an int like the canonical validator."""
    rgb = hex_color.map(lambda c: int(c, 16), na_action="ignore").astype("Int64")
    r, g, b = (rgb // 65536) % 256, (rgb // 256) % 256, rgb % 256
    return (
        (0.30 * r + 0.59 * g + 0.11 * b)
        .astype("Float64")
        .apply(lambda v: np.nan if pd.isna(v) else float(int(v)))
    )


@rule(
    files=["routes.txt"],
    notices={
        "route_color_contrast": (
            Severity.WARNING,
            "route_color and route_text_color differ by less than 72 in luma.",
        ),
    },
)
def check_route_color_contrast(feed: Feed, notices: Notices) -> None:
    """Route labels must stay readable: text colour must contrast with the route colour."""
    routes = feed.table("routes.txt")
    if routes.empty or "route_color" not in routes or "route_text_color" not in routes:
        return
    color = feed.typed("routes.txt", "route_color")
    text = feed.typed("routes.txt", "route_text_color")
    valid = color.notna() & text.notna()
    valid &= color.str.fullmatch(r"[0-9A-Fa-f]{6}").fillna(False)
    valid &= text.str.fullmatch(r"[0-9A-Fa-f]{6}").fillna(False)
    if not valid.any():
        return
    diff = (_luma(color[valid]) - _luma(text[valid])).abs()
    bad = diff[diff < MAX_ROUTE_COLOR_LUMA_DIFFERENCE].index
    sel = routes.loc[bad]
    notices.add_frame(
        "route_color_contrast",
        pd.DataFrame(
            {
                "routeId": column(sel, "route_id"),
                "csvRowNumber": sel["csv_row"],
                "routeColor": "#" + color[bad].str.upper(),
                "routeTextColor": "#" + text[bad].str.upper(),
            }
        ),
    )


@rule(
    files=["routes.txt", "agency.txt"],
    notices={
        "same_route_and_agency_url": (
            Severity.WARNING,
            "route_url repeats the URL of an agency.",
        ),
    },
)
def check_route_url(feed: Feed, notices: Notices) -> None:
    """A route_url equal to an agency's URL (case-insensitive) adds nothing for riders."""
    if not tables_ok(feed, "agency.txt", "routes.txt", "stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    routes = feed.table("routes.txt")
    agency = feed.table("agency.txt")
    if routes.empty or agency.empty or "route_url" not in routes:
        return
    by_url = agency_by_url(agency)
    url = column(routes, "route_url")
    hit = url.str.lower().map(by_url["pos"]).notna() & url.notna()
    sel = routes.loc[hit]
    ag = agency.iloc[url[hit].str.lower().map(by_url["pos"]).astype(int).to_numpy()]
    notices.add_frame(
        "same_route_and_agency_url",
        pd.DataFrame(
            {
                "routeCsvRowNumber": sel["csv_row"].to_numpy(),
                "routeId": column(sel, "route_id").to_numpy(),
                "agencyName": column(ag, "agency_name").to_numpy(),
                "routeUrl": url[hit].to_numpy(),
                "agencyCsvRowNumber": ag["csv_row"].to_numpy(),
            }
        ),
    )


def agency_by_url(agency: pd.DataFrame) -> pd.DataFrame:
    """First agency (its position) per lower-cased agency_url, as the canonical lookup map."""
    url = column(agency, "agency_url").str.lower()
    frame = pd.DataFrame({"url": url, "pos": np.arange(len(agency))}).dropna(subset=["url"])
    return frame.drop_duplicates("url").set_index("url")
