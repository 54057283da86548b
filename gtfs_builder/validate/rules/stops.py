"""Stops family: location hierarchy, names, coordinates, URLs and stop usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.spec import LOCATION_TYPE_NAMES
from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules import stop_times as stop_times_rules
from gtfs_builder.validate.rules._columns import column, has_column, tables_ok

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

STOP, STATION, ENTRANCE, GENERIC_NODE, BOARDING_AREA = 0, 1, 2, 3, 4




def location_type(feed: Feed) -> pd.Series:
    """stops.location_type as Int64, empty meaning 0 (stop/platform) as in the spec."""
    stops = feed.table("stops.txt")
    if "location_type" not in stops.columns:
        return pd.Series(STOP, index=stops.index, dtype="Int64")
    return feed.typed("stops.txt", "location_type").fillna(STOP).astype("Int64")


def _frame(stops: pd.DataFrame, mask: pd.Series, **extra: object) -> pd.DataFrame:
    sel = stops.loc[mask]
    data: dict[str, object] = {
        "csvRowNumber": sel["csv_row"],
        "stopId": column(sel, "stop_id"),
        "stopName": column(sel, "stop_name"),
    }
    for key, value in extra.items():
        data[key] = value[mask] if isinstance(value, pd.Series) else value
    return pd.DataFrame(data)


@rule(
    files=["stops.txt"],
    notices={
        "station_with_parent_station": (
            Severity.ERROR,
            "A station (location_type 1) has parent_station set.",
        ),
        "location_without_parent_station": (
            Severity.ERROR,
            "An entrance, generic node or boarding area has no parent_station.",
        ),
        "platform_without_parent_station": (
            Severity.INFO,
            "A stop with platform_code has no parent_station.",
        ),
        "wrong_parent_location_type": (
            Severity.ERROR,
            "parent_station points to a location of the wrong location_type.",
        ),
    },
)
def check_parent_station(feed: Feed, notices: Notices) -> None:
    """The station hierarchy: who must, may and must not have a parent, and of which type."""
    stops = feed.table("stops.txt")
    if stops.empty:
        return
    lt = location_type(feed)
    parent = column(stops, "parent_station")
    has_parent = parent.notna()
    notices.add_frame(
        "station_with_parent_station",
        _frame(stops, has_parent & (lt == STATION), parentStation=parent),
    )
    platform = ~has_parent & (lt == STOP) & column(stops, "platform_code").notna()
    notices.add_frame("platform_without_parent_station", _frame(stops, platform))
    needs = ~has_parent & lt.isin([ENTRANCE, GENERIC_NODE, BOARDING_AREA])
    notices.add_frame("location_without_parent_station", _frame(stops, needs, locationType=lt))

    expected = lt.map(
        {STOP: STATION, ENTRANCE: STATION, GENERIC_NODE: STATION, BOARDING_AREA: STOP}
    )
    ids = column(stops, "stop_id")
    first = ~ids.duplicated()
    pos = pd.Series(np.arange(len(stops))[first.to_numpy()], index=ids[first].to_numpy())
    ppos = parent.map(pos)
    check = has_parent & ppos.notna() & expected.notna()
    if not check.any():
        return
    pp = ppos[check].astype(int).to_numpy()
    plt = lt.to_numpy()[pp]
    bad_idx = check[check].index[plt != expected[check].astype(int).to_numpy()]
    if len(bad_idx) == 0:
        return
    mask = pd.Series(False, index=stops.index)
    mask[bad_idx] = True
    bp = ppos[mask].astype(int).to_numpy()
    notices.add_frame(
        "wrong_parent_location_type",
        _frame(
            stops,
            mask,
            locationType=lt,
            parentCsvRowNumber=pd.Series(stops["csv_row"].to_numpy()[bp], index=bad_idx),
            parentStation=parent,
            parentStopName=pd.Series(column(stops, "stop_name").to_numpy()[bp], index=bad_idx),
            parentLocationType=pd.Series(lt.to_numpy()[bp], index=bad_idx),
            expectedLocationType=expected.astype("Int64"),
        ),
    )


@rule(
    files=["stops.txt"],
    notices={
        "stop_without_location": (
            Severity.ERROR,
            "stop_lat or stop_lon is missing for a stop, station or entrance.",
        ),
        "missing_stop_name": (
            Severity.ERROR,
            "stop_name is missing for a stop, station or entrance.",
        ),
        "same_name_and_description_for_stop": (
            Severity.WARNING,
            "stop_desc repeats stop_name.",
        ),
    },
)
def check_stop_fields(feed: Feed, notices: Notices) -> None:
    """Fields that location_type makes required, and a description that says something new."""
    stops = feed.table("stops.txt")
    if stops.empty:
        return
    lt = location_type(feed)
    located = lt.isin([STOP, STATION, ENTRANCE])
    lat = feed.typed("stops.txt", "stop_lat") if "stop_lat" in stops else None
    lon = feed.typed("stops.txt", "stop_lon") if "stop_lon" in stops else None
    no_lat = lat.isna() if lat is not None else pd.Series(True, index=stops.index)
    no_lon = lon.isna() if lon is not None else pd.Series(True, index=stops.index)
    missing_loc = located & (no_lat | no_lon)
    sel = stops.loc[missing_loc]
    notices.add_frame(
        "stop_without_location",
        pd.DataFrame(
            {
                "csvRowNumber": sel["csv_row"],
                "locationType": lt[missing_loc].map(LOCATION_TYPE_NAMES),
                "stopId": column(sel, "stop_id"),
            }
        ),
    )

    name = column(stops, "stop_name")
    if has_column(feed, "stops.txt", "stop_name") or has_column(feed, "stops.txt", "location_type"):
        no_name = located & name.isna()
        sel = stops.loc[no_name]
        notices.add_frame(
            "missing_stop_name",
            pd.DataFrame(
                {
                    "csvRowNumber": sel["csv_row"],
                    "locationType": lt[no_name].map(LOCATION_TYPE_NAMES),
                    "stopId": column(sel, "stop_id"),
                }
            ),
        )
    desc = column(stops, "stop_desc")
    same = name.notna() & desc.notna() & (name.str.lower() == desc.str.lower()).fillna(False)
    sel = stops.loc[same]
    notices.add_frame(
        "same_name_and_description_for_stop",
        pd.DataFrame(
            {
                "csvRowNumber": sel["csv_row"],
                "stopId": column(sel, "stop_id"),
                "stopDesc": desc[same],
            }
        ),
    )


@rule(
    files=["stops.txt"],
    notices={
        "stop_access_specified_for_incorrect_location": (
            Severity.ERROR,
            "stop_access is set on a location that is not a stop.",
        ),
        "stop_access_specified_for_stop_with_no_parent_station": (
            Severity.ERROR,
            "stop_access is set on a stop without parent_station.",
        ),
    },
)
def check_stop_access(feed: Feed, notices: Notices) -> None:
    """stop_access only makes sense for platforms inside a station."""
    stops = feed.table("stops.txt")
    if stops.empty or not has_column(feed, "stops.txt", "stop_access"):
        return
    access = column(stops, "stop_access")
    given = access.notna()
    lt = location_type(feed)
    no_parent = column(stops, "parent_station").isna()
    extra = {"stopAccess": access, "locationType": lt}
    notices.add_frame(
        "stop_access_specified_for_stop_with_no_parent_station",
        _frame(stops, given & (lt == STOP) & no_parent, **extra),
    )
    notices.add_frame(
        "stop_access_specified_for_incorrect_location",
        _frame(stops, given & (lt != STOP), **extra),
    )


@rule(
    files=["stops.txt", "stop_times.txt"],
    notices={
        "stop_without_stop_time": (
            Severity.WARNING,
            "A stop (location_type 0) is not referenced by any stop_times.stop_id.",
        ),
        "location_with_unexpected_stop_time": (
            Severity.ERROR,
            "stop_times references a location that is not a stop (location_type not 0).",
        ),
    },
)
def check_stop_usage(feed: Feed, notices: Notices) -> None:
    """Only stops have stop times, and every stop has some."""
    if not tables_ok(feed, "stops.txt", "stop_times.txt", "location_group_stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    stops = feed.table("stops.txt")
    if stops.empty:
        return
    st = feed.table("stop_times.txt")
    # First stop_times row per stop (rows are in file order), block by block over the cached
    # stop positions: no groupby, and temporaries bounded on 20 M rows.
    pos = stop_times_rules.stop_positions(feed)
    size = stop_times_rules.BLOCK_ROWS
    csv_row = st["csv_row"].to_numpy()
    ref = np.full(len(stops), np.nan)
    for lo in range(0, len(pos), size):
        block = pos[lo : lo + size]
        ok = np.flatnonzero(block >= 0)
        uniq, first = np.unique(block[ok], return_index=True)
        new = np.isnan(ref[uniq])  # an earlier block already gave these stops their first row
        ref[uniq[new]] = csv_row[lo + ok[first[new]]]
    ref_row = pd.Series(ref, index=stops.index).astype("Int64")
    # A stop time naming a location group serves every stop of the group.
    in_group = np.zeros(len(stops), dtype=bool)
    if feed.has("location_group_stops.txt") and has_column(
        feed, "stop_times.txt", "location_group_id"
    ):
        lgs = feed.table("location_group_stops.txt")
        served = column(st, "location_group_id").dropna().unique()
        members = column(lgs, "stop_id")[column(lgs, "location_group_id").isin(served)]
        in_group = column(stops, "stop_id").isin(members.dropna().unique()).to_numpy()
    lt = location_type(feed)
    used = ref_row.notna()
    notices.add_frame("stop_without_stop_time", _frame(stops, (lt == STOP) & ~used & ~in_group))
    notices.add_frame(
        "location_with_unexpected_stop_time",
        _frame(stops, (lt != STOP) & used, stopTimeCsvRowNumber=ref_row),
    )


@rule(
    files=["stops.txt"],
    notices={
        "unused_station": (Severity.INFO, "A station has no child stop (location_type 0)."),
    },
)
def check_unused_station(feed: Feed, notices: Notices) -> None:
    """A station without platforms cannot be boarded at."""
    if not tables_ok(feed, "stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    stops = feed.table("stops.txt")
    if stops.empty:
        return
    lt = location_type(feed)
    parent = column(stops, "parent_station")
    with_platforms = set(parent[(lt == STOP) & parent.notna()])
    ids = column(stops, "stop_id")
    unused = (lt == STATION) & ~ids.isin(with_platforms)
    notices.add_frame("unused_station", _frame(stops, unused))


@rule(
    files=["stops.txt", "agency.txt", "routes.txt"],
    notices={
        "same_stop_and_agency_url": (Severity.WARNING, "stop_url repeats an agency_url."),
        "same_stop_and_route_url": (Severity.WARNING, "stop_url repeats a route_url."),
    },
)
def check_stop_url(feed: Feed, notices: Notices) -> None:
    """A stop page that is just the agency or route page adds nothing for riders."""
    if not tables_ok(feed, "agency.txt", "routes.txt", "stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    stops = feed.table("stops.txt")
    if stops.empty or "stop_url" not in stops.columns:
        return
    from gtfs_builder.validate.rules.routes import agency_by_url

    url = column(stops, "stop_url")
    agency = feed.table("agency.txt")
    if not agency.empty:
        by_url = agency_by_url(agency)["pos"]
        pos = url.str.lower().map(by_url)
        hit = url.notna() & pos.notna()
        ag = agency.iloc[pos[hit].astype(int).to_numpy()]
        sel = stops.loc[hit]
        notices.add_frame(
            "same_stop_and_agency_url",
            pd.DataFrame(
                {
                    "stopCsvRowNumber": sel["csv_row"].to_numpy(),
                    "stopId": column(sel, "stop_id").to_numpy(),
                    "agencyName": column(ag, "agency_name").to_numpy(),
                    "stopUrl": url[hit].to_numpy(),
                    "agencyCsvRowNumber": ag["csv_row"].to_numpy(),
                }
            ),
        )
    routes = feed.table("routes.txt")
    if routes.empty or "route_url" not in routes.columns:
        return
    rurl = column(routes, "route_url").str.lower()
    rframe = pd.DataFrame({"url": rurl, "pos": np.arange(len(routes))}).dropna()
    rpos = rframe.drop_duplicates("url").set_index("url")["pos"]
    # One notice per distinct (lower-cased) stop URL, as the canonical map keyed by URL.
    first = url.notna() & ~url.str.lower().duplicated()
    pos = url.map(rpos)
    hit = first & pos.notna()
    sel = stops.loc[hit]
    rt = routes.iloc[pos[hit].astype(int).to_numpy()]
    notices.add_frame(
        "same_stop_and_route_url",
        pd.DataFrame(
            {
                "stopCsvRowNumber": sel["csv_row"].to_numpy(),
                "stopId": column(sel, "stop_id").to_numpy(),
                "stopUrl": url[hit].to_numpy(),
                "routeId": column(rt, "route_id").to_numpy(),
                "routeCsvRowNumber": rt["csv_row"].to_numpy(),
            }
        ),
    )
