"""A small valid source (two files) that tests mutate one problem at a time."""

from __future__ import annotations

from pathlib import Path

from gtfs_builder.publish import build_feed

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"
PRIMORYE = REPO / "source" / "primorye"

FEED_YAML = """\
feed:
  publisher_name: Test publisher
  publisher_url: https://example.org
  contact_email: feed@example.org
  lang: en
agencies:
  - id: A
    name: Agency
    url: https://example.org
    timezone: Asia/Vladivostok
services:
  - id: WK
    days: [mon, tue, wed, thu, fri]
    start_date: 2024-12-16
    end_date: 2024-12-31
"""

NETWORK_YAML = """\
stations:
  - id: S1
    name: One
    lat: 42.0
    lon: 130.0
  - id: S2
    name: Two
    lat: 42.1
    lon: 130.1
    timezone: Asia/Pyongyang
routes:
  - id: R1
    agency: A
    short_name: "1"
    type: rail
    patterns:
      - id: P1
        stops:
          - stop: S1
          - stop: S2
            run: 20
        trips:
          - service: WK
            trip_short_name: "100"
            departure: "08:00"
"""


def write_source(
    folder: Path, feed: str = FEED_YAML, network: str = NETWORK_YAML, **extra: str
) -> Path:
    """Write the base source (optionally mutated) into ``folder``; extra files by name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "feed.yaml").write_text(feed, encoding="utf-8")
    (folder / "network.yaml").write_text(network, encoding="utf-8")
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build_tables(source: Path, tmp: Path) -> dict[str, list[dict[str, str]]]:
    """Build a source and read every table back as rows of strings."""
    import csv
    import io
    import zipfile

    out = build_feed(source, tmp / "feed.zip")
    tables = {}
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            tables[name.removesuffix(".txt")] = list(csv.DictReader(io.StringIO(text)))
    return tables
