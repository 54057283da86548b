"""Pairing the entities of two feed versions: by id first, then by what riders recognise.

An import or a rebuild may rename every id while the service stays the same, so an entity whose
id finds no partner is matched on a natural key (stops: name within 50 m; routes: agency and
names; services: the exact set of days; trips: route, service, first departure and stop pattern).
Each stage pairs rows one-to-one: rows sharing a key are paired in order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STOP_MATCH_METRES = 50.0
CELL_DEGREES = 0.0005  # grid for the name-and-distance join: 55 m of latitude
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def pair(
    old_keys: list[pd.Series],
    new_keys: list[pd.Series],
    order: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Match stage by stage; returns (new -> old row or -1, stage number of each match or -1).

    ``old_keys[k]`` / ``new_keys[k]`` are the stage-``k`` keys as strings aligned to the rows;
    "" means "no key at this stage" (never matches). Rows sharing a key pair in ``order``
    (e.g. first departure: the earliest old trip with the earliest new one), else in row order.
    """
    n_old = len(old_keys[0]) if old_keys else 0
    n_new = len(new_keys[0]) if new_keys else 0
    new_to_old = np.full(n_new, -1, dtype=np.int64)
    stage_of = np.full(n_new, -1, dtype=np.int64)
    old_used = np.zeros(n_old, dtype=bool)
    for stage, (ok, nk) in enumerate(zip(old_keys, new_keys, strict=True)):
        o_rows = np.flatnonzero(~old_used & (ok.to_numpy(dtype=object) != ""))
        n_rows = np.flatnonzero((new_to_old < 0) & (nk.to_numpy(dtype=object) != ""))
        if not len(o_rows) or not len(n_rows):
            continue
        if order is not None:
            o_rows = o_rows[np.argsort(order[0][o_rows], kind="stable")]
            n_rows = n_rows[np.argsort(order[1][n_rows], kind="stable")]
        o = pd.DataFrame({"k": ok.to_numpy(dtype=object)[o_rows], "o": o_rows})
        n = pd.DataFrame({"k": nk.to_numpy(dtype=object)[n_rows], "n": n_rows})
        o["i"] = o.groupby("k", sort=False).cumcount()
        n["i"] = n.groupby("k", sort=False).cumcount()
        m = n.merge(o, on=["k", "i"])
        new_to_old[m["n"].to_numpy()] = m["o"].to_numpy()
        stage_of[m["n"].to_numpy()] = stage
        old_used[m["o"].to_numpy()] = True
    return new_to_old, stage_of


def pair_nearby(
    old: pd.DataFrame, new: pd.DataFrame, new_to_old: np.ndarray, stage_of: np.ndarray, stage: int
) -> None:
    """Stops still unmatched: same name within ``STOP_MATCH_METRES``, nearest first (in place)."""
    used = np.zeros(len(old), dtype=bool)
    used[new_to_old[new_to_old >= 0]] = True
    o = old.loc[~used & (old["stop_name"] != "").to_numpy(), ["stop_name", "lat", "lon"]]
    n = new.loc[(new_to_old < 0) & (new["stop_name"] != "").to_numpy(), ["stop_name", "lat", "lon"]]
    if o.empty or n.empty:
        return
    o = o.rename_axis("o").reset_index()
    n = n.rename_axis("n").reset_index()
    # join on name and a grid cell of >= 55 m a side (each new stop tried in its 3 x 3
    # neighbourhood), so thousands of stops sharing a name never make a name-only cross product
    o = o[o["lat"].notna() & o["lon"].notna()]
    n = n[n["lat"].notna() & n["lon"].notna()]
    o["cy"] = _cell_y(o["lat"].to_numpy())
    o["cx"] = _cell_x(o["lon"].to_numpy(), o["cy"].to_numpy())
    cy = _cell_y(n["lat"].to_numpy())
    n = pd.concat(
        [
            n.assign(cy=cy + dy, cx=_cell_x(n["lon"].to_numpy(), cy + dy) + dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ]
    )
    m = n.merge(o, on=["stop_name", "cy", "cx"], suffixes=("_n", "_o"))
    m["d"] = metres(m["lat_o"], m["lon_o"], m["lat_n"], m["lon_n"])
    m = m[m["d"] <= STOP_MATCH_METRES].sort_values(["d", "n", "o"], kind="stable")
    m = m.drop_duplicates(["n", "o"])
    while len(m):  # greedy, nearest pairs first; each round pairs at least the nearest one
        pick = m[~m.duplicated("o")]
        pick = pick[~pick.duplicated("n")]
        new_to_old[pick["n"].to_numpy()] = pick["o"].to_numpy()
        stage_of[pick["n"].to_numpy()] = stage
        m = m[~m["o"].isin(pick["o"]) & ~m["n"].isin(pick["n"])]


def _cell_y(lat: np.ndarray) -> np.ndarray:
    return np.floor(lat / CELL_DEGREES).astype(np.int64)


def _cell_x(lon: np.ndarray, cell_y: np.ndarray) -> np.ndarray:
    """Longitude cells as wide in metres as the latitude cells, at the latitude of ``cell_y``."""
    shrink = np.maximum(np.cos(np.radians((cell_y + 0.5) * CELL_DEGREES)), 0.01)
    return np.floor(lon * shrink / CELL_DEGREES).astype(np.int64)


def metres(lat1: object, lon1: object, lat2: object, lon2: object) -> np.ndarray:
    """Great-circle distance (haversine, mean Earth radius): ample for a 50 m matching radius."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def canonical(new_to_old: np.ndarray, n_old: int) -> np.ndarray:
    """Keys in the old version's row space: a matched new row takes its partner's row number,
    an unmatched one a fresh number past the old rows."""
    key = new_to_old.copy()
    fresh = key < 0
    key[fresh] = n_old + np.arange(int(fresh.sum()))
    return key


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads small integers over 64 bits so sums make good hashes."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) * _M1
        z = (z ^ (z >> np.uint64(30))) * _M2
        z = (z ^ (z >> np.uint64(27))) * _M3
        return z ^ (z >> np.uint64(31))


def segment_sums(hashes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Wrapping uint64 sum of ``hashes`` over each ``starts[i]:starts[i+1]`` (empty -> 0)."""
    with np.errstate(over="ignore"):
        cs = np.concatenate([np.zeros(1, np.uint64), np.cumsum(hashes, dtype=np.uint64)])
        return cs[starts[1:]] - cs[starts[:-1]]
