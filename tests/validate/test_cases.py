"""Runs every case in ``cases/*.yaml`` (see conftest.py for the format) and the meta-test that
every implemented notice code has at least one trigger case and one pass case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.validate.notices import NOTICE_TYPES
from tests.validate.conftest import CASES, run_overlay

# System codes: they report validator bugs or broken I/O, which no overlay can provoke reliably.
SYSTEM_CODES = {
    "runtime_exception_in_loader_error",
    "runtime_exception_in_validator_error",
    "thread_execution_error",
    "u_r_i_syntax_error",
    "i_o_error",
    "too_many_rows",
}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    yaml = YAML(typ="safe")
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        for entry in yaml.load(path.read_text(encoding="utf-8")) or []:
            out.append((path.stem, entry))
    return out


ALL = _load_cases()


def _params() -> list[Any]:
    params = []
    for family, entry in ALL:
        code = entry["code"]
        for i, case in enumerate(entry.get("trigger") or []):
            params.append(pytest.param(code, case, True, id=f"{family}:{code}:trigger{i}"))
        for i, case in enumerate(entry.get("pass") or []):
            params.append(pytest.param(code, case, False, id=f"{family}:{code}:pass{i}"))
    return params


@pytest.mark.parametrize(("code", "case", "trigger"), _params())
def test_case(code: str, case: dict[str, Any], trigger: bool, tmp_path: Path) -> None:
    notices = run_overlay(case.get("files") or {}, tmp_path)
    got = notices.count(code)
    expected = case.get("count", 1) if trigger else 0
    assert got == expected, (
        f"{code}: expected {expected}, got {got}; samples {notices.samples.get(code, [])[:3]};"
        f" all codes {sorted(notices.codes())}"
    )


def test_base_feed_is_clean(tmp_path: Path) -> None:
    notices = run_overlay({}, tmp_path)
    assert notices.codes() == set(), {c: notices.samples[c][:2] for c in notices.codes()}


def test_every_implemented_code_has_trigger_and_pass() -> None:
    triggers = {e["code"] for _, e in ALL if e.get("trigger")}
    passes = {e["code"] for _, e in ALL if e.get("pass")}
    implemented = set(NOTICE_TYPES) - SYSTEM_CODES
    missing = sorted(c for c in implemented if c not in triggers or c not in passes)
    assert not missing, f"codes without a trigger and a pass case: {missing}"
