"""The typed model of a network source: what the compiler reads, each item knowing its origin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gtfs_builder.source.errors import SourceError


@dataclass(frozen=True)
class Loc:
    """Where a value sits: file, 1-based line and column, and its document path in that file."""

    file: str
    line: int
    column: int
    path: str

    def error(self, message: str) -> SourceError:
        return SourceError(self.file, self.line, self.column, self.path, message)


class LazyLoc:
    """A :class:`Loc` resolved on first use: positions cost a slow parse, only errors need them."""

    __slots__ = ("_doc", "_loc", "_path")

    def __init__(self, doc: Any, path: tuple[Any, ...]) -> None:
        self._doc = doc
        self._path = path
        self._loc: Loc | None = None

    def resolve(self) -> Loc:
        if self._loc is None:
            self._loc = self._doc.loc(self._path)
        return self._loc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)

    def error(self, message: str) -> SourceError:
        return self.resolve().error(message)


@dataclass(frozen=True)
class Time:
    """A clock time as written: seconds after midnight, and the zone it is in (None: the stop's)."""

    seconds: int
    zone: str | None
    text: str
    loc: Loc


@dataclass
class Feed:
    publisher_name: str
    publisher_url: str
    lang: str
    default_lang: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    version: str | None
    contact_email: str | None
    contact_url: str | None
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Agency:
    id: str
    name: str
    names: dict[str, str]
    url: str
    timezone: str
    lang: str | None
    phone: str | None
    fare_url: str | None
    email: str | None
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Stop:
    """A station (location_type 1) or a stop/platform (location_type 0)."""

    id: str
    name: str
    names: dict[str, str]
    lat: float | None  # None only in literal sources
    lon: float | None
    timezone: str  # resolved: own zone, parent's zone, or the agency zone
    location_type: int
    parent: str | None
    code: str | None
    desc: str | None
    url: str | None
    platform_code: str | None
    wheelchair_boarding: int | None
    loc: Loc
    zone_given: bool = True  # False: no stop_timezone written (literal sources)
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class PatternStop:
    stop_id: str
    run: int | None  # seconds from the previous stop's departure (None for the first stop)
    dwell: int  # seconds
    timepoint: bool  # derived times here are published (timepoint=1)
    headsign: str | None
    pickup: int | None
    drop_off: int | None
    loc: Loc
    untimed: bool = False  # blank arrival/departure at this stop
    dist: float | None = None  # shape_dist_traveled as given (literal)
    tp_value: int | None = None  # timepoint as given (literal)
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class StopTimeIn:
    """One entry of an explicit per-stop timetable: published local times, or None (derive)."""

    arrival: Time | None
    departure: Time | None
    loc: Loc


@dataclass
class Trip:
    id: str | None
    service: str
    short_name: str | None
    headsign: str | None
    block: str | None
    departures: list[Time]  # departures from the first stop (one trip each)
    times: list[StopTimeIn | None] | None  # an explicit per-stop timetable (one trip)
    loc: Loc
    ids: list[str | None] | None = None  # per departure (literal)
    short_names: list[str | None] | None = None
    blocks: list[str | None] | None = None
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Frequency:
    id: str | None
    service: str
    start: Time
    end: Time
    headway: int  # seconds
    exact_times: bool
    expand: bool
    loc: Loc


@dataclass
class Shape:
    id: str | None
    coords: list[tuple[float, float]] | None  # (lat, lon)
    loc: Loc


@dataclass
class Pattern:
    id: str
    headsign: str | None
    direction: int | None
    wheelchair_accessible: int | None
    bikes_allowed: int | None
    shape: Shape | None
    stops: list[PatternStop]
    trips: list[Trip]
    frequencies: list[Frequency]
    loc: Loc


@dataclass
class Route:
    id: str
    agency: str
    short_name: str
    long_name: str | None
    long_names: dict[str, str]
    desc: str | None
    type: int
    color: str | None
    text_color: str | None
    url: str | None
    sort_order: int | None
    patterns: list[Pattern]
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Service:
    id: str
    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool] | None  # Monday first
    start_date: dt.date | None
    end_date: dt.date | None
    added: list[dt.date]
    removed: list[dt.date]
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim

    def active_dates(self) -> list[dt.date]:
        """Every date the service runs, sorted."""
        days: set[dt.date] = set()
        if self.weekdays and self.start_date and self.end_date:
            d = self.start_date
            while d <= self.end_date:
                if self.weekdays[d.weekday()]:
                    days.add(d)
                d += dt.timedelta(days=1)
        days |= set(self.added)
        days -= set(self.removed)
        return sorted(days)


@dataclass
class Transfer:
    from_stop: str
    to_stop: str
    from_route: str | None
    to_route: str | None
    type: int
    min_time: int | None  # seconds
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Translation:
    table: str
    field: str
    language: str
    translation: str
    record_id: str | None
    record_sub_id: str | None
    field_value: str | None
    loc: Loc
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, written verbatim


@dataclass
class Network:
    """A whole source folder, checked: every reference resolves, every value is well formed."""

    name: str
    root: str
    feed: Feed
    agencies: list[Agency]
    stops: list[Stop]
    routes: list[Route]
    services: list[Service]
    transfers: list[Transfer] = field(default_factory=list)
    translations: list[Translation] = field(default_factory=list)
    digest: str = ""  # sha256 of the normalized source (the default feed_version)
    literal: bool = False  # import mode: write what is given, derive nothing
    shapes: dict[str, list[tuple[float, float, float | None]]] = field(default_factory=dict)
    has_feed: bool = True  # False (literal only): no feed_info.txt

    @property
    def timezone(self) -> str:
        return self.agencies[0].timezone

    def stop(self, stop_id: str) -> Stop:
        return self._stops()[stop_id]

    def _stops(self) -> dict[str, Stop]:
        cache = self.__dict__.get("_stop_index")
        if cache is None:
            cache = {s.id: s for s in self.stops}
            self.__dict__["_stop_index"] = cache
        return cache
