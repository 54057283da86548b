"""pathways.txt rules: endpoint types, loops, exit gates, dangling nodes and reachability.

pathways.txt and the stations it describes are small (hundreds of rows), so the reachability
search is a plain breadth-first search over Python dicts; the per-row checks are vectorised.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

PATHWAYS = "pathways.txt"
STOPS = "stops.txt"
STOP, STATION, ENTRANCE, GENERIC_NODE, BOARDING_AREA = 0, 1, 2, 3, 4
EXIT_GATE = 7
BIDIRECTIONAL = 1
NOT_ACCESSIBLE_VIA_PATHWAYS = 1
MAX_PARENT_HOPS = 3
ENDS = ("from_stop_id", "to_stop_id")


def _stops(feed: Feed) -> pd.DataFrame:
    """stops.txt with typed location_type/stop_access, plus whether each stop has children."""
    table = feed.table(STOPS)
    frame = table.assign(
        _type=feed.typed(STOPS, "location_type").fillna(STOP).astype("int64"),
        _access=feed.typed(STOPS, "stop_access"),
    )
    parents = set(column(table, "parent_station").fillna(""))
    frame["_has_children"] = column(frame, "stop_id").isin(parents)
    return frame


def _first_by_id(stops: pd.DataFrame) -> pd.DataFrame:
    return stops[stops["stop_id"].notna()].drop_duplicates("stop_id").set_index("stop_id")


def _endpoints(pathways: pd.DataFrame) -> pd.DataFrame:
    """One row per (pathway, end): csv_row, pathway_id, field, stop_id; in file order."""
    parts = [
        pd.DataFrame(
            {
                "csv_row": pathways["csv_row"].to_numpy(),
                "order": i,
                "pathway_id": column(pathways, "pathway_id").fillna("").to_numpy(),
                "field": name,
                "stop_id": column(pathways, name).to_numpy(),
            }
        )
        for i, name in enumerate(ENDS)
    ]
    ends = pd.concat(parts, ignore_index=True).sort_values(["csv_row", "order"], kind="stable")
    return ends[ends["stop_id"].notna()]


@rule(
    files=[PATHWAYS, STOPS],
    notices={
        "pathway_loop": (Severity.WARNING, "A pathway starts and ends at the same location."),
        "bidirectional_exit_gate": (
            Severity.ERROR,
            "A pathway with pathway_mode 7 (exit gate) is bidirectional.",
        ),
        "pathway_to_wrong_location_type": (Severity.ERROR, "A pathway endpoint is a station."),
        "pathway_to_platform_with_boarding_areas": (
            Severity.ERROR,
            "A pathway endpoint is a platform that has boarding areas.",
        ),
        "pathway_to_stop_with_access_outside_of_station_pathways": (
            Severity.ERROR,
            "A pathway endpoint is a stop with stop_access=1 (not accessible via pathways).",
        ),
        "pathway_dangling_generic_node": (
            Severity.WARNING,
            "A generic node is connected to exactly one other location.",
        ),
    },
)
def check_pathway_endpoints(feed: Feed, notices: Notices) -> None:
    """Per-pathway and per-endpoint checks."""
    pathways = feed.table(PATHWAYS)
    if pathways.empty:
        return
    frm, to = column(pathways, "from_stop_id"), column(pathways, "to_stop_id")
    loop = pathways[(frm == to).fillna(False)]
    notices.add_frame(
        "pathway_loop",
        pd.DataFrame(
            {
                "csvRowNumber": loop["csv_row"],
                "pathwayId": loop["pathway_id"],
                "stopId": loop["from_stop_id"],
            }
        ),
    )
    mode = feed.typed(PATHWAYS, "pathway_mode")
    bidir = feed.typed(PATHWAYS, "is_bidirectional")
    gate = ((mode == EXIT_GATE) & (bidir == BIDIRECTIONAL)).fillna(False)
    notices.add_frame(
        "bidirectional_exit_gate",
        pd.DataFrame(
            {
                "csvRowNumber": pathways.loc[gate, "csv_row"],
                "pathwayMode": mode[gate],
                "isBidirectional": bidir[gate],
            }
        ),
    )

    stops = _stops(feed)
    by_id = _first_by_id(stops)
    ends = _endpoints(pathways)
    known = ends[ends["stop_id"].isin(by_id.index)]
    kind = known["stop_id"].map(by_id["_type"])
    has_children = known["stop_id"].map(by_id["_has_children"]).astype(bool)

    def endpoint_frame(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "csvRowNumber": rows["csv_row"],
                "pathwayId": rows["pathway_id"],
                "fieldName": rows["field"],
                "stopId": rows["stop_id"],
            }
        )

    notices.add_frame("pathway_to_wrong_location_type", endpoint_frame(known[kind == STATION]))
    notices.add_frame(
        "pathway_to_platform_with_boarding_areas",
        endpoint_frame(known[(kind == STOP) & has_children]),
    )

    if feed.has_column(STOPS, "stop_access"):
        flagged = by_id[(by_id["_access"] == NOT_ACCESSIBLE_VIA_PATHWAYS).fillna(False)]
        hit = ends[ends["stop_id"].isin(flagged.index)].drop_duplicates(["csv_row", "stop_id"])
        notices.add_frame(
            "pathway_to_stop_with_access_outside_of_station_pathways",
            pd.DataFrame(
                {
                    "csvRowNumber": hit["csv_row"],
                    "platformCode": hit["stop_id"].map(column(flagged, "platform_code").fillna("")),
                    "pathwayId": hit["pathway_id"],
                    "stopId": hit["stop_id"],
                }
            ),
        )

    # Distinct neighbours of each generic node (both directions); exactly one is dangling.
    pairs = pd.concat(
        [
            pd.DataFrame({"node": frm, "other": to}),
            pd.DataFrame({"node": to, "other": frm}),
        ],
        ignore_index=True,
    ).dropna(subset=["node"])
    degree = pairs.drop_duplicates().groupby("node")["other"].size()
    nodes = by_id[by_id["_type"] == GENERIC_NODE]
    dangling = nodes[nodes.index.map(degree).fillna(0) == 1]
    notices.add_frame(
        "pathway_dangling_generic_node",
        pd.DataFrame(
            {
                "csvRowNumber": dangling["csv_row"],
                "stopId": dangling.index,
                "stopName": column(dangling, "stop_name").fillna(""),
                "parentStation": column(dangling, "parent_station").fillna(""),
            }
        ),
    )


def _including_station(types: dict, parents: dict, stop_id: str) -> str | None:
    """StopUtil.getIncludingStation: the first station up the parent chain, within 3 lookups."""
    for _ in range(MAX_PARENT_HOPS):
        if stop_id not in types:
            return None
        if types[stop_id] == STATION:
            return stop_id
        parent = parents[stop_id]
        if pd.isna(parent):
            return None
        stop_id = parent
    return None


def _traverse(
    starts: list[str], edges: dict[str, list[tuple[str, bool]]], *, forward: bool
) -> set[str]:
    """BFS from ``starts``; an edge is (neighbour, usable in this direction)."""
    seen = set(starts)
    queue = deque(starts)
    while queue:
        current = queue.popleft()
        for other, usable in edges.get(current, ()):
            if usable and other not in seen:
                seen.add(other)
                queue.append(other)
    return seen


@rule(
    files=[PATHWAYS, STOPS],
    notices={
        "pathway_unreachable_location": (
            Severity.ERROR,
            "A station location is not reachable from an entrance or cannot reach an exit.",
        ),
    },
)
def check_pathway_reachability(feed: Feed, notices: Notices) -> None:
    """Platforms, nodes and boarding areas of stations with pathways must reach and be reached.

    Both searches start from every entrance of the feed (as the canonical validator does).
    """
    pathways = feed.table(PATHWAYS)
    if pathways.empty:
        return
    stops = _stops(feed)
    by_id = _first_by_id(stops)
    bidir = (feed.typed(PATHWAYS, "is_bidirectional") == BIDIRECTIONAL).fillna(False)
    forward: dict[str, list[tuple[str, bool]]] = {}
    backward: dict[str, list[tuple[str, bool]]] = {}
    frm = column(pathways, "from_stop_id")
    to = column(pathways, "to_stop_id")
    # One iteration per pathway row (small file).
    for a, b, two_way in zip(frm, to, bidir, strict=True):
        a_id = "" if pd.isna(a) else a
        b_id = "" if pd.isna(b) else b
        if not pd.isna(a):
            forward.setdefault(a_id, []).append((b_id, True))
            backward.setdefault(a_id, []).append((b_id, bool(two_way)))
        if not pd.isna(b):
            forward.setdefault(b_id, []).append((a_id, bool(two_way)))
            backward.setdefault(b_id, []).append((a_id, True))
    types = by_id["_type"].to_dict()
    parents = column(by_id, "parent_station").to_dict()
    touched = set(frm.dropna()) | set(to.dropna())
    stations = {_including_station(types, parents, t) for t in touched} - {None}
    if not stations:
        return
    entrances = list(stops.loc[stops["_type"] == ENTRANCE, "stop_id"].dropna())
    from_entrances = _traverse(entrances, forward, forward=True)
    to_exits = _traverse(entrances, backward, forward=False)
    rows = stops[stops["stop_id"].notna()]
    in_scope = rows["_type"].isin([GENERIC_NODE, BOARDING_AREA]) | (
        (rows["_type"] == STOP) & ~rows["_has_children"]
    )
    rows = rows[in_scope]
    # One lookup chain (at most 3 hops) per candidate stop, only when the feed has pathways.
    station = rows["stop_id"].map(lambda s: _including_station(types, parents, s))
    rows = rows[station.isin(stations)]
    has_entrance = rows["stop_id"].isin(from_entrances)
    has_exit = rows["stop_id"].isin(to_exits)
    hit = rows[~(has_entrance & has_exit)]
    notices.add_frame(
        "pathway_unreachable_location",
        pd.DataFrame(
            {
                "csvRowNumber": hit["csv_row"],
                "stopId": hit["stop_id"],
                "stopName": column(hit, "stop_name").fillna(""),
                "locationType": hit["_type"],
                "parentStation": column(hit, "parent_station").fillna(""),
                "hasEntrance": has_entrance[hit.index],
                "hasExit": has_exit[hit.index],
            }
        ),
    )
