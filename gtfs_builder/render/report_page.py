"""The validation report as a static page that stays usable with a million notices.

The canonical validator's HTML report writes one table row per notice and crashes browsers on big
feeds. This page never holds one DOM node per notice: ``report.html`` lists severities and codes
with their counts (a few hundred nodes at most, written as plain HTML so they show without
JavaScript) and, for the code the reader opens, a table of one page (100 rows) of its samples,
built by a small script from columnar data.

The samples are cut into chunks of ``CHUNK_ROWS`` rows, one ``report-data/c<code>-<chunk>.js``
file each, loaded on demand with a ``<script>`` tag: ``fetch()`` of local files is blocked under
``file://``, a script tag is not, so the site works offline straight from disk, and the first paint
parses nothing but the summary. A report small enough (``INLINE_ROWS`` samples in all) is written
as one self-contained HTML file instead. Within a chunk each column is a plain array, or a
dictionary + index array when it repeats (file and field names do), which keeps a million-notice
report around 20 MB on disk.

Every value from the feed reaches the DOM through ``textContent`` (never ``innerHTML``) or through
``html.escape`` here, so a feed value like ``<script>`` is shown, not run.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gtfs_builder import __version__
from gtfs_builder.validate.notices import NOTICE_TYPES, Severity, column_values

if TYPE_CHECKING:
    from gtfs_builder.validate.report import Report

CHUNK_ROWS = 10_000
PAGE_ROWS = 100
INLINE_ROWS = 20_000
CANONICAL_DOC = "https://gtfs-validator.mobilitydata.org/rules.html#{code}-rule"
# Columns shown first: where the problem is (file, row, field), then what was found; a foreign
# key notice names its file and field ``child*``.
FIRST_COLUMNS = (
    "filename", "childFilename", "csvRowNumber", "fieldName", "childFieldName", "fieldValue"
)
SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Infos"}


def _canonical() -> dict[str, str]:
    """Canonical code → description (the MobilityData list shipped with the package)."""
    from gtfs_builder.validate.rules_doc import canonical_codes

    return {row["code"]: row["description"] for row in canonical_codes()}


def _default_rules_href(out_dir: Path) -> str | None:
    """Relative link to the checkout's RULES.md when there is one (an installed package has
    none: the page then links to the canonical documentation only)."""
    rules = Path(__file__).resolve().parents[2] / "RULES.md"
    if not rules.is_file():
        return None
    return Path(os.path.relpath(rules, out_dir.resolve())).as_posix()


def _columns(frames: list[pd.DataFrame]) -> list[str]:
    seen = list(dict.fromkeys(str(c) for f in frames for c in f.columns))
    return [c for c in FIRST_COLUMNS if c in seen] + [c for c in seen if c not in FIRST_COLUMNS]


def _encode_column(values: list[Any]) -> Any:
    """A plain array, or ``{"d": dictionary, "i": indexes}`` when values repeat a lot."""
    if len(values) < 8:
        return values
    try:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    except TypeError:  # unhashable values (lists): leave them as they are
        return values
    if len(uniques) * 4 > len(values):
        return values
    return {"d": column_values(pd.Series(uniques, dtype=object)), "i": codes.tolist()}


def _dumps(value: Any) -> str:
    """Compact JSON that is also safe inside an inline ``<script>`` (no ``</script>``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chunks(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        cols = [
            _encode_column(column_values(part[c])) if c in part.columns else [None] * len(part)
            for c in columns
        ]
        out.append({"n": len(part), "c": cols})
    return out


def _file_counts(frame: pd.DataFrame) -> list[list[Any]]:
    if "filename" not in frame.columns:
        return []
    counts = frame["filename"].astype(object).where(frame["filename"].notna(), "").value_counts()
    return [[str(k), int(v)] for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _asset(name: str) -> str:
    return (Path(__file__).parent / "assets" / name).read_text("utf-8")


def write_report_page(
    report: Report,
    out_dir: str | Path,
    *,
    name: str = "report.html",
    rules_href: str | None = "",
    back_href: str | None = None,
) -> Path:
    """Write ``out_dir/<name>`` (and ``<stem>-data/`` when the samples are many); return its path.

    ``rules_href``: link to RULES.md for the per-code anchors; ``""`` = the checkout's RULES.md
    relative to ``out_dir`` when it exists, ``None`` = no local link. ``back_href``: a link back
    to the site's index (the rendered site passes ``"index.html"``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / name
    data_name = f"{Path(name).stem}-data"
    data_dir = out_dir / data_name
    if rules_href == "":
        rules_href = _default_rules_href(out_dir)
    canonical = _canonical()
    notices = report.notices

    codes = sorted(report.codes(), key=lambda c: (-int(report.severity(c)), c))
    frames: dict[str, pd.DataFrame] = {}
    for code in codes:
        parts = [f for f in notices.sample_frames(code) if len(f)]
        columns = _columns(parts)
        frame = (
            pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1
            else parts[0].reset_index(drop=True) if parts else pd.DataFrame()
        )
        frames[code] = frame.reindex(columns=columns) if len(frame) else frame
    total_rows = sum(len(f) for f in frames.values())
    inline = total_rows <= INLINE_ROWS

    meta_codes: list[dict[str, Any]] = []
    chunk_scripts: list[str] = []
    if data_dir.exists():
        shutil.rmtree(data_dir)  # stale chunks of an earlier, bigger report
    if not inline:
        data_dir.mkdir()
    for index, code in enumerate(codes):
        frame = frames[code]
        columns = [str(c) for c in frame.columns]
        nt = NOTICE_TYPES.get(code)
        chunks = _chunks(frame, columns)
        for k, chunk in enumerate(chunks):
            call = f"GTFSReport.register({index},{k},{_dumps(chunk)});"
            if inline:
                chunk_scripts.append(call)
            else:
                (data_dir / f"c{index}-{k}.js").write_text(call + "\n", encoding="utf-8")
        meta_codes.append(
            {
                "code": code,
                "severity": report.severity(code).name,
                "total": report.count(code),
                "samples": len(frame),
                "columns": columns,
                "chunks": len(chunks),
                "files": _file_counts(frame),
                "doc": canonical.get(code) or (nt.doc if nt else ""),
                "canonical": code in canonical,
            }
        )

    counts = report.counts()
    meta = {
        "input": report.input,
        "date": report.date.isoformat() if report.date else None,
        "version": f"gtfs-builder {__version__}",
        "countryCode": report.country_code or "ZZ",
        "counts": {s.name: counts[s] for s in SEVERITY_TITLES},
        "chunkRows": CHUNK_ROWS,
        "pageRows": PAGE_ROWS,
        "dataDir": None if inline else data_name,
        "canonicalDoc": CANONICAL_DOC,
        "rulesHref": rules_href,
        "backHref": back_href,
        "maxSamples": notices.max_samples,
        "codes": meta_codes,
    }
    page.write_text(_page_html(meta, chunk_scripts), encoding="utf-8")
    return page


def _plural(n: int, word: str) -> str:
    """``word`` (a lowercase plural) for ``n`` things: 1 error, 2 errors."""
    return word.lower()[:-1] if n == 1 else word.lower()


def _page_html(meta: dict[str, Any], chunk_scripts: list[str]) -> str:
    """The page: header and code list as static HTML, the sample viewer filled in by the script."""
    esc = html.escape
    counts = meta["counts"]
    base = Path(meta["input"]).name or meta["input"]
    chips = "".join(
        f'<span class="chip {sev.name}"><b>{counts[sev.name]:,}</b> {_plural(counts[sev.name], t)}'
        "</span>"
        for sev, t in SEVERITY_TITLES.items()
    )
    facts = [
        ("Feed", f'<span title="{esc(meta["input"])}">{esc(base)}</span>'),
        ("Validation date", esc(meta["date"] or "today")),
        ("Country code", esc(meta["countryCode"])),
        ("Validator", esc(meta["version"])),
    ]
    groups = []
    for sev, title in SEVERITY_TITLES.items():
        mine = [(i, c) for i, c in enumerate(meta["codes"]) if c["severity"] == sev.name]
        if not mine:
            continue
        items = "".join(
            f'<li><a class="code-link" href="#code={esc(c["code"])}" data-index="{i}"'
            f' title="{esc(c["doc"].replace("`", ""))}">'
            f'<span class="code">{esc(c["code"]).replace("_", "_<wbr>")}</span>'
            f'<span class="n">{c["total"]:,}</span></a></li>'
            for i, c in mine
        )
        total = sum(c["total"] for _, c in mine)
        groups.append(
            f'<section class="group {sev.name}"><h2>{title} <span class="count">{total:,}'
            f" {_plural(total, 'notices')} · {len(mine)} {_plural(len(mine), 'codes')}"
            f"</span></h2><ul>{items}</ul></section>"
        )
    if not groups:
        groups.append('<p class="empty">No notices: the feed passed every rule.</p>')
    facts_html = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Validation report — {esc(base)}</title>"
        f"<style>{_asset('report.css')}</style></head>\n<body>\n"
        "<header>"
        + (f"<a class='back' href='{esc(meta['backHref'])}'>← Feed overview</a>"
           if meta["backHref"] else "")
        + "<h1>GTFS validation report</h1>"
        f"<dl class='facts'>{facts_html}</dl><div class='chips'>{chips}</div></header>\n"
        "<main><nav id='codes' aria-label='Notice codes'>"
        + "".join(groups)
        + "</nav>\n<section id='detail' aria-live='polite'><p class='hint'>"
        + ("Choose a notice code to see its samples." if meta["codes"] else "Nothing to show.")
        + "</p></section></main>\n"
        "<noscript><p class='hint'>The sample tables need JavaScript; the counts above do"
        " not.</p></noscript>\n"
        f"<script id='report-meta' type='application/json'>{_dumps(meta)}</script>\n"
        f"<script>{_asset('report.js')}</script>\n"
        + "".join(f"<script>{s}</script>\n" for s in chunk_scripts)
        + "<script>GTFSReport.start();</script>\n</body></html>\n"
    )
