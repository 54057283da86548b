"""Notice types, the rule registry and the bounded notice collector.

A rule family is one function ``check_<family>(feed, notices)`` registered with :func:`rule`,
declaring every notice code it can emit, with its severity and a one-line doc. ``RULES.md`` is
generated from this registry (see ``gtfs_builder.validate.rules_doc``).

Rules emit notices in bulk: build a DataFrame whose rows are notices and whose columns are the
notice's fields (camelCase, as in the canonical validator's report: ``filename``,
``csvRowNumber``, ``fieldName``, ``fieldValue``, ``tripId`` ...) and call
``notices.add_frame(code, frame)``. Only ``max_samples`` rows per code are kept, so memory stays
bounded however many notices a feed produces; ``max_samples=0`` (or ``None``) keeps every notice:
the frames are then stored as they come (columnar, no per-row Python work) and turned into
records only when someone reads ``notices.samples``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
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


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame`` rows as JSON-friendly dicts (as ``_plain`` would make them), column by column."""
    cols = [column_values(frame[c]) for c in frame.columns]
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]


def column_values(series: pd.Series) -> list[Any]:
    """A column as a list of plain Python values, missing values as ``None`` (vectorised)."""
    numpy_kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if numpy_kind in ("i", "u", "b"):  # numpy ints/bools: never missing
        return series.tolist()
    if numpy_kind == "f":
        values = series.to_numpy()
        mask = values != values
        if not mask.any():
            return values.tolist()
        out = values.astype(object)
        out[mask] = None
        return out.tolist()
    obj = series.astype(object)
    missing = series.isna().to_numpy()
    if missing.any():
        obj = obj.where(~missing, None)
    out = obj.tolist()
    if out and series.dtype == object:  # numpy scalars hidden in an object column
        return [_plain(v) for v in out]
    return out


class _AllSamples(Mapping[str, list[dict[str, Any]]]):
    """Every sample of every code, stored as chunks (frames from ``add_frame``, record lists from
    ``add``) and materialised as records, once, on first read of a code."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[pd.DataFrame | list[dict[str, Any]]]] = {}
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def add_record(self, code: str, record: dict[str, Any]) -> None:
        self._cache.pop(code, None)
        parts = self.chunks.setdefault(code, [])
        if not parts or not isinstance(parts[-1], list):
            parts.append([])
        parts[-1].append(record)  # type: ignore[union-attr]

    def add_frame(self, code: str, frame: pd.DataFrame) -> None:
        self._cache.pop(code, None)
        self.chunks.setdefault(code, []).append(frame.copy(deep=True))

    def __getitem__(self, code: str) -> list[dict[str, Any]]:
        if code not in self._cache:
            parts = self.chunks[code]
            out: list[dict[str, Any]] = []
            for part in parts:
                out.extend(part if isinstance(part, list) else _records(part))
            self._cache[code] = out
        return self._cache[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.chunks)

    def __len__(self) -> int:
        return len(self.chunks)


class Notices:
    """Collects notices: exact counts per code, at most ``max_samples`` samples per code
    (every sample when ``max_samples`` is 0 or ``None``)."""

    def __init__(self, max_samples: int | None = 100, config: RuleConfig | None = None) -> None:
        self.max_samples = max_samples or 0
        self.config = config or RuleConfig()
        self.counts: dict[str, int] = {}
        self._kept: dict[str, list[dict[str, Any]]] = {}  # the capped samples
        self._all: _AllSamples | None = None if self.max_samples else _AllSamples()
        self.samples: Mapping[str, list[dict[str, Any]]] = (
            self._all if self._all is not None else self._kept
        )

    @property
    def keeps_all(self) -> bool:
        """Every notice is kept as a sample (``max_samples`` 0 / ``None``)."""
        return self._all is not None

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
        if self._all is not None:
            self._all.add_record(code, {k: _plain(v) for k, v in fields.items()})
            return
        kept = self._kept.setdefault(code, [])
        if len(kept) < self.max_samples:
            kept.append({k: _plain(v) for k, v in fields.items()})

    def add_frame(self, code: str, frame: pd.DataFrame) -> None:
        """Add one notice per row of ``frame``; its columns are the notice fields."""
        if frame.empty or not self._accept(code):
            return
        self.counts[code] = self.counts.get(code, 0) + len(frame)
        if self._all is not None:
            self._all.add_frame(code, frame)
            return
        kept = self._kept.setdefault(code, [])
        room = self.max_samples - len(kept)
        if room > 0:
            for record in frame.head(room).to_dict("records"):
                kept.append({k: _plain(v) for k, v in record.items()})

    def sample_frames(self, code: str) -> list[pd.DataFrame]:
        """The samples of ``code`` as frames, in notice order, without building one dict per
        notice (the HTML report of a million notices reads them this way)."""
        if self._all is None:
            kept = self._kept.get(code, [])
            return [pd.DataFrame.from_records(kept)] if kept else []
        return [
            pd.DataFrame.from_records(p) if isinstance(p, list) else p
            for p in self._all.chunks.get(code, [])
        ]

    def head(self, code: str, n: int) -> list[dict[str, Any]]:
        """The first ``n`` samples of ``code`` (cheap even when every notice is kept)."""
        if self._all is None or code in self._all._cache:
            return list(self.samples.get(code, [])[:n])
        out: list[dict[str, Any]] = []
        for part in self._all.chunks.get(code, []):
            if len(out) >= n:
                break
            out.extend(part[: n - len(out)] if isinstance(part, list) else _records(part.head(n)))
        return out[:n]

    def count(self, code: str) -> int:
        return self.counts.get(code, 0)

    def codes(self) -> set[str]:
        return {c for c, n in self.counts.items() if n}
