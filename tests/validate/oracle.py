"""Agreement of rule families with the oracle gtfs-guru, shared by the per-family test modules.

Two checks per family set: on every real feed in ../shared/feeds/, at two dates, our codes and
counts equal gtfs-guru's; and on every case of ``cases/<family>.yaml`` gtfs-guru reports the count
the case expects (which ``test_cases.py`` asserts for us), except the listed known differences.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.notices import RULES, Notices
from tests.validate.conftest import CASES, SHARED

DATES = ("2025-06-01", "2024-12-16")
FEEDS = sorted((SHARED / "feeds").glob("*.zip"))
CaseKey = tuple[str, str, str, int]  # (family, code, "trigger" | "pass", index)


def guru_counts(path: Path, date: str) -> dict[str, int]:
    """Notice counts per code from gtfs-guru."""
    gtfs_guru = pytest.importorskip("gtfs_guru")
    report = json.loads(gtfs_guru.validate(str(path), date=date).to_json())
    return {n["code"]: n["totalNotices"] for n in report["notices"]}


def assert_real_feed_matches(path: Path, families: Iterable[str]) -> None:
    """Run only the given families on ``path`` and compare their codes and counts with gtfs-guru."""
    wanted = set(families)
    rules = [r for r in RULES if r.name.split(".")[0] in wanted]
    codes = {nt.code for r in rules for nt in r.notices}
    feed = Feed.open(path, Notices())
    for date in DATES:
        feed.date = dt.date.fromisoformat(date)  # loading is date-independent: reuse it
        ours = Notices()
        for r in rules:
            r.func(feed, ours)
        got = {c: ours.count(c) for c in codes if ours.count(c)}
        want = {c: n for c, n in guru_counts(path, date).items() if c in codes}
        assert got == want, f"{path.name} at {date}"


def case_params(families: Iterable[str], known: Mapping[CaseKey, str]) -> list[Any]:
    """One pytest param (code, files, expected count) per case; known differences xfail."""
    params = []
    for family in families:
        path = CASES / f"{family}.yaml"
        if not path.exists():
            continue
        for entry in YAML(typ="safe").load(path.read_text(encoding="utf-8")) or []:
            for kind in ("trigger", "pass"):
                for i, case in enumerate(entry.get(kind) or []):
                    key = (family, entry["code"], kind, i)
                    marks = []
                    if key in known:
                        marks = [pytest.mark.xfail(reason=known[key], strict=True)]
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
