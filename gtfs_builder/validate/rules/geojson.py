"""locations.geojson (GTFS-Flex zones): the canonical GeoJsonFileLoader's notices, and geography
ids shared between stops, location groups and GeoJSON features.

The canonical validator loads locations.geojson with its own loader rather than the CSV one, so
the notices are structural (malformed JSON, duplicated keys, missing or unknown elements,
unsupported types, invalid polygons). Behaviours reproduced on purpose, because they change
counts:

- Any unparsable feature (a missing required element, a geometry that is not an object, an
  invalid polygon) makes the whole file unparsable: every feature is still examined and reports
  its notices, but no feature is loaded, so no duplicate_geo_json_key / duplicate_geography_id is
  reported and no zone exists for other rules.
- Coordinates are walked three levels deep (rings of positions) *before* the geometry-type
  dispatch. A Point or LineString (too shallow) makes the canonical loader throw into a catch that
  only logs: the notices found so far stay, the file is dropped, nothing else is said. A
  MultiPolygon (too deep) silently drops that one feature.
- geometry sub-checks are chained with ``else if``: a geometry missing ``type`` does not also
  report a missing ``coordinates``.

:func:`load_locations` is the one parser; ``rules/flex.py`` reads its zones from it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

GEOJSON = "locations.geojson"
ROOT_KEYS = frozenset({"type", "features"})
FEATURE_KEYS = frozenset({"id", "type", "properties", "geometry"})
GEOMETRY_KEYS = frozenset({"type", "coordinates"})
POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
DEPTH = 3  # rings -> positions -> ordinates, what the canonical coordinate walk indexes
ORIGIN_DEGREES, POLE_DEGREES = 1.0, 89.0

# JTS wording, as the canonical notice's `message` carries it.
_JTS_TOPOLOGY = (
    ("Ring Self-intersection", "Ring Self-intersection"),
    ("Self-intersection", "Self-intersection"),
    ("Hole lies outside shell", "Hole lies outside shell"),
    ("Holes are nested", "Holes are nested"),
    ("Interior is disconnected", "Interior is disconnected"),
    ("Nested shells", "Nested shells"),
    ("Duplicate Rings", "Duplicate Rings"),
    ("Too few points", "Too few distinct points in geometry component"),
    ("Invalid Coordinate", "Invalid Coordinate"),
    ("Ring is not closed", "Ring is not closed"),
    ("Repeated Point", "Repeated Point"),
)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _Unreadable(Exception):
    """The canonical loader throws out of the whole load and only logs it."""


class _UnparsableFeature(Exception):
    """This feature is lost and the file becomes unparsable (after all features are examined)."""


class _DroppedFeature(Exception):
    """This feature is silently lost; the file stays parsable."""


@dataclass(frozen=True)
class GeoFeature:
    """A loaded feature: its id, its 0-based index in ``features``, its geometry."""

    id: str
    index: int
    geometry_type: str
    coordinates: Any


@dataclass
class GeoJsonLoad:
    """The parse of locations.geojson: the loader's notices and the features it kept."""

    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    features: list[GeoFeature] = field(default_factory=list)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)
    return dict(pairs)


def _java_double(value: float) -> str:
    """Java's Double.toString, how Gson's getAsString renders a JSON number."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(float(value))
        return text if "e" not in text else f"{value:.20f}".rstrip("0")
    mantissa, exponent = f"{value:.17e}".split("e")
    digits = repr(float(mantissa))  # shortest round-trip is close enough for a sample field
    return f"{digits}E{int(exponent)}"


def _as_string(value: Any) -> str:
    """Gson's JsonPrimitive.getAsString; a structured value or null throws."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _java_double(float(value))
    raise _Unreadable(f"cannot read {type(value).__name__} as a string")


def _as_double(value: Any) -> float:
    """Gson's getAsDouble: numbers and numeric strings; anything else throws."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Unreadable("a coordinate is not a number")
    try:
        return float(value)
    except (ValueError, OverflowError) as exc:
        raise _Unreadable("a coordinate is not a number") from exc


def _depth(value: Any) -> int:
    """Shallowest nesting over every non-empty branch (an empty list cannot make the walk throw)."""
    if not isinstance(value, list):
        return 0
    branches = [_depth(item) for item in value if item != []]
    return DEPTH if not branches else 1 + min(branches)


def _unknown(load: GeoJsonLoad, obj: dict[str, Any], expected: frozenset[str]) -> None:
    for key in obj:
        if key not in expected:
            load.notices.append(
                ("geo_json_unknown_element", {"filename": GEOJSON, "unknownElement": key})
            )


def _missing(index: int | None, feature_id: str | None, element: str) -> tuple[str, dict]:
    fields: dict[str, Any] = {}
    if index is not None:
        fields["featureIndex"] = index
    if feature_id is not None:
        fields["featureId"] = feature_id
    fields["missingElement"] = element
    return ("missing_required_element", fields)


def _walk_points(load: GeoJsonLoad, coords: Any, index: int, fid: str | None) -> None:
    """point_near_origin / _pole per position, stopping where the canonical walk throws."""
    if not isinstance(coords, list):
        raise _Unreadable("coordinates are not an array")
    for ring in coords:
        if not isinstance(ring, list):
            raise _Unreadable("a ring is not an array")
        for point in ring:
            if not isinstance(point, list) or len(point) < 2:
                raise _Unreadable("a position is too short")
            lon, lat = _as_double(point[0]), _as_double(point[1])
            if abs(lon) <= ORIGIN_DEGREES and abs(lat) <= ORIGIN_DEGREES:
                code = "point_near_origin"
            elif abs(lat) >= POLE_DEGREES:
                code = "point_near_pole"
            else:
                continue
            load.notices.append(
                (
                    code,
                    {
                        "filename": GEOJSON,
                        "featureIndex": index,
                        "entityId": fid,
                        "latFieldValue": lat,
                        "lonFieldValue": lon,
                    },
                )
            )


def polygon_problem(rings: list[list[tuple[float, float]]]) -> str | None:
    """Why JTS would refuse (construction) or invalidate this polygon, in JTS's words."""
    for ring in rings:
        if len(ring) == 1:
            return "Invalid number of points in LineString (found 1 - must be 0 or >= 2)"
        if len(ring) == 2:
            return "Invalid number of points in LinearRing (found 2 - must be 0 or >= 3)"
        if len(ring) >= 3 and ring[0] != ring[-1]:
            return "Points of LinearRing do not form a closed linestring"
    if rings and not rings[0] and any(rings[1:]):
        return "shell is empty but holes are not"
    if not rings or not rings[0]:
        return None  # an empty polygon is valid
    if any(not all(math.isfinite(c) for p in ring for c in p) for ring in rings):
        return "Invalid Coordinate"
    if any(0 < len(ring) < 4 for ring in rings):  # closed, 3 points: built, then too few points
        return "Too few distinct points in geometry component"
    import shapely
    from shapely.geometry import Polygon

    try:
        reason = shapely.is_valid_reason(Polygon(rings[0], [r for r in rings[1:] if r]))
    except (ValueError, shapely.errors.GEOSException):
        return "Topology Validation Error"
    if reason == "Valid Geometry":
        return None
    for prefix, message in _JTS_TOPOLOGY:
        if reason.startswith(prefix):
            return message
    return "Topology Validation Error"


def _check_feature(load: GeoJsonLoad, feature: Any, index: int) -> GeoFeature:
    """extractFeature: notices in the canonical order; raises when the feature is lost."""
    if not isinstance(feature, dict):
        raise _UnparsableFeature(index)
    _unknown(load, feature, FEATURE_KEYS)
    missing: list[str] = []
    fid: str | None = None
    if "id" not in feature:
        missing.append("features.id")
    else:
        fid = _as_string(feature["id"])
        if not fid:
            missing.append("features.id")
    if "type" not in feature:
        missing.append("features.type")
    elif (ftype := _as_string(feature["type"])) != "Feature":
        load.notices.append(
            (
                "unsupported_feature_type",
                {"featureIndex": index, "featureId": fid, "featureType": ftype},
            )
        )
    if "properties" not in feature:
        missing.append("features.properties")
    geometry_type, coords = "", None
    if "geometry" not in feature:
        missing.append("features.geometry")
    else:
        geometry = feature["geometry"]
        if not isinstance(geometry, dict):
            raise _UnparsableFeature(index)
        _unknown(load, geometry, GEOMETRY_KEYS)
        if "type" not in geometry:
            missing.append("features.geometry.type")
        elif "coordinates" not in geometry:
            missing.append("features.geometry.coordinates")
        elif not missing:
            coords = geometry["coordinates"]
            _walk_points(load, coords, index, fid)
            depth = _depth(coords)
            if depth < DEPTH:
                raise _Unreadable("coordinates nested too shallow")
            if depth > DEPTH:
                raise _DroppedFeature(index)
            geometry_type = _as_string(geometry["type"])
            if geometry_type not in POLYGON_TYPES:
                load.notices.append(
                    (
                        "unsupported_geometry_type",
                        {"featureIndex": index, "featureId": fid, "geometryType": geometry_type},
                    )
                )
                return GeoFeature(str(fid), index, geometry_type, None)  # kept, without a zone
            rings = [[(_as_double(p[0]), _as_double(p[1])) for p in ring] for ring in coords]
            message = polygon_problem(rings)
            if message is not None:
                load.notices.append(
                    (
                        "invalid_geometry",
                        {
                            "featureId": fid,
                            "featureIndex": index,
                            "geometryType": geometry_type,
                            "message": message,
                        },
                    )
                )
                raise _UnparsableFeature(index)
    load.notices.extend(_missing(index, fid, element) for element in missing)
    if missing:
        raise _UnparsableFeature(index)
    return GeoFeature(str(fid), index, geometry_type, coords)


def _parse_into(load: GeoJsonLoad, data: bytes) -> None:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        root = json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey as dup:
        load.notices.append(
            ("geo_json_duplicated_element", {"filename": GEOJSON, "duplicatedElement": dup.key})
        )
        return
    except (ValueError, RecursionError) as exc:
        load.notices.append(("malformed_json", {"filename": GEOJSON, "message": str(exc)}))
        return
    if not isinstance(root, dict):
        message = "Expected a JSON object at the root"
        load.notices.append(("malformed_json", {"filename": GEOJSON, "message": message}))
        return
    _unknown(load, root, ROOT_KEYS)
    if "type" not in root:
        load.notices.append(_missing(None, None, "type"))
        return
    root_type = _as_string(root["type"])
    if root_type != "FeatureCollection":
        message = f"Unsupported GeoJSON type: {root_type}. Use 'FeatureCollection' instead."
        load.notices.append(
            ("unsupported_geo_json_type", {"geoJsonType": root_type, "message": message})
        )
        return
    collection = root.get("features")
    if not isinstance(collection, list):
        raise _Unreadable("features is not an array")
    kept: list[GeoFeature] = []
    unparsable = False
    for index, feature in enumerate(collection):
        try:
            kept.append(_check_feature(load, feature, index))
        except _UnparsableFeature:
            unparsable = True
        except _DroppedFeature:
            continue
    if unparsable:
        return
    first: dict[str, int] = {}
    for feature in kept:
        if feature.id in first:
            load.notices.append(
                (
                    "duplicate_geo_json_key",
                    {
                        "featureId": feature.id,
                        "firstIndex": first[feature.id],
                        "secondIndex": feature.index,
                    },
                )
            )
        else:
            first[feature.id] = feature.index
    load.features = kept


@lru_cache(maxsize=4)
def parse_locations(data: bytes) -> GeoJsonLoad:
    """Parse locations.geojson bytes the canonical way; never raises on bad input."""
    load = GeoJsonLoad()
    try:
        _parse_into(load, data)
    except (_Unreadable, RecursionError):
        load.features = []  # canonical: logged only; the notices found so far stand
    return load


def load_locations(feed: Feed) -> GeoJsonLoad | None:
    """The parsed locations.geojson of ``feed``, or None when it has none (or it is unreadable)."""
    if not feed.has(GEOJSON):
        return None
    try:
        data = feed.archive.read_bytes(GEOJSON)
    except (AttributeError, KeyError, OSError, ValueError):
        return None
    return parse_locations(bytes(data))


@rule(
    files=[GEOJSON],
    notices={
        "malformed_json": (Severity.ERROR, "A JSON file is malformed."),
        "geo_json_duplicated_element": (
            Severity.ERROR,
            "Duplicated elements in locations.geojson file.",
        ),
        "geo_json_unknown_element": (Severity.INFO, "Unknown elements in locations.geojson file."),
        "missing_required_element": (
            Severity.ERROR,
            "A required element is missing in `locations.geojson`.",
        ),
        "unsupported_geo_json_type": (
            Severity.ERROR,
            "An unsupported GeoJSON type is used in the `locations.geojson` file.",
        ),
        "unsupported_feature_type": (
            Severity.ERROR,
            "An unsupported feature type is used in the `locations.geojson` file.",
        ),
        "unsupported_geometry_type": (
            Severity.ERROR,
            "A GeoJSON feature has an unsupported geometry type in `locations.geojson`.",
        ),
        "invalid_geometry": (
            Severity.ERROR,
            "A polygon in `locations.geojson` is unparsable or invalid.",
        ),
        "duplicate_geo_json_key": (Severity.ERROR, "A key in `locations.geojson` is duplicated."),
        "point_near_origin": (Severity.ERROR, "A point is too close to origin `(0, 0)`."),
        "point_near_pole": (Severity.ERROR, "A point is too close to the North or South Pole."),
    },
)
def check_locations_geojson(feed: Feed, notices: Notices) -> None:
    """Zones a consumer cannot load (or loads differently) must be reported, not guessed."""
    load = load_locations(feed)
    if load is None:
        return
    for code, fields in load.notices:
        notices.add(code, **fields)


def _first_rows(feed: Feed, filename: str, column: str) -> pd.Series:
    """First csv_row per id of one table (index = id)."""
    table = feed.table(filename)
    if table.empty or column not in table.columns:
        return pd.Series(dtype="int64")
    ids = table[column]
    rows = table["csv_row"][ids.notna()]
    ids = ids[ids.notna()].astype(str)
    return pd.Series(rows.to_numpy(), index=ids.to_numpy()).groupby(level=0, sort=False).first()


@rule(
    files=["stops.txt", "location_groups.txt", GEOJSON],
    notices={
        "duplicate_geography_id": (
            Severity.ERROR,
            "Geography id is duplicated across multiple files.",
        ),
    },
)
def check_geography_ids(feed: Feed, notices: Notices) -> None:
    """A stop time names a stop, a location group or a zone by one id: it must be unambiguous."""
    stops = _first_rows(feed, "stops.txt", "stop_id").rename("csvRowNumberA")
    groups = _first_rows(feed, "location_groups.txt", "location_group_id").rename("csvRowNumberB")
    load = load_locations(feed)
    first: dict[str, int] = {}
    for feature in load.features if load is not None else []:
        first.setdefault(feature.id, feature.index)
    zones = pd.Series(first, dtype="int64").rename("featureIndex")
    sources = [s for s in (stops, groups, zones) if not s.empty]
    if len(sources) < 2:
        return
    frame = pd.concat(sources, axis=1).astype("Int64")
    shared = frame[frame.notna().sum(axis=1) >= 2]
    if shared.empty:
        return
    out = shared.reset_index(names="geographyId")
    records = [
        {k: v for k, v in rec.items() if not pd.isna(v)} for rec in out.to_dict("records")
    ]  # only the shared ids, a handful per feed
    for rec in records:
        notices.add("duplicate_geography_id", **rec)
