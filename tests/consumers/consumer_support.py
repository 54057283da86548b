"""Helpers shared by the consumer tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NODE_DIR = REPO / ".consumers" / "node"
NODE_BIN = NODE_DIR / "node_modules" / ".bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SOURCE = REPO / "source" / "primorye"
PUBLISHED = REPO / "feeds" / "primorye.zip"
FIXTURE = HERE / "fixture_feed"
INSTALL_HINT = "install the consumers with `bash tests/consumers/install.sh` (or `make consumers`)"


def skipping_allowed() -> bool:
    """Only a local run may skip the external consumers, and only when asked to."""
    return os.environ.get("GTFS_BUILDER_SKIP_CONSUMERS") == "1" and not os.environ.get("CI")


def require(path: Path, what: str) -> Path:
    """The consumer's executable, or a clear failure: a feed no consumer saw is not proven."""
    if not path.exists():
        pytest.fail(f"{what} is not installed ({path} missing): {INSTALL_HINT}", pytrace=False)
    return path


@dataclass(frozen=True)
class FeedUnderTest:
    """A feed as zip and as an extracted folder (gtfs-to-sql wants the .txt files)."""

    label: str
    zip: Path
    folder: Path

    @property
    def key(self) -> str:
        return self.label.split()[0]

    @property
    def txt_files(self) -> list[str]:
        return sorted(str(p) for p in self.folder.glob("*.txt"))

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.folder / name, dtype=str, keep_default_na=False)

    def stop_ids(self, name: str) -> list[str]:
        """Ids of the stop(s) named ``name`` in any language, and their platforms."""
        stops = self.table("stops.txt")
        ids = set(stops.loc[stops["stop_name"] == name, "stop_id"])
        if (self.folder / "translations.txt").exists():
            tr = self.table("translations.txt")
            tr = tr[(tr["table_name"] == "stops") & (tr["field_name"] == "stop_name")
                    & (tr["translation"] == name)]
            if "record_id" in tr.columns:
                ids |= set(tr["record_id"]) & set(stops["stop_id"])
            if "field_value" in tr.columns:
                ids |= set(stops.loc[stops["stop_name"].isin(tr["field_value"]), "stop_id"])
        if "parent_station" in stops.columns:
            ids |= set(stops.loc[stops["parent_station"].isin(ids), "stop_id"])
        assert ids, f"{self.label}: no stop named {name!r} in stops.txt"
        return sorted(ids)

    def trip_numbers(self) -> dict[str, str]:
        """trip_id -> train number (trip_short_name)."""
        trips = self.table("trips.txt")
        assert "trip_short_name" in trips.columns, f"{self.label}: trips.txt lacks trip_short_name"
        return dict(zip(trips["trip_id"], trips["trip_short_name"], strict=True))


def extract(zip_path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        for member in zf.namelist():
            if not member.endswith("/"):
                (folder / Path(member).name).write_bytes(zf.read(member))


def build_primorye(root: Path) -> FeedUnderTest:
    """Build source/primorye with the compiler; the hand-made fixture stands in until it exists."""
    out = root / "built" / "primorye.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    if SOURCE.is_dir():
        from gtfs_builder.publish import build_feed

        build_feed(SOURCE, out)
        label = "built source/primorye"
    else:  # pragma: no cover - only until the Primorye source lands
        with zipfile.ZipFile(out, "w") as zf:
            for f in sorted(FIXTURE.glob("*.txt")):
                zf.write(f, f.name)
        label = "built fixture_feed (source/primorye not present)"
    extract(out, root / "built" / "txt")
    return FeedUnderTest(label, out, root / "built" / "txt")


@dataclass(frozen=True)
class Postgres:
    """Connection settings of the throw-away cluster."""

    env: dict[str, str]

    def psql(self, *args: str, input_file: Path | None = None, db: str = "postgres") -> str:
        cmd = ["psql", "-X", "-q", "-b", "-v", "ON_ERROR_STOP=1", "-d", db, *args]
        if input_file is not None:
            cmd += ["-f", str(input_file)]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=300)
        if proc.returncode:
            raise AssertionError(f"psql failed ({proc.returncode}): {proc.stderr[-3000:]}")
        return proc.stdout


def as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def run_checked(cmd: list[str], *, cwd: Path | None = None, timeout: int = 300,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a consumer; a non-zero exit fails the test with the consumer's own words."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    if proc.returncode:
        pytest.fail(f"{Path(cmd[0]).name} rejected the feed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}", pytrace=False)
    return proc
