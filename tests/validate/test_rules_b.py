"""Rule families B (calendar, frequencies, transfers, feed_info, translations, pathways, levels,
fares v1/v2, attributions, booking) against the oracle gtfs-guru.

- On every real feed in ../shared/feeds/, at two dates, our codes and counts for these families
  equal gtfs-guru's.
- On every case of their ``cases/<family>.yaml``, gtfs-guru reports the count the case expects
  (which ``test_cases.py`` asserts for us), except the known differences listed below.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.notices import RULES, Notices
from tests.validate.conftest import CASES, SHARED, build_case

gtfs_guru = pytest.importorskip("gtfs_guru")

FAMILIES = (
    "calendar",
    "frequencies",
    "transfers",
    "feed_info",
    "translations",
    "pathways",
    "levels",
    "fares",
    "attributions",
    "fares_v2",
    "booking",
)
OUR_RULES = [r for r in RULES if r.name.split(".")[0] in FAMILIES]
OUR_CODES = {nt.code for r in OUR_RULES for nt in r.notices}
DATES = ("2025-06-01", "2024-12-16")
FEEDS = sorted((SHARED / "feeds").glob("*.zip"))

# (family, code, kind, index) -> why gtfs-guru 1.0.0 disagrees with the canonical validator there.
# In each case gtfs-validator (PyPI, the jar-measured Python port) agrees with us.
KNOWN_GURU_DIFFERENCES = {
    ("levels", "missing_level_id", "trigger", 0): "gtfs-guru 1.0.0 never emits missing_level_id",
    ("levels", "missing_level_id", "trigger", 1): "gtfs-guru 1.0.0 never emits missing_level_id",
    ("fares_v2", "fare_product_with_multiple_default_rider_categories", "trigger", 0): (
        "gtfs-guru 1.0.0 does not emit it for two default categories of one product"
    ),
    ("fares_v2", "fare_transfer_rule_duration_limit_type_without_duration_limit", "trigger", 0): (
        "gtfs-guru 1.0.0 does not emit it for a duration_limit_type without duration_limit"
    ),
}


def _guru_counts(path: Path, date: str) -> dict[str, int]:
    report = json.loads(gtfs_guru.validate(str(path), date=date).to_json())
    return {n["code"]: n["totalNotices"] for n in report["notices"]}


@pytest.mark.parametrize("path", FEEDS, ids=[p.name for p in FEEDS])
def test_real_feed_matches_gtfs_guru(path: Path) -> None:
    notices = Notices()
    feed = Feed.open(path, notices)
    for date in DATES:
        feed.date = dt.date.fromisoformat(date)  # expansions are date-independent, reuse them
        ours = Notices()
        for r in OUR_RULES:
            r.func(feed, ours)
        guru = _guru_counts(path, date)
        got = {c: ours.count(c) for c in OUR_CODES if ours.count(c)}
        want = {c: n for c, n in guru.items() if c in OUR_CODES}
        assert got == want, f"{path.name} at {date}"


def _cases() -> list[Any]:
    params = []
    for family in FAMILIES:
        path = CASES / f"{family}.yaml"
        if not path.exists():
            continue
        for entry in YAML(typ="safe").load(path.read_text(encoding="utf-8")) or []:
            for kind in ("trigger", "pass"):
                for i, case in enumerate(entry.get(kind) or []):
                    key = (family, entry["code"], kind, i)
                    marks = []
                    if key in KNOWN_GURU_DIFFERENCES:
                        marks = [pytest.mark.xfail(reason=KNOWN_GURU_DIFFERENCES[key], strict=True)]
                    expected = case.get("count", 1) if kind == "trigger" else 0
                    params.append(
                        pytest.param(
                            entry["code"],
                            case.get("files") or {},
                            expected,
                            id=f"{family}:{entry['code']}:{kind}{i}",
                            marks=marks,
                        )
                    )
    return params


@pytest.mark.parametrize(("code", "files", "expected"), _cases())
def test_case_agrees_with_gtfs_guru(
    code: str, files: dict[str, Any], expected: int, tmp_path: Path
) -> None:
    path = build_case(files, tmp_path)
    assert _guru_counts(path, "2025-06-01").get(code, 0) == expected
