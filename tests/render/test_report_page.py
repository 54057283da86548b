"""The validation report page in headless Chromium: real reports of real feeds, a synthetic
million-notice report that must be interactive in under 5 s, escaping and the rule links."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import gtfs_builder.validate.rules  # noqa: F401  (registers every notice code)
from gtfs_builder.cli import main
from gtfs_builder.render import report_page
from gtfs_builder.render.report_page import CANONICAL_DOC, write_report_page
from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import Notices, Severity
from gtfs_builder.validate.report import Report

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
MARTA = FEEDS / "flex_marta_bus856_otp.zip"
KCM = FEEDS / "valid_kcm_otp.zip"
EVIL = "<script>alert(1)</script></script><b>bold</b>&amp;"


@pytest.fixture(scope="module")
def marta_report() -> Report:
    """Every notice kept: 43,152 unexpected_enum_value samples, so chunked data files."""
    return validate(MARTA, date="2020-01-01", max_samples=0)


def open_code(page: Any, code: str) -> str:
    """Click ``code`` in the list, wait for its first page of samples; return its index."""
    link = f"a.code-link[href='#code={code}']"
    page.click(link)
    index = page.get_attribute(link, "data-index")
    page.wait_for_selector(f"#detail[data-ready='{index}:0']")
    return index


def table(page: Any) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the samples table (row index column included)."""
    return page.evaluate(
        """() => {
        const t = document.querySelector('#samples');
        return [[...t.tHead.rows[0].cells].map(c => c.textContent),
                [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent))];
    }"""
    )


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expect_rows(page: Any, samples: list[dict[str, Any]], first: int) -> None:
    """The table shows ``samples`` as rows ``first``, ``first + 1``... (1-based)."""
    head, rows = table(page)
    assert len(rows) == len(samples)
    for k, (row, sample) in enumerate(zip(rows, samples, strict=True)):
        assert row[0] == f"{first + k:,}"
        got = dict(zip(head[1:], row[1:], strict=True))
        assert got == {h: shown(sample.get(h)) for h in head[1:]}


def test_real_feed_report_codes_counts_samples_and_paging(
    page: Any, screenshot: Any, marta_report: Report, tmp_path: Path
) -> None:
    out = write_report_page(marta_report, tmp_path / "site")
    assert out == tmp_path / "site" / "report.html"
    assert (tmp_path / "site" / "report-data").is_dir()  # 44k samples: chunk files, not inline
    page.goto(out.as_uri())

    # Header: the input file, the validation date, the counts per severity.
    header = page.inner_text("header")
    assert "flex_marta_bus856_otp.zip" in header and "2020-01-01" in header
    counts = marta_report.counts()
    for severity, word in ((Severity.ERROR, "errors"), (Severity.WARNING, "warnings")):
        assert f"{counts[severity]:,} {word}" in header
    # Every code with its exact count, grouped by severity, nothing else.
    listed = page.evaluate(
        """() => [...document.querySelectorAll('.group')].flatMap(g => [...g.querySelectorAll(
        '.code-link')].map(a => [g.classList[1], a.querySelector('.code').textContent,
        a.querySelector('.n').textContent]))"""
    )
    assert {c: (s, n) for s, c, n in listed} == {
        c: (marta_report.severity(c).name, f"{marta_report.count(c):,}")
        for c in marta_report.codes()
    }
    assert len(listed) == len(marta_report.codes())

    # The biggest code: file, row and field first; page 1 is the first 100 notices.
    code = "unexpected_enum_value"
    samples = marta_report.notices.samples[code]
    total = marta_report.count(code)
    assert total == len(samples) > 40_000
    index = open_code(page, code)
    head, _ = table(page)
    assert head[:5] == ["#", "filename", "csvRowNumber", "fieldName", "fieldValue"]
    expect_rows(page, samples[:100], 1)
    assert f"of {total:,}" in page.inner_text("#status")
    screenshot("report-marta-first-page", full_page=False)

    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"#detail[data-ready='{index}:1']")
    expect_rows(page, samples[100:200], 101)
    page.click("#next")
    page.wait_for_selector(f"#detail[data-ready='{index}:2']")
    page.click("#prev")
    page.wait_for_selector(f"#detail[data-ready='{index}:1']")
    page.fill("#page-input", "300")  # jump into the third data chunk
    page.dispatch_event("#page-input", "change")
    page.wait_for_selector(f"#detail[data-ready='{index}:299']")
    expect_rows(page, samples[29_900:30_000], 29_901)
    assert page.evaluate("location.hash") == f"#code={code}&page=300"
    last = (total - 1) // 100
    page.click("#last")
    page.wait_for_selector(f"#detail[data-ready='{index}:{last}']")
    expect_rows(page, samples[last * 100 :], last * 100 + 1)
    assert page.is_disabled("#next") and not page.is_disabled("#prev")

    # Text filter over every chunk of the code.
    page.fill("#text-filter", "DROP_OFF")
    page.wait_for_function("document.querySelector('#status').textContent.includes('matching')")
    want = [i for i, s in enumerate(samples) if "drop_off" in " ".join(map(shown, s.values()))]
    assert 0 < len(want) < total
    assert f"of {len(want):,} matching" in page.inner_text("#status")
    _, rows = table(page)
    assert [r[0] for r in rows] == [f"{i + 1:,}" for i in want[:100]]

    # File filter on a code whose samples come from several files.
    code = "unknown_column"
    samples = marta_report.notices.samples[code]
    open_code(page, code)
    options = page.eval_on_selector_all("#file-filter option", "os => os.map(o => o.value)")
    files = sorted({s["filename"] for s in samples})
    assert sorted(options[1:]) == files
    page.select_option("#file-filter", files[0])
    page.wait_for_function("document.querySelector('#status').textContent.includes('matching')")
    _, rows = table(page)
    assert {r[1] for r in rows} == {files[0]}
    assert len(rows) == sum(s["filename"] == files[0] for s in samples)

    # Reloading the page at its URL reopens the code and page.
    page.goto(out.as_uri() + "#code=unexpected_enum_value&page=2")
    page.wait_for_selector(f"#detail[data-ready='{index}:1']")
    assert page.console_errors == [] and page.external_requests == []


def test_capped_report_is_one_file_and_says_samples_are_capped(
    page: Any, screenshot: Any, tmp_path: Path
) -> None:
    report = validate(KCM, date="2016-06-01")  # default: at most 100 samples per code
    out = report.write_html(tmp_path / "kcm.html")
    assert out == tmp_path / "kcm.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kcm.html"]  # self-contained
    page.goto(out.as_uri())
    open_code(page, "foreign_key_violation")
    assert report.count("foreign_key_violation") == 940
    note = page.inner_text("#detail .note")
    assert "940 notices" in note and "first 100" in note and "--max-samples 0" in note
    expect_rows(page, report.notices.samples["foreign_key_violation"], 1)
    assert page.is_disabled("#next")
    open_code(page, "foreign_key_violation")
    head, _ = table(page)
    assert head[1:5] == ["childFilename", "csvRowNumber", "childFieldName", "fieldValue"]
    open_code(page, "mixed_case_recommended_field")
    head, rows = table(page)
    assert head[1:4] == ["filename", "csvRowNumber", "fieldName"] and rows[0][1] == "trips.txt"
    screenshot("report-kcm", full_page=False)
    assert page.console_errors == [] and page.external_requests == []


def million_report() -> Report:
    """1,000,000 notices over four codes, every one kept as a sample (``max_samples=0``)."""
    notices = Notices(max_samples=0)
    rows = np.arange(2, 700_002)
    fields = np.array(["continuous_pickup", "continuous_drop_off", "pickup_type", "drop_off_type"])
    notices.add_frame(
        "unexpected_enum_value",
        pd.DataFrame(
            {
                "filename": "stop_times.txt",
                "csvRowNumber": rows,
                "fieldName": fields[rows % 4],
                "fieldValue": (rows % 997 - 999).astype(str),
            }
        ),
    )
    n = 200_000
    notices.add_frame(
        "mixed_case_recommended_field",
        pd.DataFrame(
            {
                "filename": np.where(np.arange(n) % 3, "stops.txt", "trips.txt"),
                "csvRowNumber": np.arange(2, n + 2),
                "fieldName": "stop_name",
                "fieldValue": pd.Series(np.arange(n)).map("MAIN ST & {} AVE".format),
            }
        ),
    )
    notices.add_frame(
        "foreign_key_violation",
        pd.DataFrame(
            {
                "childFilename": "stop_times.txt",
                "childFieldName": "stop_id",
                "parentFilename": "stops.txt",
                "parentFieldName": "stop_id",
                "fieldValue": np.arange(99_990).astype(str),
                "csvRowNumber": np.arange(2, 99_992),
            }
        ),
    )
    for i in range(10):
        notices.add("unknown_column", filename="extra.txt", fieldName=f"{EVIL}{i}", index=i)
    return Report(notices, input="million.zip")


def test_million_notices_interactive_under_5_seconds(
    page: Any, screenshot: Any, tmp_path: Path
) -> None:
    report = million_report()
    assert sum(report.counts().values()) == 1_000_000
    started = time.perf_counter()
    out = write_report_page(report, tmp_path)
    written = time.perf_counter() - started
    assert written < 15, f"writing the page took {written:.1f} s"
    size = sum(p.stat().st_size for p in (tmp_path / "report-data").iterdir())
    assert out.stat().st_size < 100_000 and size < 40_000_000

    started = time.perf_counter()
    page.goto(out.as_uri())
    page.wait_for_selector("a.code-link[href='#code=unexpected_enum_value']")
    index = open_code(page, "unexpected_enum_value")
    page.click("#last")
    page.wait_for_selector(f"#detail[data-ready='{index}:6999']")
    elapsed = time.perf_counter() - started
    print(f"\nmillion-notice report: written in {written:.2f} s, interactive in {elapsed:.2f} s")
    assert elapsed < 5, f"the million-notice report took {elapsed:.1f} s to become usable"

    _, rows = table(page)
    fields = ["continuous_pickup", "continuous_drop_off", "pickup_type", "drop_off_type"]
    last = ["700,000", "stop_times.txt", "700001", fields[700_001 % 4], str(700_001 % 997 - 999)]
    assert rows[-1] == last
    assert "Rows 699,901–700,000 of 700,000" in page.inner_text("#status")
    # One page of rows in the DOM, never one node per notice.
    assert page.evaluate("document.getElementsByTagName('*').length") < 2_500
    screenshot("report-million-last-page", full_page=False)
    assert page.console_errors == [] and page.external_requests == []


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "data-files"])
def test_feed_values_are_shown_as_text(
    page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    if not inline:
        monkeypatch.setattr(report_page, "INLINE_ROWS", 0)
    notices = Notices()
    notices.add("unknown_column", filename=EVIL, fieldName=EVIL, index=1)
    notices.add("mixed_case_recommended_field", filename="stops.txt", csvRowNumber=2,
                fieldName="stop_name", fieldValue=EVIL)
    name = "<img src=x onerror=alert(2)>&amp;.zip"  # a file name cannot hold '/'
    report = Report(notices, input=f"/tmp/{name}")
    out = write_report_page(report, tmp_path)
    assert (tmp_path / "report-data").is_dir() != inline
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(out.as_uri())
    assert name in page.inner_text("header")
    assert page.get_attribute("header dd span", "title") == f"/tmp/{name}"
    open_code(page, "mixed_case_recommended_field")
    _, rows = table(page)
    assert rows == [["1", "stops.txt", "2", "stop_name", EVIL]]
    open_code(page, "unknown_column")
    _, rows = table(page)
    assert rows == [["1", EVIL, EVIL, "1"]]
    assert page.evaluate("[...document.querySelectorAll('b')].every(b => b.textContent != 'bold')")
    assert dialogs == [] and page.console_errors == []


def test_report_without_notices(page: Any, tmp_path: Path) -> None:
    out = write_report_page(Report(Notices(), input="clean.zip"), tmp_path, back_href="index.html")
    page.goto(out.as_uri())
    assert "No notices" in page.inner_text("#codes")
    assert page.get_attribute("header a.back", "href") == "index.html"
    assert page.console_errors == []


def test_each_code_links_its_rule_documentation(
    page: Any, marta_report: Report, tmp_path: Path
) -> None:
    out = write_report_page(marta_report, tmp_path)
    page.goto(out.as_uri())
    rules_md = Path(__file__).resolve().parents[2] / "RULES.md"
    for code in sorted(marta_report.codes()):
        open_code(page, code)
        canonical = page.get_attribute("#detail a.canonical-doc", "href")
        assert canonical == CANONICAL_DOC.format(code=code)
        assert canonical == f"https://gtfs-validator.mobilitydata.org/rules.html#{code}-rule"
        local = page.get_attribute("#detail a.rules-doc", "href")
        target, anchor = local.split("#")
        assert (tmp_path / target).resolve() == rules_md.resolve() and anchor == code
        assert f"`{code}`" in rules_md.read_text(encoding="utf-8")
    assert page.external_requests == []  # links, never loads


def test_cli_validate_html_keeps_every_notice(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = CliRunner().invoke(
        main,
        ["validate", str(MARTA), "--date", "2020-01-01", "--max-samples", "0",
         "--html", str(site), "-o", str(tmp_path / "report.json")],
    )
    assert result.exit_code == 0, result.output
    assert (site / "report.html").is_file() and (site / "report-data").is_dir()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert all(len(n["sampleNotices"]) == n["totalNotices"] for n in report["notices"])
    assert sum(n["totalNotices"] for n in report["notices"]) > 40_000
    meta = (site / "report.html").read_text(encoding="utf-8")
    assert '"code":"unexpected_enum_value"' in meta and '"samples":43152' in meta


def test_keep_every_sample_matches_a_huge_cap() -> None:
    """``max_samples=0`` keeps the same samples, in the same order and shape, as a cap that is
    never reached; the default cap still keeps 100."""
    every = validate(MARTA, date="2020-01-01", max_samples=0).to_dict()
    huge = validate(MARTA, date="2020-01-01", max_samples=10**9).to_dict()
    for d in (every, huge):
        d["summary"].pop("validationTimeSeconds")
    assert json.dumps(every, default=str) == json.dumps(huge, default=str)
    capped = validate(MARTA, date="2020-01-01")
    assert len(capped.notices.samples["unexpected_enum_value"]) == 100
    assert capped.notices.head("unexpected_enum_value", 3) == (
        every["notices"][[n["code"] for n in every["notices"]].index("unexpected_enum_value")][
            "sampleNotices"][:3]
    )
