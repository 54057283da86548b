"""Case harness for rule tests: overlays on the small valid base feed.

``run_case(overlay)`` copies ``base_feed/`` to a temporary folder, applies ``overlay`` and
validates it at date 2025-06-01 (country code from the overlay key ``__country__`` if given), then
returns the run's ``Notices`` (``.count(code)``, ``.codes()``, ``.samples[code]``).

Overlay values, per file name:

- a string: the file's new CSV text (written as UTF-8, exactly as given);
- ``None``: delete the file;
- ``{"base64": "..."}`` or ``{"bytes_hex": "..."}``: raw bytes (BOM, UTF-16, NUL, bad UTF-8);
- ``{"raw": "..."}``: a string with Python escapes (``\\r\\n``, ``\\x00``, ``\\xff`` = byte
  0xFF), encoded as latin-1 after unescaping, so every byte is reachable;
- ``{"append": "..."}``: text appended to the base file (rows to add);
- a name with a ``/`` (``sub/agency.txt``) writes into a subfolder;
- the special name ``__zip__``: ``true`` to validate a zip of the folder instead.

Case files ``cases/<family>.yaml`` are lists of::

    - code: some_code
      trigger:                # each expects exactly `count` notices of `code`
        - files: {stops.txt: "stop_id,...\n..."}
          count: 1
      pass:                   # each expects zero notices of `code`
        - files: {...}

``test_cases.py`` runs them all; a meta-test fails when an implemented code lacks either kind.
For speed the harness turns on ``feed.LOAD_MEMO`` (tables memoised by file bytes, notices
replayed), so unchanged base files are parsed once per test process.
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gtfs_builder.validate import feed as feed_module
from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import Notices

HERE = Path(__file__).resolve().parent
BASE_FEED = HERE / "base_feed"
CASES = HERE / "cases"
SHARED = HERE.parents[1] / ".." / "shared"
CASE_DATE = dt.date(2025, 6, 1)

Overlay = dict[str, Any]

# Hundreds of cases re-read the same small base files: memoise each loaded table by its bytes
# (its notices are replayed, so every case still sees exactly what a fresh run reports).
if feed_module.LOAD_MEMO is None:
    feed_module.LOAD_MEMO = {}


def file_bytes(value: Any, base: Path | None = None) -> bytes:
    """The bytes an overlay value stands for (see the module docstring)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict):
        if "base64" in value:
            return base64.b64decode(value["base64"])
        if "bytes_hex" in value:
            return bytes.fromhex(value["bytes_hex"])
        if "raw" in value:
            return codecs.decode(value["raw"], "unicode_escape").encode("latin-1")
        if "append" in value:
            old = base.read_bytes() if base is not None and base.exists() else b""
            return old + str(value["append"]).encode("utf-8")
    raise ValueError(f"bad overlay value: {value!r}")


def build_case(overlay: Overlay, folder: Path) -> Path:
    """Write the base feed plus ``overlay`` into ``folder``; return the path to validate."""
    feed = folder / "feed"
    shutil.copytree(BASE_FEED, feed)
    as_zip = False
    for name, value in overlay.items():
        if name == "__zip__":
            as_zip = bool(value)
            continue
        if name == "__country__":
            continue
        target = feed / name
        if value is None:
            if target.exists():
                target.unlink()
            continue
        data = file_bytes(value, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not as_zip:
        return feed
    archive = folder / "feed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(feed.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(feed).as_posix())
    return archive


def run_overlay(overlay: Overlay, folder: Path) -> Notices:
    path = build_case(overlay, folder)
    report = validate(path, date=CASE_DATE, country_code=overlay.get("__country__"))
    return report.notices


@pytest.fixture
def run_case(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Overlay], Notices]:
    """``run_case(overlay) -> Notices`` on the base feed (validated at 2025-06-01)."""

    def run(overlay: Overlay) -> Notices:
        return run_overlay(overlay, tmp_path_factory.mktemp("case"))

    return run
