"""Clock times in any IANA zone → seconds since the agency-zone service day start.

A time written ``HH:MM Zone`` on service day D is the instant D HH:MM in ``Zone``; GTFS wants it as
seconds since the start of D in the agency zone. So agency_secs = local_secs + (off_agency −
off_zone), with both offsets taken on the service's first active date. If that difference changes
anywhere in the service's active dates (a DST switch in one zone and not the other, or a zone
changing its standard offset), the compiler refuses with a located error instead of being silently
wrong by an hour on part of the dates: split the service at the change.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

import numpy as np
import pandas as pd

from gtfs_builder.source.model import Service


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def utc_offset(zone: str, day: dt.date) -> int:
    """UTC offset of ``zone`` at local noon of ``day``, in seconds (noon: clear of DST switches)."""
    off = dt.datetime(day.year, day.month, day.day, 12, tzinfo=_zone(zone)).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


@cache
def _deltas(zone: str, agency_zone: str, dates: tuple[dt.date, ...]) -> tuple[int, dt.date | None]:
    """(delta on the first date, first date where the delta differs or None)."""
    first = utc_offset(agency_zone, dates[0]) - utc_offset(zone, dates[0])
    for day in dates[1:]:
        if utc_offset(agency_zone, day) - utc_offset(zone, day) != first:
            return first, day
    return first, None


def zone_delta(zone: str, agency_zone: str, service: Service) -> tuple[int, dt.date | None]:
    """Seconds to add to a ``zone`` clock time to get agency time on ``service``'s days.

    Returns (delta, changed) where ``changed`` is the first active date on which the delta is
    different (the caller reports it), or None when it is constant over the whole service.
    """
    if zone == agency_zone:
        return 0, None
    dates = tuple(service.active_dates())
    if not dates:
        return 0, None
    return _deltas(zone, agency_zone, dates)


def format_times(seconds: np.ndarray) -> pd.Categorical:
    """Vectorised HH:MM:SS (hours may exceed 24): a categorical over the distinct values."""
    secs = np.asarray(seconds, dtype=np.int64).ravel()
    if secs.size and secs.min() >= 0 and secs.max() < 10_000_000:  # O(n): mark, then rank
        present = np.zeros(int(secs.max()) + 1, dtype=bool)
        present[secs] = True
        uniq = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        inverse = rank[secs]
    else:
        uniq, inverse = np.unique(secs, return_inverse=True)
    labels = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in uniq.tolist()]
    return pd.Categorical.from_codes(inverse.ravel(), categories=labels)


def hhmmss(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
