"""``Report``: the canonical report.json shape, a terminal summary and an HTML page (the page
itself is ``gtfs_builder.render.report_page``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from gtfs_builder import __version__
from gtfs_builder.validate.notices import Notices, Severity

FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


class Report:
    """The result of one validation run: exact counts per code and (capped) samples."""

    def __init__(
        self,
        notices: Notices,
        *,
        input: str = "",
        date: dt.date | None = None,
        country_code: str | None = None,
        files: list[str] | None = None,
        seconds: float = 0.0,
    ) -> None:
        self.notices = notices
        self.input = input
        self.date = date
        self.country_code = country_code
        self.files = files or []
        self.seconds = seconds

    # ------------------------------------------------------------------ queries
    def codes(self) -> set[str]:
        return self.notices.codes()

    def count(self, code: str) -> int:
        return self.notices.count(code)

    def severity(self, code: str) -> Severity:
        return self.notices.severity_of(code)

    def _ordered(self) -> list[str]:
        """Codes by severity (ERROR first), then code."""
        return sorted(self.codes(), key=lambda c: (-int(self.severity(c)), c))

    def counts(self) -> dict[Severity, int]:
        out = {s: 0 for s in Severity}
        for code in self.codes():
            out[self.severity(code)] += self.count(code)
        return out

    @property
    def max_severity(self) -> Severity | None:
        codes = self.codes()
        return max((self.severity(c) for c in codes), default=None)

    def exit_code(self, fail_on: str = "error") -> int:
        """0 when nothing at or above ``fail_on`` (error|warning|info|never), else 1."""
        if fail_on == "never":
            return 0
        top = self.max_severity
        return 1 if top is not None and top >= FAIL_ON[fail_on] else 0

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "summary": {
                "validatorVersion": f"gtfs-builder {__version__}",
                "gtfsInput": self.input,
                "countryCode": self.country_code or "ZZ",
                "dateForValidation": self.date.isoformat() if self.date else None,
                "files": self.files,
                "validationTimeSeconds": round(self.seconds, 3),
                "counts": {
                    s.name: counts[s] for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
                },
            },
            "notices": [
                {
                    "code": code,
                    "severity": self.severity(code).name,
                    "totalNotices": self.count(code),
                    "sampleNotices": self.notices.samples.get(code, []),
                }
                for code in self._ordered()
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    def summary_text(self, max_lines: int = 30, samples_per_code: int = 1) -> str:
        """Grouped by severity and code with counts and a sample; at most ``max_lines``."""
        counts = self.counts()
        head = (
            f"{self.input}: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings,"
            f" {counts[Severity.INFO]} infos"
            + (f" (date {self.date.isoformat()})" if self.date else "")
        )
        lines = [head]
        codes = self._ordered()
        budget = max_lines - 2
        shown = 0
        for code in codes:
            if len(lines) >= budget:
                break
            sev = self.severity(code).name
            lines.append(f"  {sev:<7} {code}: {self.count(code)}")
            shown += 1
            for sample in self.notices.head(code, samples_per_code):
                if len(lines) >= budget:
                    break
                text = ", ".join(f"{k}={v}" for k, v in sample.items() if v is not None)
                if not text:  # a notice with no fields (missing_calendar_...): nothing to show
                    continue
                lines.append("            e.g. " + (text[:100] + "…" if len(text) > 100 else text))
        if shown < len(codes):
            lines.append(f"  … and {len(codes) - shown} more codes (see the JSON report)")
        if not codes:
            lines.append("  no notices")
        return "\n".join(lines[:max_lines])

    def write_html(self, path: str | Path) -> Path:
        """Write the HTML report: ``path`` is a ``.html`` file (its data, when the samples are
        many, goes to ``<stem>-data/`` beside it) or a directory (``report.html`` in it).
        Usable with a million notices: see ``gtfs_builder.render.report_page``."""
        from gtfs_builder.render.report_page import write_report_page

        path = Path(path)
        if path.suffix.lower() in (".html", ".htm") and not path.is_dir():
            return write_report_page(self, path.parent, name=path.name)
        return write_report_page(self, path)
