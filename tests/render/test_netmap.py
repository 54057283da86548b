"""The network map in a real browser: projected stations, route colours, border stations,
labels that do not overlap, on the Primorye network and on Caltrain."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
CALTRAIN = SHARED / "valid_caltrain_2017_partridge.zip"

BOXES = """() => [...document.querySelectorAll('svg.netmap text.label')].map(t => {
  const b = t.getBBox(); return [t.textContent, b.x, b.y, b.x + b.width, b.y + b.height]; })"""


def _centres(page: Any) -> dict[str, tuple[float, float]]:
    """Station centres on the overview (insets repeat some stations, zoomed)."""
    marks = page.locator('svg.netmap g.station[data-view="main"]').evaluate_all(
        """gs => gs.map(g => { const c = g.querySelector('circle:last-of-type');
           return [g.dataset.stop, +c.getAttribute('cx'), +c.getAttribute('cy')]; })""")
    return {s: (x, y) for s, x, y in marks}


def _no_overlap(boxes: list[list[Any]]) -> None:
    for a, b in itertools.combinations(boxes, 2):
        overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        assert not overlap, f"labels overlap: {a[0]!r} and {b[0]!r}"


def test_primorye_map(page: Any, primorye_site: Path, screenshot: Any) -> None:
    page.goto((primorye_site / "map.html").as_uri())
    page.select_option("#lang-switch", "en")
    centres = _centres(page)
    assert set(centres) == {"RU_KHS", "KP_TMG", "RU_GRD", "CN_SFH"}
    # projected, north up: Khasan is east of Tumangang, Grodekovo north and east of Khasan
    assert centres["RU_KHS"][0] > centres["KP_TMG"][0]
    assert centres["RU_GRD"][1] < centres["RU_KHS"][1]
    assert centres["RU_GRD"][0] > centres["CN_SFH"][0]
    # every station is on a border crossing (each route joins two time zones)
    assert page.locator('svg.netmap g.station.border[data-view="main"]').count() == 4
    # the two lines are 3 and 18 km long, 220 km apart: each gets a zoomed, labelled inset
    insets = page.locator("svg.netmap g.inset")
    assert insets.count() == 2
    assert {insets.nth(i).locator("text.inset-title").text_content() for i in range(2)} == {
        "A · 401/402", "B · 645/646"}
    b = page.locator('svg.netmap g.inset[data-inset="B"]')
    assert sorted(b.locator("text.label").all_text_contents()) == ["Khasan", "Tumangang"]
    assert b.locator("path.route").count() == 1
    inset_xy = dict(b.locator("g.station").evaluate_all(
        "gs => gs.map(g => [g.dataset.stop, +g.querySelector('circle:last-of-type')"
        ".getAttribute('cx')])"))
    assert inset_xy["RU_KHS"] - inset_xy["KP_TMG"] > 150  # 3 km, now well apart
    labels = page.locator("svg.netmap text.label").all_text_contents()
    assert sorted(labels) == ["Grodekovo", "Khasan", "Suifenhe", "Tumangang"]  # each once
    _no_overlap(page.evaluate(BOXES))
    legend = page.locator("ul.legend").inner_text()
    assert "Khasan — Tumangang" in legend and "Border station" in legend
    screenshot("map-primorye-en")
    page.select_option("#lang-switch", "zh")
    assert "豆满江" in page.locator("svg.netmap").text_content()
    screenshot("map-primorye-zh")
    assert page.console_errors == [] and page.external_requests == []


def test_caltrain_map(page: Any, real_sites: dict[str, Path], screenshot: Any) -> None:
    page.goto((real_sites[CALTRAIN.stem] / "map.html").as_uri())
    with zipfile.ZipFile(CALTRAIN) as zf:
        routes = pd.read_csv(zf.open("routes.txt"), dtype=str, keep_default_na=False)
    strokes = dict(page.locator("svg.netmap path.route").evaluate_all(
        "ps => ps.map(p => [p.dataset.route, p.getAttribute('stroke')])"))
    assert strokes == {r: f"#{c.upper()}" for r, c in zip(routes["route_id"],
                                                          routes["route_color"], strict=True)}
    labels = page.locator("svg.netmap text.label").all_text_contents()
    assert len(labels) == len(set(labels)) >= 25  # NB/SB platforms: one label per station
    assert {"San Francisco Caltrain", "Gilroy Caltrain"} <= set(labels)
    _no_overlap(page.evaluate(BOXES))
    # San Francisco is north-west of Gilroy
    xy = {t: (x, y) for t, x, y, _, _ in page.evaluate(BOXES)}
    assert xy["San Francisco Caltrain"][1] < xy["Gilroy Caltrain"][1]
    assert xy["San Francisco Caltrain"][0] < xy["Gilroy Caltrain"][0]
    assert page.locator("svg.netmap g.station.border").count() == 0  # one zone
    assert page.locator("svg.netmap g.inset").count() == 0  # one connected line
    screenshot("map-caltrain")
    assert page.console_errors == [] and page.external_requests == []
