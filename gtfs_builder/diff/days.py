"""Human descriptions of sets of service days, and of times and time shifts.

Days are integers (days since 1970-01-01). A set of days is described the way a timetable poster
would: "Mondays 2025-01-06..2025-03-31", "Mon–Fri 2025-01-06..2025-03-28 except 2025-01-20",
and only when there is no weekly pattern, as runs of consecutive dates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gtfs_builder.diff.load import EPOCH_WEEKDAY, day_iso

DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_PLURAL = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
MINUS = "\u2212"
SHOWN_EXCEPTIONS = 4
SHOWN_RUNS = 4


def weekday(day: int) -> int:
    return (int(day) + EPOCH_WEEKDAY) % 7


def weekdays_label(days: Sequence[int]) -> str:
    """{0, 1, 2, 3, 4} -> 'Mon–Fri'; {0} -> 'Mondays'; all 7 -> 'daily'; else 'Mon, Wed, Fri'."""
    ds = sorted(set(days))
    if len(ds) == 7:
        return "daily"
    if len(ds) == 1:
        return DAY_PLURAL[ds[0]]
    if len(ds) >= 3 and ds == list(range(ds[0], ds[-1] + 1)):
        return f"{DAY_ABBR[ds[0]]}\u2013{DAY_ABBR[ds[-1]]}"
    return ", ".join(DAY_ABBR[d] for d in ds)


def mask_label(mask: str) -> str:
    """calendar.txt weekday flags ('1111100') -> 'Mon–Fri' ('no weekday' when all zero)."""
    days = [i for i, c in enumerate(mask) if c == "1"]
    return weekdays_label(days) if days else "no weekday"


def describe_days(days: Sequence[int] | np.ndarray) -> str:
    """A short description of a set of days, with the count when more than one."""
    ds = np.unique(np.asarray(days, dtype=np.int64))
    if len(ds) == 0:
        return "no day"
    if len(ds) == 1:
        return f"{DAY_ABBR[weekday(ds[0])]} {day_iso(ds[0])}"
    count = f" ({len(ds)} days)"
    wd = (ds + EPOCH_WEEKDAY) % 7
    span = np.arange(int(ds[0]), int(ds[-1]) + 1)
    span_wd = (span + EPOCH_WEEKDAY) % 7
    # the weekly pattern: weekdays served at least every other week over the span
    pattern = [w for w in range(7) if (wd == w).sum() * 2 >= (span_wd == w).sum()]
    core = ds[np.isin(wd, pattern)]
    if len(core) >= 2:
        extras = ds[~np.isin(wd, pattern)]
        inner = span[(span >= core[0]) & (span <= core[-1])]
        expected = inner[np.isin((inner + EPOCH_WEEKDAY) % 7, pattern)]
        missing = np.setdiff1d(expected, core)
        if len(missing) + len(extras) <= max(1, len(ds) // 4):
            text = f"{weekdays_label(pattern)} {day_iso(core[0])}..{day_iso(core[-1])}"
            text += _listed(" except", missing) + _listed(" plus", extras)
            return text + count
    breaks = np.flatnonzero(np.diff(ds) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(ds) - 1]])
    runs = [
        day_iso(ds[s]) if s == e else f"{day_iso(ds[s])}..{day_iso(ds[e])}"
        for s, e in zip(starts[:SHOWN_RUNS], ends[:SHOWN_RUNS], strict=True)
    ]
    more = len(starts) - SHOWN_RUNS
    return ", ".join(runs) + (f" and {more} more runs" if more > 0 else "") + count


def _listed(word: str, days: np.ndarray) -> str:
    if not len(days):
        return ""
    shown = ", ".join(day_iso(d) for d in days[:SHOWN_EXCEPTIONS])
    more = len(days) - SHOWN_EXCEPTIONS
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")


def fmt_time(seconds: int) -> str:
    """Seconds since noon minus 12 h -> 'HH:MM' (':SS' only when not whole minutes); 25:10 stays."""
    s = int(seconds)
    if s < 0:
        return "?"
    text = f"{s // 3600:02d}:{s % 3600 // 60:02d}"
    return text + (f":{s % 60:02d}" if s % 60 else "")


def gtfs_time(seconds: int) -> str | None:
    s = int(seconds)
    return None if s < 0 else f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def fmt_shift(seconds: int) -> str:
    """+600 -> '+10 min'; -5430 -> '−1 h 30 min 30 s'."""
    s = int(seconds)
    sign = "+" if s >= 0 else MINUS
    s = abs(s)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    parts = ([f"{h} h"] if h else []) + ([f"{m} min"] if m else []) + ([f"{sec} s"] if sec else [])
    return sign + " ".join(parts or ["0 min"])


def signed(n: int) -> str:
    return f"+{n:,}" if n >= 0 else f"{MINUS}{-n:,}"
