"""A synthetic grid network, large enough to show RAPTOR's speed on a real-sized feed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_grid_feed(folder: Path, size: int = 30, headway_min: int = 6) -> int:
    """size x size stops; one line per row and per column, both directions, every headway_min
    minutes from 05:00 to 24:00, 2 min between stops. Returns the number of stop_times rows."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.txt").write_text(
        "agency_id,agency_name,agency_url,agency_timezone\n"
        "g,Grid,https://example.org,Europe/Berlin\n")
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
        "end_date\nall,1,1,1,1,1,1,1,20240101,20251231\n")
    r, c = np.divmod(np.arange(size * size), size)
    pd.DataFrame({"stop_id": [f"s{i}_{j}" for i, j in zip(r, c, strict=True)],
                  "stop_name": [f"Stop {i}-{j}" for i, j in zip(r, c, strict=True)],
                  "stop_lat": 50 + r * 0.01, "stop_lon": 10 + c * 0.01}).to_csv(
        folder / "stops.txt", index=False)
    lines = [f"h{i}" for i in range(size)] + [f"v{j}" for j in range(size)]
    pd.DataFrame({"route_id": lines, "agency_id": "g", "route_short_name": lines,
                  "route_type": 3}).to_csv(folder / "routes.txt", index=False)
    starts = np.arange(5 * 3600, 24 * 3600, headway_min * 60)
    line_ix, direction, start = (a.ravel() for a in np.meshgrid(
        np.arange(2 * size), [0, 1], starts, indexing="ij"))
    trip_ids = np.array([f"{lines[li]}_{d}_{s}" for li, d, s in
                         zip(line_ix, direction, start, strict=True)])
    pd.DataFrame({"route_id": np.array(lines)[line_ix], "service_id": "all",
                  "trip_id": trip_ids, "direction_id": direction}).to_csv(
        folder / "trips.txt", index=False)
    pos = np.arange(size)
    seq = np.where(direction[:, None] == 0, pos[None, :], size - 1 - pos[None, :])
    fixed = np.where(line_ix < size, line_ix, line_ix - size)[:, None]
    row = np.where(line_ix[:, None] < size, fixed, seq)
    col = np.where(line_ix[:, None] < size, seq, fixed)
    arr = start[:, None] + pos[None, :] * 120
    dep = arr + np.where(pos[None, :] > 0, 30, 0)
    hhmmss = np.vectorize(lambda t: f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}")
    n = arr.size
    pd.DataFrame({
        "trip_id": np.repeat(trip_ids, size),
        "arrival_time": hhmmss(arr.ravel()),
        "departure_time": hhmmss(dep.ravel()),
        "stop_id": np.char.add(np.char.add(np.char.add("s", row.ravel().astype(str)), "_"),
                               col.ravel().astype(str)),
        "stop_sequence": np.tile(pos + 1, len(trip_ids)),
    }).to_csv(folder / "stop_times.txt", index=False)
    return n
