"""RAPTOR earliest-arrival search (Delling, Pajor, Werneck 2012) over a :class:`Timetable`.

Round k finds the best arrival using at most k vehicles. Each round scans only the patterns that
serve a stop improved in the round before, and scans a pattern as a whole with numpy: for every
position where one can board, the earliest catchable instance (binary search when the pattern's
trips never overtake, a masked minimum when they do), then the best arrival at every later
position. Trip instances are materialised per service date on first use, in absolute UTC seconds,
so past-midnight trips, time zones and DST need no special case.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from gtfs_builder.plan.timetable import PlanError, Timetable

INF = np.inf


@dataclass(frozen=True)
class Leg:
    """One ride on a trip, or one walk between two stops. Times are UTC epoch seconds."""

    kind: str  # "trip" or "walk"
    from_stop: int
    to_stop: int
    depart: int
    arrive: int
    trip: int = -1  # trip index (template trip for frequency-based trips)
    service_date: dt.date | None = None


@dataclass(frozen=True)
class Journey:
    """A journey from the origin to the target; ``transfers`` = vehicles used minus one."""

    legs: tuple[Leg, ...]

    @property
    def depart(self) -> int:
        return self.legs[0].depart

    @property
    def arrive(self) -> int:
        return self.legs[-1].arrive

    @property
    def rides(self) -> int:
        return sum(leg.kind == "trip" for leg in self.legs)

    @property
    def transfers(self) -> int:
        return max(self.rides - 1, 0)


@dataclass
class _Instances:
    """Trip instances of one pattern on the searched service dates, sorted by first departure."""

    arr: np.ndarray  # n x k, UTC seconds
    dep: np.ndarray
    trip: np.ndarray  # template trip index per instance
    date: np.ndarray  # service-date ordinal per instance
    fifo: bool


class _Query:
    def __init__(self, tt: Timetable, depart: int, horizon: int) -> None:
        self.tt = tt
        self.lo, self.hi = depart, depart + horizon
        tz = ZoneInfo(tt.agency_tz)
        first = dt.datetime.fromtimestamp(depart, tz).date()
        last = dt.datetime.fromtimestamp(self.hi, tz).date()
        back = max(1, math.ceil(tt.max_day_seconds / 86400))
        self.dates = [first + dt.timedelta(days=d) for d in range(-back, (last - first).days + 1)]
        self.active = [tt.active_services(d) for d in self.dates]
        self.origins = [tt.day_origin(d) for d in self.dates]
        self.cache: dict[int, _Instances | None] = {}

    def instances(self, p: int) -> _Instances | None:
        if p in self.cache:
            return self.cache[p]
        pat = self.tt.patterns[p]
        svc = self.tt.trip_service[pat.trips]
        arrs, deps, trips, dates = [], [], [], []
        for date, active, origin in zip(self.dates, self.active, self.origins, strict=True):
            on = (svc >= 0) & active[np.maximum(svc, 0)]
            # Keep only instances that overlap the search window.
            on &= (pat.arr[:, -1] + origin >= self.lo) & (pat.dep[:, 0] + origin <= self.hi)
            if on.any():
                arrs.append(pat.arr[on] + origin)
                deps.append(pat.dep[on] + origin)
                trips.append(pat.trips[on])
                dates.append(np.full(int(on.sum()), date.toordinal()))
        if not arrs:
            self.cache[p] = None
            return None
        arr, dep = np.vstack(arrs), np.vstack(deps)
        order = np.argsort(dep[:, 0], kind="stable")
        arr, dep = arr[order], dep[order]
        fifo = bool((np.diff(dep, axis=0) >= 0).all() and (np.diff(arr, axis=0) >= 0).all())
        trip, date = np.concatenate(trips)[order], np.concatenate(dates)[order]
        inst = _Instances(arr, dep, trip, date, fifo)
        self.cache[p] = inst
        return inst


def plan(
    tt: Timetable,
    origins: list[int],
    targets: list[int],
    depart: int,
    *,
    max_rides: int = 6,
    horizon: int = 24 * 3600,
) -> list[Journey]:
    """Pareto-optimal journeys (earlier arrival vs. fewer rides), fewest rides first.

    ``depart`` is UTC epoch seconds; only journeys arriving within ``horizon`` seconds count, so a
    day without service answers "no journey" rather than next week's train. Empty list: none.
    """
    if not origins or not targets:
        raise PlanError("origin and target must name at least one stop")
    q = _Query(tt, depart, horizon)
    n = len(tt.stop_ids)
    target_set = np.zeros(n, dtype=bool)
    target_set[targets] = True
    rounds = max_rides + 1
    tau = np.full((rounds, n), INF)
    best = np.full(n, INF)
    # Parent pointers per round. kind: 0 = carried from the round before, 1 = trip, 2 = walk,
    # 3 = start
    kind = np.zeros((rounds, n), dtype=np.int8)
    p_pat = np.full((rounds, n), -1)
    p_inst = np.full((rounds, n), -1)
    p_board = np.full((rounds, n), -1)  # board position in the pattern
    p_alight = np.full((rounds, n), -1)
    p_from = np.full((rounds, n), -1)  # walk origin

    tau[0, origins] = depart
    best[origins] = depart
    kind[0, origins] = 3
    bound = float(depart + horizon)
    fp = tt.footpaths

    def walk(k: int, marked: np.ndarray) -> np.ndarray:
        """Relax footpaths from stops improved in round k; returns the stops improved by walking."""
        nonlocal bound
        if not len(fp) or not len(marked):
            return np.array([], dtype=int)
        sel = fp[np.isin(fp["from_stop"].to_numpy(), marked)]
        if not len(sel):
            return np.array([], dtype=int)
        frm, to = sel["from_stop"].to_numpy(), sel["to_stop"].to_numpy()
        t = tau[k, frm] + sel["seconds"].to_numpy()
        improved = []
        for f, s, a in sorted(zip(frm, to, t, strict=True), key=lambda x: x[2]):
            if a < best[s] and a <= bound:
                tau[k, s] = best[s] = a
                kind[k, s], p_from[k, s] = 2, f
                improved.append(s)
                if target_set[s]:
                    bound = min(bound, a)
        return np.array(improved, dtype=int)

    marked = np.union1d(np.asarray(origins), walk(0, np.asarray(origins)))
    for k in range(1, rounds):
        tau[k] = tau[k - 1]
        if not len(marked):
            break
        pats = np.unique(np.concatenate([tt.stop_patterns[s] for s in marked]))
        improved: list[int] = []
        for p in pats:
            inst = q.instances(int(p))
            if inst is None:
                continue
            pat = tt.patterns[p]
            prev = tau[k - 1, pat.stops]
            boardable = np.flatnonzero(np.isfinite(prev) & pat.can_board)
            boardable = boardable[boardable < len(pat.stops) - 1]
            if not len(boardable):
                continue
            kk = len(pat.stops)
            best_arr = np.full(kk, INF)
            best_inst = np.full(kk, -1)
            best_pos = np.full(kk, -1)
            for i in boardable:
                col = inst.dep[:, i]
                if inst.fifo:
                    t = int(np.searchsorted(col, prev[i], side="left"))
                    if t >= len(col):
                        continue
                    cand = inst.arr[t, i + 1:]
                    cinst = np.full(kk - i - 1, t)
                else:
                    ok = col >= prev[i]
                    if not ok.any():
                        continue
                    masked = np.where(ok[:, None], inst.arr[:, i + 1:], INF)
                    cinst = masked.argmin(axis=0)
                    cand = masked[cinst, np.arange(kk - i - 1)]
                better = cand < best_arr[i + 1:]
                seg = slice(i + 1, kk)
                best_arr[seg] = np.where(better, cand, best_arr[seg])
                best_inst[seg] = np.where(better, cinst, best_inst[seg])
                best_pos[seg] = np.where(better, i, best_pos[seg])
            best_arr[~pat.can_alight] = INF
            for j in np.flatnonzero(np.isfinite(best_arr)):
                s, a = pat.stops[j], best_arr[j]
                if a < best[s] and a <= bound:
                    tau[k, s] = best[s] = a
                    kind[k, s] = 1
                    p_pat[k, s], p_inst[k, s] = p, best_inst[j]
                    p_board[k, s], p_alight[k, s] = best_pos[j], j
                    improved.append(int(s))
                    if target_set[s]:
                        bound = min(bound, a)
        imp = np.unique(np.asarray(improved, dtype=int))
        marked = np.union1d(imp, walk(k, imp))

    # Pareto set over rounds: a round counts when it arrives strictly earlier than fewer rides did.
    journeys: list[Journey] = []
    last = INF
    for k in range(rounds):
        arr_t = tau[k, targets]
        j = int(np.argmin(arr_t))
        if arr_t[j] < last:
            last = arr_t[j]
            journeys.append(_backtrack(tt, q, k, targets[j], kind, p_pat, p_inst, p_board,
                                       p_alight, p_from, tau))
    return journeys


def _backtrack(tt: Timetable, q: _Query, k: int, s: int, kind: np.ndarray, p_pat: np.ndarray,
               p_inst: np.ndarray, p_board: np.ndarray, p_alight: np.ndarray,
               p_from: np.ndarray, tau: np.ndarray) -> Journey:
    legs: list[Leg] = []
    while True:
        while kind[k, s] == 0:  # label carried over from a round with fewer rides
            k -= 1
        if kind[k, s] == 3:
            break
        if kind[k, s] == 2:
            f = int(p_from[k, s])
            legs.append(Leg("walk", f, s, int(tau[k, f]), int(tau[k, s])))
            s = f
            continue
        p, i = int(p_pat[k, s]), int(p_inst[k, s])
        inst = q.instances(p)
        assert inst is not None
        pat = tt.patterns[p]
        b, a = int(p_board[k, s]), int(p_alight[k, s])
        legs.append(Leg("trip", int(pat.stops[b]), s, int(inst.dep[i, b]), int(inst.arr[i, a]),
                        int(inst.trip[i]), dt.date.fromordinal(int(inst.date[i]))))
        s = int(pat.stops[b])
        k -= 1
    if not legs:  # origin is the target
        t = int(tau[0, s])
        legs.append(Leg("walk", s, s, t, t))
    return Journey(tuple(reversed(legs)))
