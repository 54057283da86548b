"""Notice types, the rule registry and the bounded notice collector.

A rule family is one function ``check_<family>(feed, notices)`` registered with :func:`rule`,
declaring every notice code it can emit, with its severity and a one-line doc. ``RULES.md`` is
generated from this registry (see ``gtfs_builder.validate.rules_doc``).

Rules emit notices in bulk: build a DataFrame whose rows are notices and whose columns are the
notice's fields (camelCase, as in the canonical validator's report: ``filename``,
``csvRowNumber``, ``fieldName``, ``fieldValue``, ``tripId`` ...) and call
``notices.add_frame(code, frame)``. Only ``max_samples`` rows per code are kept, so memory stays
bounded however many notices a feed produces.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed


class Severity(enum.IntEnum):
    """Canonical severities: ERROR = the reference says *must*, WARNING = *should*."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            expected = "expected ERROR, WARNING or INFO"
            raise ValueError(f"unknown severity {text!r}: {expected}") from None


@dataclass(frozen=True)
class NoticeType:
    """One notice code: stable across releases, the canonical code where one exists."""

    code: str
    severity: Severity
    doc: str
    rule: str  # qualified name of the first rule family that declares it (others may emit it too)


RuleFunc = Callable[["Feed", "Notices"], None]


@dataclass(frozen=True)
class Rule:
    """A registered rule family: one function checking one concern."""

    name: str
    func: RuleFunc
    notices: tuple[NoticeType, ...]
    files: tuple[str, ...]
    doc: str


NOTICE_TYPES: dict[str, NoticeType] = {}
RULES: list[Rule] = []


def rule(
    *, files: Iterable[str], notices: Mapping[str, tuple[Severity, str]]
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule family; ``notices`` maps each code to ``(severity, one-line doc)``."""

    def register(func: RuleFunc) -> RuleFunc:
        name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
        types = []
        for code, (severity, doc) in notices.items():
            known = NOTICE_TYPES.get(code)
            if known is not None and known.severity != severity:
                raise RuntimeError(
                    f"notice {code} declared as {known.severity.name} by {known.rule}"
                    f" and as {severity.name} by {name}"
                )
            nt = known or NoticeType(code, severity, doc, name)
            NOTICE_TYPES[code] = nt
            types.append(nt)
        summary = (func.__doc__ or "").strip().split("\n")[0]
        RULES.append(Rule(name, func, tuple(types), tuple(files), summary))
        return func

    return register


def declare(code: str, severity: Severity, doc: str, owner: str) -> NoticeType:
    """Declare a notice emitted outside any rule family (the CSV/file loader, system errors)."""
    nt = NoticeType(code, severity, doc, owner)
    NOTICE_TYPES.setdefault(code, nt)
    return NOTICE_TYPES[code]


@dataclass
class RuleConfig:
    """User overrides from ``--rules CONFIG``: codes turned off and severities changed."""

    disabled: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """Make a pandas/numpy scalar JSON-friendly."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


class Notices:
    """Collects notices: exact counts per code, at most ``max_samples`` samples per code."""

    def __init__(self, max_samples: int = 100, config: RuleConfig | None = None) -> None:
        self.max_samples = max_samples
        self.config = config or RuleConfig()
        self.counts: dict[str, int] = {}
        self.samples: dict[str, list[dict[str, Any]]] = {}

    def severity_of(self, code: str) -> Severity:
        if code in self.config.severity:
            return self.config.severity[code]
        return NOTICE_TYPES[code].severity

    def _accept(self, code: str) -> bool:
        if code not in NOTICE_TYPES:
            raise KeyError(f"notice code {code!r} is not declared by any rule")
        return code not in self.config.disabled

    def add(self, code: str, **fields: Any) -> None:
        """Add one notice."""
        if not self._accept(code):
            return
        self.counts[code] = self.counts.get(code, 0) + 1
        kept = self.samples.setdefault(code, [])
        if len(kept) < self.max_samples:
            kept.append({k: _plain(v) for k, v in fields.items()})

    def add_frame(self, code: str, frame: pd.DataFrame) -> None:
        """Add one notice per row of ``frame``; its columns are the notice fields."""
        if frame.empty or not self._accept(code):
            return
        self.counts[code] = self.counts.get(code, 0) + len(frame)
        kept = self.samples.setdefault(code, [])
        room = self.max_samples - len(kept)
        if room > 0:
            for record in frame.head(room).to_dict("records"):
                kept.append({k: _plain(v) for k, v in record.items()})

    def count(self, code: str) -> int:
        return self.counts.get(code, 0)

    def codes(self) -> set[str]:
        return {c for c, n in self.counts.items() if n}
