"""gtfs-via-postgres loads the feed into a real PostgreSQL (no leniency flags) and answers SQL."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from consumer_support import FIXTURE, FeedUnderTest, Postgres, run_checked

pytestmark = pytest.mark.consumers

# The departures from Khasan on Monday 2024-12-16, each in the stop's own zone, with where they go.
DEPARTURES_SQL = """
SELECT t.trip_short_name,
       to_char(ad.t_departure AT TIME ZONE coalesce(s.stop_timezone, ad.tz), 'YYYY-MM-DD HH24:MI'),
       coalesce(s.stop_timezone, ad.tz)
FROM arrivals_departures ad
JOIN trips t ON t.trip_id = ad.trip_id
JOIN stops s ON s.stop_id = ad.stop_id
WHERE ad.stop_id = ANY(string_to_array(:'stops', ','))
  AND ad."date" = '2024-12-16'
  AND EXISTS (SELECT 1 FROM stop_times st  -- a departure has somewhere to go
              WHERE st.trip_id = ad.trip_id AND st.stop_sequence > ad.stop_sequence)
ORDER BY ad.t_departure;
"""

ARRIVAL_SQL = """
SELECT to_char(ad.t_arrival AT TIME ZONE coalesce(s.stop_timezone, ad.tz), 'YYYY-MM-DD HH24:MI'),
       coalesce(s.stop_timezone, ad.tz)
FROM arrivals_departures ad
JOIN trips t ON t.trip_id = ad.trip_id
JOIN stops s ON s.stop_id = ad.stop_id
WHERE t.trip_short_name = :'train' AND ad.stop_id = ANY(string_to_array(:'stops', ','))
  AND ad."date" = '2024-12-16';
"""


def _load(feed: FeedUnderTest, postgres: Postgres, node_bin: Path, tmp_path: Path) -> str:
    db = "gtfs_" + re.sub(r"\W", "_", feed.key)
    postgres.psql("-c", f"DROP DATABASE IF EXISTS {db}")
    postgres.psql("-c", f"CREATE DATABASE {db}")
    postgres.psql("-c", "CREATE EXTENSION IF NOT EXISTS postgis", db=db)
    sql = tmp_path / "import.sql"
    with sql.open("w") as out:
        # -d: every file's dependencies must be present too; no leniency flag is passed.
        proc = subprocess.run([str(node_bin / "gtfs-to-sql"), "-d", "--", *feed.txt_files],
                              stdout=out, stderr=subprocess.PIPE, text=True, timeout=300)
    if proc.returncode:
        pytest.fail(f"gtfs-to-sql rejected {feed.label} (exit {proc.returncode}):\n"
                    f"{proc.stderr[-3000:]}", pytrace=False)
    try:
        postgres.psql(input_file=sql, db=db)
    except AssertionError as exc:
        pytest.fail(f"PostgreSQL rejected the SQL gtfs-to-sql made of {feed.label}: {exc}",
                    pytrace=False)
    return db


def _rows(out: str) -> list[list[str]]:
    return [line.split("|") for line in out.strip().splitlines() if line]


def test_departures_from_khasan_in_local_time(feed: FeedUnderTest, postgres: Postgres,
                                              node_bin: Path, tmp_path: Path) -> None:
    db = _load(feed, postgres, node_bin, tmp_path)
    q = tmp_path / "q.sql"
    q.write_text(DEPARTURES_SQL)
    khasan = ",".join(feed.stop_ids("Khasan"))
    rows = _rows(postgres.psql("-A", "-t", "-v", f"stops={khasan}", input_file=q, db=db))
    assert rows == [["646", "2024-12-16 15:30", "Asia/Vladivostok"]], rows

    q.write_text(ARRIVAL_SQL)
    tumangang = ",".join(feed.stop_ids("Tumangang"))
    rows = _rows(postgres.psql("-A", "-t", "-v", f"stops={tumangang}", "-v", "train=646",
                               input_file=q, db=db))
    assert rows == [["2024-12-16 14:47", "Asia/Pyongyang"]], rows
    suifenhe = ",".join(feed.stop_ids("Suifenhe"))
    rows = _rows(postgres.psql("-A", "-t", "-v", f"stops={suifenhe}", "-v", "train=401",
                               input_file=q, db=db))
    assert rows == [["2024-12-16 17:14", "Asia/Shanghai"]], rows


def test_server_is_ours(postgres: Postgres) -> None:
    """The throw-away cluster listens on loopback only, not the machine's default cluster."""
    out = postgres.psql("-A", "-t", "-c", "SHOW listen_addresses")
    assert out.strip() == "127.0.0.1"
    run_checked(["psql", "--version"])


@pytest.mark.parametrize("file, old, new, why", [
    ("trips.txt", ",kt-0\n", ",\n", "a trip without shape_id while shapes.txt exists"),
    ("agency.txt", "\nrzd,", "\n,", "an empty agency_id"),
    ("stop_times.txt", "646,15:30:00,15:30:00,khasan", "646,15:30:00,15:30:00,nowhere",
     "a stop_id that is not in stops.txt"),
    # A consumer quirk, not a feed error: GTFS recommends feed_lang=mul for multilingual feeds,
    # but gtfs-via-postgres accepts only language tags that name a PostgreSQL (ICU) collation.
    ("feed_info.txt", "https://example.org,en,", "https://example.org,mul,",
     "feed_lang=mul (allowed by GTFS; see docs/consumers.md)"),
])
def test_a_feed_it_rejects_fails_the_suite(postgres: Postgres, node_bin: Path, tmp_path: Path,
                                           file: str, old: str, new: str, why: str) -> None:
    """Without leniency flags the loader is strict: a rejected feed must fail, not pass quietly."""
    folder = tmp_path / "mutated"
    shutil.copytree(FIXTURE, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    bad = FeedUnderTest(f"mutated fixture ({why})", folder / "unused.zip", folder)
    with pytest.raises(pytest.fail.Exception, match="rejected"):
        _load(bad, postgres, node_bin, tmp_path)


def test_unmutated_fixture_loads(postgres: Postgres, node_bin: Path, tmp_path: Path) -> None:
    """The baseline of the rejection cases: without the mutation the same feed loads."""
    _load(FeedUnderTest("fixture", FIXTURE / "unused.zip", FIXTURE), postgres, node_bin, tmp_path)
