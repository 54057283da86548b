"""node-gtfs imports the feed into SQLite; its query API returns the stop times of train 646."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from consumer_support import HERE, NODE_DIR, FeedUnderTest, run_checked

pytestmark = pytest.mark.consumers


def test_stop_times_of_train_646(feed: FeedUnderTest, node_bin: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    db = tmp_path / "gtfs.sqlite"
    config.write_text(json.dumps({
        "sqlitePath": str(db),
        "agencies": [{"path": str(feed.zip)}],
        "verbose": False,
    }))
    run_checked([str(node_bin / "gtfs-import"), "--configPath", str(config)], cwd=tmp_path)
    assert db.stat().st_size > 0

    # ES modules resolve packages next to the script: run it from the install folder.
    script = NODE_DIR / "query_stoptimes.mjs"
    shutil.copyfile(HERE / "node" / "query_stoptimes.mjs", script)
    out = run_checked(["node", str(script), str(config), "646"], cwd=NODE_DIR).stdout
    result = json.loads(out.strip().splitlines()[-1])

    assert [t["trip_short_name"] for t in result["trips"]] == ["646"], result["trips"]
    names = {s["stop_id"]: s for s in result["stops"]}
    rows = [(st["stop_id"], st["arrival_time"], st["departure_time"])
            for st in result["stoptimes"]]
    khasan, tumangang = feed.stop_ids("Khasan"), feed.stop_ids("Tumangang")
    assert len(rows) == 2, rows
    assert rows[0][0] in khasan and rows[0][2] == "15:30:00", rows
    # Agency time (Asia/Vladivostok) in stop_times; 14:47 in Pyongyang, the stop's own zone.
    assert rows[1][0] in tumangang and rows[1][1] == "15:47:00", rows
    assert names[rows[1][0]]["stop_timezone"] == "Asia/Pyongyang"
