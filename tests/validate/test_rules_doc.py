"""RULES.md is generated from the rule registry; this fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from gtfs_builder.validate.rules_doc import canonical_codes, render

ROOT = Path(__file__).resolve().parents[2]


def test_rules_md_is_fresh() -> None:
    assert (ROOT / "RULES.md").read_text(encoding="utf-8") == render(), (
        "RULES.md is stale: run `make rules` (python -m gtfs_builder.validate.rules_doc > RULES.md)"
    )


def test_every_canonical_code_is_listed() -> None:
    text = render()
    codes = [row["code"] for row in canonical_codes()]
    assert len(codes) == 181
    # each code is listed once, with an anchor the report page links to (RULES.md#<code>)
    assert all(text.count(f'| <a id="{code}"></a>`{code}` |') == 1 for code in codes)


def test_shipped_notice_list_matches_shared_reference() -> None:
    shared = ROOT / ".." / "shared" / "reference" / "mobilitydata_notices.tsv"
    shipped = ROOT / "gtfs_builder" / "validate" / "canonical_notices.tsv"
    if shared.exists():
        assert shipped.read_bytes() == shared.read_bytes()
