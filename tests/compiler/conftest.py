"""Fixtures for the compiler suite: the Primorye feed built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gtfs_builder.publish import build_feed

from .helpers import PRIMORYE


def pytest_addoption(parser: pytest.Parser) -> None:
    # Only seen when pytest starts in tests/compiler; UPDATE_GOLDEN=1 works from anywhere.
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/compiler/golden/ from the current build",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    try:
        flag = bool(request.config.getoption("--update-golden"))
    except ValueError:
        flag = False
    return flag or os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session")
def primorye_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_feed(PRIMORYE, tmp_path_factory.mktemp("primorye") / "primorye.zip")
