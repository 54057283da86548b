"""Small hand-made GTFS timetables for the RAPTOR tests, written from CSV text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

BASE = {
    "agency.txt": """
        agency_id,agency_name,agency_url,agency_timezone
        a,Test,https://example.org,{tz}
    """,
    "routes.txt": """
        route_id,agency_id,route_short_name,route_type
        r1,a,R1,2
        r2,a,R2,2
        r3,a,R3,2
    """,
    "calendar.txt": """
        service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
        wk,1,1,1,1,1,0,0,20240101,20251231
        all,1,1,1,1,1,1,1,20240101,20251231
    """,
}

MakeFeed = Callable[..., Path]


@pytest.fixture
def make_feed(tmp_path: Path) -> MakeFeed:
    """Write a GTFS folder: BASE files plus the given ones (CSV text, dedented)."""
    counter = iter(range(1000))

    def make(tz: str = "Europe/Berlin", **files: str) -> Path:
        folder = tmp_path / f"feed{next(counter)}"
        folder.mkdir()
        merged = {**BASE, **{k.replace("_txt", ".txt"): v for k, v in files.items()}}
        for name, text in merged.items():
            body = textwrap.dedent(text).strip().replace("{tz}", tz) + "\n"
            (folder / name).write_text(body, encoding="utf-8")
        return folder

    return make
