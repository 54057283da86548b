"""Fast checks of the benchmark harness; the benchmark itself is `make bench`, not `make test`."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from bench.build_network import NetworkSpec, count_stop_times, write_network
from bench.run import check_targets, format_validation_table
from bench.scale import (
    copies_for,
    count_rows,
    format_size,
    parse_size,
    scale_feed,
    scaled_feed,
)
from tests.bench.helpers import FEEDS, measurement

BASE = FEEDS / "valid_trimet_vermont_partridge.zip"
REPO = Path(__file__).resolve().parents[2]


def _table(zip_path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(zip_path) as z:
        return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "x2.zip"
    scale_feed(BASE, 2, out)
    return out


def test_scaled_feed_has_n_times_the_rows(scaled: Path) -> None:
    base_rows = count_rows(BASE)
    assert base_rows > 1000
    assert count_rows(scaled) == 2 * base_rows
    assert len(_table(scaled, "feed_info.txt")) == 1  # singleton: written once


def test_scaled_ids_are_prefixed_unique_and_resolve(scaled: Path) -> None:
    trips = _table(scaled, "trips.txt")
    trip_ids = [t["trip_id"] for t in trips]
    assert len(set(trip_ids)) == len(trip_ids)
    assert {t[:3] for t in trip_ids} == {"c0_", "c1_"}
    stops = {s["stop_id"] for s in _table(scaled, "stops.txt")}
    assert all(s.startswith(("c0_", "c1_")) for s in stops)
    st = _table(scaled, "stop_times.txt")
    assert {r["trip_id"] for r in st} <= set(trip_ids)
    assert {r["stop_id"] for r in st} <= stops
    assert {t["direction_id"] for t in trips} <= {"0", "1", ""}  # enums untouched


def test_scaled_feed_adds_no_canonical_error(scaled: Path) -> None:
    gtfs_guru = pytest.importorskip("gtfs_guru")

    def errors(p: Path) -> set[str]:
        return {n.code for n in gtfs_guru.validate(str(p)).errors()}

    assert errors(scaled) <= errors(BASE)


def test_scaled_feed_is_cached(tmp_path: Path) -> None:
    first = scaled_feed(BASE, 2 * count_rows(BASE), tmp_path, log=False)
    mtime = first.path.stat().st_mtime_ns
    again = scaled_feed(BASE, 2 * count_rows(BASE), tmp_path, log=False)
    assert again.path == first.path and again.copies == 2
    assert again.path.stat().st_mtime_ns == mtime
    assert again.stop_times_rows == 2 * count_rows(BASE)


def test_sizes() -> None:
    assert parse_size("0.5M") == 500_000
    assert parse_size("20k") == 20_000
    assert parse_size("1234") == 1234
    with pytest.raises(ValueError):
        parse_size("lots")
    assert format_size(514_845) == "515k"
    assert format_size(20_021_750) == "20M"
    assert copies_for(2_000_000, 57_205) == 35


def test_results_table_has_ratios_and_reasons() -> None:
    results = [
        measurement("gtfs-builder", 2_000_000, 4.0, 2048 * 1024),
        measurement("gtfs-guru", 2_000_000, 8.0, 1024 * 1024),
        measurement(
            "gtfs-validator", 30_000_000, None, None, skipped="not run above 2,500,000 rows"
        ),
        measurement("partridge", 2_000_000, None, None, error="exit 1: boom"),
    ]
    table = format_validation_table(results)
    lines = table.strip().splitlines()
    assert len(lines) == 2 + 4
    guru = next(line for line in lines if "gtfs-guru" in line)
    assert "| 0.50 | 2.00 |" in guru  # ours 4 s vs 8 s, 2 GiB vs 1 GiB
    assert "500,000" in next(line for line in lines if "gtfs-builder" in line)  # rows/s
    assert "not run above" in table and "boom" in table
    targets = "\n".join(check_targets(results, None))
    assert "ours:gtfs-guru time = 0.50" in targets and "**PASS**" in targets
    assert "**n/a**" in targets


def test_generated_network_matches_the_source_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    spec = NetworkSpec(routes=3, stops_per_pattern=4)
    src = write_network(tmp_path / "net", spec)
    doc: dict = {}
    for f in sorted(src.glob("*.yaml")):
        doc.update(YAML(typ="safe").load(f.read_text()))
    schema = json.loads((REPO / "gtfs_builder" / "source" / "schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert len(doc["routes"]) == 3
    assert spec.expected_rows() == 3 * 2 * 4 * spec.trips_per_pattern()
    assert NetworkSpec().expected_rows() == pytest.approx(5_000_000, rel=0.05)


def test_count_stop_times(tmp_path: Path) -> None:
    z = tmp_path / "f.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("stop_times.txt", "trip_id,stop_id\nt,a\nt,b")
    assert count_stop_times(z) == 2


def test_agreement_lists_only_differing_codes() -> None:
    from bench.agree import Agreement, format_agreement

    ag = Agreement(
        rows=10,
        date="2026-01-01",
        ours={"a": ("ERROR", 2), "b": ("WARNING", 1)},
        guru={"a": ("ERROR", 2), "b": ("WARNING", 3), "c": ("INFO", 1)},
    )
    assert ag.differences() == [("b", "WARNING", 1, 3), ("c", "INFO", None, 1)]
    text = format_agreement(ag)
    assert "1 of 3 codes agree" in text and "| `c` | INFO | – | 1 |" in text


def test_results_json_round_trips(tmp_path: Path) -> None:
    import argparse

    from bench.run import _write, load_results, machine_info

    args = argparse.Namespace(out=tmp_path / "results.md", base=Path("base.zip"))
    results = [
        measurement("gtfs-builder", 10, 1.0, 100),
        measurement("gtfs-guru", 10, None, None, error="x"),
    ]
    _write(args, machine_info(), "--quick", results, None, None)
    assert "| 10 | gtfs-builder |" in args.out.read_text()
    info, again, build = load_results(args.out.with_suffix(".json"))
    assert again == results and build is None and info["cores"]
