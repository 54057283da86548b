"""Differential test: our verdict vs two oracles of the canonical rule set, per real feed.

The oracles are gtfs-guru (PyPI) and gtfs-validator (PyPI, a port measured against the canonical
jar v8). For every feed in ../shared/feeds/ and a few fixtures built here, each runs at the same
date as ours; the ERROR and WARNING codes must be the same sets and the counts equal on at least
90% of the inputs. Codes that nobody here implements yet are left out of the comparison and
listed in the assertion message; KNOWN lists each remaining difference with its justification.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import NOTICE_TYPES
from tests.validate.conftest import CASE_DATE, SHARED, build_case

gtfs_guru = pytest.importorskip("gtfs_guru")

FEEDS = sorted((SHARED / "feeds").glob("*.zip"))
COMPARED = ("ERROR", "WARNING")

# (oracle, feed or fixture name, code) -> why the counts or presence legitimately differ.
# Each gtfs-guru difference is one where gtfs-validator (the jar-measured port) agrees with us.
KNOWN: dict[tuple[str, str, str], str] = {
    ("gtfs-guru", "valid_trimet_vermont_partridge.zip", "invalid_url"): (
        "route_url http://trimet.org//schedules/r001.htm: the canonical validator (Apache"
        " UrlValidator without ALLOW_2_SLASHES) refuses '//' in a URL path; gtfs-guru accepts it"
    ),
    ("gtfs-guru", "fixture_language", "invalid_language_code"): (
        "gtfs-guru does not check language codes; the canonical validator does"
    ),
    ("gtfs-guru", "fixture_language", "feed_info_lang_and_agency_lang_mismatch"): (
        "follows from the previous one: the canonical validator drops the row with the"
        " invalid language before comparing languages"
    ),
    ("gtfs-guru", "fixture_empty_row", "empty_row"): (
        "canonical (univocity) reports a last row of spaces without a newline; gtfs-guru skips it"
    ),
}

# Small fixtures: overlays on the base feed exercising the CSV and field layers.
FIXTURES: dict[str, dict[str, Any]] = {
    "fixture_crlf_bom_quotes": {
        "stops.txt": {
            "raw": "\\xef\\xbb\\xbfstop_id,stop_code,stop_name,stop_lat,stop_lon,location_type,"
            "parent_station,platform_code,wheelchair_boarding\r\n"
            'A,101,"Alder Street",48.8500,2.3400,0,,,1\r\n'
            'S1,,"Central Station",48.8551,2.3502,1,,,1\r\n'
            'P1,102," Central Station Bus Bay",48.8550,2.3500,0,S1,1,1\r\n'
            "P2,103,Central Station Rail Platform ,48.8552,2.3504,0,S1,2,1\r\n"
            "B,104,Birch Avenue,48.8600,2.3600,0,,,1\r\n"
            "C,105,Cedar Park,48.8700,2.3800,0,,,1\r\n"
        },
    },
    "fixture_ragged_and_bad_values": {
        "calendar_dates.txt": {"append": "WK,20251226\nWE,2025-12-27,1\nWE,20251228,7\n"},
        "routes.txt": {"append": "R3,AG,3,Third Line,3,12345G,FFFFFF\n"},
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone,agency_lang,agency_phone\n"
        "AG,Riverside Transit,transit.example.com,Europe/Pariss,en,+33 1 23 45 67 89\n",
    },
    "fixture_keys": {
        "trips.txt": {"append": "R9,WK,T5,Cedar Park,0,SH3\nR1,WK,T1,Birch Avenue,0,SH1\n"},
        "frequencies.txt": {"append": "T9,10:00:00,11:00:00,600,0\n"},
    },
    "fixture_language": {
        "feed_info.txt": "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,"
        "feed_end_date,feed_version,feed_contact_email\nRiverside Transit,"
        "https://transit.example.com,e1,20240101,20270531,2025.1,data@transit.example.com\n",
    },
    "fixture_empty_row": {
        "calendar_dates.txt": {"raw": "service_id,date,exception_type\nWK,20251225,2\n   "},
    },
}


def _guru(path: Path) -> dict[str, tuple[str, int]]:
    result = json.loads(gtfs_guru.validate(str(path), date=CASE_DATE.isoformat()).to_json())
    return {n["code"]: (n["severity"], n["totalNotices"]) for n in result["notices"]}


def _gtfs_validator(path: Path) -> dict[str, tuple[str, int]]:
    exe = Path(sys.executable).with_name("gtfs-validator")
    if not exe.exists() and shutil.which("gtfs-validator") is None:
        pytest.skip("gtfs-validator (PyPI) is not installed")
    cmd = [str(exe if exe.exists() else "gtfs-validator"), "-i", str(path)]
    out = subprocess.run(
        [*cmd, "-d", CASE_DATE.isoformat(), "--stdout"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(out.stdout)
    return {n["code"]: (n["severity"], n["totalNotices"]) for n in result["notices"]}


ORACLES: dict[str, Callable[[Path], dict[str, tuple[str, int]]]] = {
    "gtfs-guru": _guru,
    "gtfs-validator": _gtfs_validator,
}


def _ours(path: Path) -> dict[str, tuple[str, int]]:
    report = validate(path, date=CASE_DATE)
    return {c: (report.severity(c).name, report.count(c)) for c in report.codes()}


def _compare(
    oracle: str, name: str, path: Path, ours: dict[str, tuple[str, int]]
) -> tuple[list[str], list[str], set[str]]:
    """(code-set differences, count differences, codes skipped as not implemented)."""
    theirs = ORACLES[oracle](path)
    skipped = {c for c, (sev, _) in theirs.items() if sev in COMPARED and c not in NOTICE_TYPES}
    codes = {c for c, (sev, _) in {**theirs, **ours}.items() if sev in COMPARED} - skipped
    presence, counts = [], []
    for code in sorted(codes):
        if (oracle, name, code) in KNOWN:
            continue
        mine, other = ours.get(code), theirs.get(code)
        if (mine is None) != (other is None):
            presence.append(f"{name}: {code} ours={mine} {oracle}={other}")
        elif mine != other:
            counts.append(f"{name}: {code} ours={mine} {oracle}={other}")
    return presence, counts, skipped


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Every input with our own verdict, computed once for both oracles."""
    if not FEEDS:
        pytest.skip(f"no feeds in {SHARED / 'feeds'}")
    paths = {path.name: path for path in FEEDS}
    for name, overlay in FIXTURES.items():
        paths[name] = build_case(overlay, tmp_path_factory.mktemp(name))
    return {name: (path, _ours(path)) for name, path in paths.items()}


@pytest.fixture(scope="module", params=sorted(ORACLES))
def results(
    request: pytest.FixtureRequest, inputs: dict[str, tuple[Path, dict]]
) -> dict[str, tuple[list, list, set]]:
    oracle = request.param
    return {name: _compare(oracle, name, path, ours) for name, (path, ours) in inputs.items()}


def test_same_error_and_warning_codes(results: dict[str, tuple[list, list, set]]) -> None:
    presence = [d for p, _, _ in results.values() for d in p]
    skipped = sorted({c for _, _, s in results.values() for c in s})
    assert not presence, f"code sets differ: {presence}; not implemented (skipped): {skipped}"


def test_same_counts_on_at_least_90_percent(results: dict[str, tuple[list, list, set]]) -> None:
    agree = [name for name, (p, c, _) in results.items() if not p and not c]
    diffs = [d for _, c, _ in results.values() for d in c]
    assert len(agree) >= 0.9 * len(results), f"counts differ: {diffs}"
