"""Fixtures that hand real GTFS consumers our feeds: the freshly built Primorye feed, and the
published ``feeds/primorye.zip`` when there is one.

External consumers (npm packages, PostgreSQL) come from ``tests/consumers/install.sh``. When one is
missing the test fails with the command that installs it; only a local run with
``GTFS_BUILDER_SKIP_CONSUMERS=1`` (and ``CI`` unset) skips them instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from consumer_support import (
    NODE_BIN,
    PG_BIN,
    PUBLISHED,
    REPO,
    FeedUnderTest,
    Postgres,
    as_postgres,
    build_primorye,
    extract,
    require,
    skipping_allowed,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if skipping_allowed():
        skip = pytest.mark.skip(reason="GTFS_BUILDER_SKIP_CONSUMERS=1")
        for item in items:
            if "consumers" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def feeds_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("consumer-feeds")


@pytest.fixture(scope="session")
def built_feed(feeds_root: Path) -> FeedUnderTest:
    return build_primorye(feeds_root)


@pytest.fixture(scope="session", params=["built", "published"])
def feed(request: pytest.FixtureRequest, built_feed: FeedUnderTest,
         feeds_root: Path) -> FeedUnderTest:
    """Each consumer test runs on the built feed, and on the published one when it exists."""
    if request.param == "built":
        return built_feed
    if not PUBLISHED.is_file():
        pytest.skip(f"{PUBLISHED.relative_to(REPO)} not published yet (run `make build`)")
    folder = feeds_root / "published" / "txt"
    if not folder.exists():
        extract(PUBLISHED, folder)
    return FeedUnderTest("published feeds/primorye.zip", PUBLISHED, folder)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL 15 cluster in a temp folder on a loopback port, stopped afterwards."""
    require(PG_BIN / "initdb", "PostgreSQL 15 (Debian package postgresql-15)")
    base = Path(tempfile.mkdtemp(prefix="gtfs-builder-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, log = base / "data", base / "pg.log"
    port = _free_port()

    def run(cmd: list[str]) -> None:
        proc = subprocess.run(as_postgres(cmd), capture_output=True, text=True, timeout=120)
        if proc.returncode:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}\n{tail}", pytrace=False)

    started = False
    try:
        run([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-locale"])
        started = True
        run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres"}
        yield Postgres(env)
    finally:
        if started:
            with contextlib.suppress(Exception):
                subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                                            "fast", "-w", "stop"]),
                               capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def node_bin() -> Path:
    for tool in ("gtfs-to-sql", "gtfs-import", "gtfs-to-html"):
        require(NODE_BIN / tool, f"npm consumer {tool} (.consumers/node)")
    return NODE_BIN
