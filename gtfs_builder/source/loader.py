"""Load a network source folder: YAML with positions, JSON Schema check, then the typed model.

Problems are collected, never raised one at a time: syntax errors of every file, then every schema
violation, then every semantic problem (unknown references, bad times, empty services ...), each
located by file, line, column and document path.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import gc
import hashlib
import json
import re
import zoneinfo
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from gtfs_builder.source.errors import SourceError, SourceErrors
from gtfs_builder.source.model import (
    Agency,
    Feed,
    Frequency,
    LazyLoc,
    Loc,
    Network,
    Pattern,
    PatternStop,
    Route,
    Service,
    Shape,
    Stop,
    StopTimeIn,
    Time,
    Transfer,
    Translation,
    Trip,
)

LIST_KEYS = (
    "agencies", "stations", "stops", "routes", "services", "transfers", "translations", "shapes",
)  # fmt: skip
MAP_KEYS = ("feed", "format", "literal")
ROUTE_TYPES = {
    "tram": 0,
    "subway": 1,
    "metro": 1,
    "rail": 2,
    "bus": 3,
    "ferry": 4,
    "cable_tram": 5,
    "aerial_lift": 6,
    "funicular": 7,
    "trolleybus": 11,
    "monorail": 12,
}
GTFS_PREFIXES = ("stop_", "route_", "agency_", "trip_", "feed_", "service_", "shape_")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_RE = re.compile(r"^\s*(\d{1,3}):(\d{2})(?::(\d{2}))?(?:\s+(\S+))?\s*$")
TIME_EXPECTED = "expected HH:MM, optionally followed by an IANA zone"
Path_ = tuple[Any, ...]


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of source format v1 (shipped as package data)."""
    text = resources.files("gtfs_builder.source").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def fmt_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def suggest(word: str, choices: Any) -> str:
    """A '; did you mean ...?' suffix, or '' when nothing is close.

    GTFS habits are tried too: 'stop_nme' is matched as 'nme' against 'name'.
    """
    options = sorted(map(str, choices))
    word = str(word)
    tries = [word] + [word[len(p) :] for p in GTFS_PREFIXES if word.startswith(p)]
    for w in tries:
        close = difflib.get_close_matches(w, options, n=1, cutoff=0.6)
        if close:
            return f"; did you mean '{close[0]}'?"
    return ""


class Doc:
    """The merged source: plain data plus where every value (and mapping key) came from.

    Positions cost a slow round-trip parse, so a source read on the fast path (C loader) only
    computes them when the first problem has to be located.
    """

    def __init__(
        self,
        data: dict[str, Any],
        values: dict[Path_, tuple[str, int, int, Path_]] | None = None,
        keys: dict[Path_, tuple[str, int, int, Path_]] | None = None,
        source_dir: Path | None = None,
    ) -> None:
        self.data = data
        self._values = values
        self._keys = keys
        self._dir = source_dir

    def _locate(self) -> None:
        if self._values is None or self._keys is None:
            assert self._dir is not None
            located, _ = _read_yaml_rt(self._dir)
            self._values, self._keys = located.values, located.keys

    @property
    def values(self) -> dict[Path_, tuple[str, int, int, Path_]]:
        self._locate()
        assert self._values is not None
        return self._values

    @property
    def keys(self) -> dict[Path_, tuple[str, int, int, Path_]]:
        self._locate()
        assert self._keys is not None
        return self._keys

    def loc(self, path: Path_, key: bool = False) -> Loc:
        """The location of ``path``; falls back to the nearest located ancestor."""
        table = self.keys if key and path in self.keys else self.values
        p = tuple(path)
        while p and p not in table:
            p = p[:-1]
            table = self.values
        if p in table:
            file, line, col, local = table[p]
            local_path = local + tuple(path[len(p) :])
            return Loc(file, line, col, fmt_path(local_path))
        return Loc("", 0, 0, fmt_path(path))


def _plain(node: Any, file: str, local: Path_, merged: Path_, doc: Doc) -> Any:
    """Convert ruamel nodes to plain Python, recording positions (1-based) as we go."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for k, v in node.items():
            kl, kc = node.lc.key(k)
            vl, vc = node.lc.value(k)
            key = str(k)
            doc.keys[(*merged, key)] = (file, kl + 1, kc + 1, (*local, key))
            doc.values[(*merged, key)] = (file, vl + 1, vc + 1, (*local, key))
            out[key] = _plain(v, file, (*local, key), (*merged, key), doc)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            il, ic = node.lc.item(i)
            doc.values[(*merged, i)] = (file, il + 1, ic + 1, (*local, i))
            items.append(_plain(v, file, (*local, i), (*merged, i), doc))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, dt.datetime):
        return node.isoformat()
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _fast_plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _fast_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_fast_plain(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _source_files(source_dir: Path) -> list[Path]:
    suffixes = (".yaml", ".yml", ".json")  # JSON is YAML too (and parses much faster)
    return sorted(p for p in source_dir.iterdir() if p.suffix in suffixes and p.is_file())


@cache
def _fast_loader() -> Any:
    """The fastest YAML loader at hand, with YAML 1.2 scalars like the round-trip parser.

    PyYAML's libyaml loader is ~3x faster than ruamel's on large sources, but resolves YAML 1.1
    scalars (``15:30`` → 930, ``yes`` → True); its implicit resolvers are replaced by YAML 1.2
    core-schema ones so that both parsers read a source the same way.
    """
    try:
        import yaml as pyyaml

        base = pyyaml.CSafeLoader
    except (ImportError, AttributeError):
        ruamel_safe = YAML(typ="safe", pure=False)
        return ruamel_safe.load

    class Loader12(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            # libyaml keeps the last of duplicate keys silently; ruamel reports them: defer to it
            keys = [k.value for k, _ in node.value if isinstance(k, pyyaml.ScalarNode)]
            if len(keys) != len(set(keys)):
                raise ValueError("duplicate key")
            return super().construct_mapping(node, deep=deep)

    resolvers: dict[Any, list[Any]] = {}
    for first, items in base.yaml_implicit_resolvers.items():
        kept = [
            (tag, rx) for tag, rx in items if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")
        ]
        if kept:
            resolvers[first] = kept
    Loader12.yaml_implicit_resolvers = resolvers
    y12 = {
        "bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        "int": (r"^[-+]?[0-9]+$", "-+0123456789"),
        "float": (
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+.0123456789",
        ),
    }
    for name, (rx, first) in y12.items():
        Loader12.add_implicit_resolver(f"tag:yaml.org,2002:{name}", re.compile(rx), list(first))

    Loader12.add_constructor(  # decimal only: YAML 1.1 would read 012 as octal
        "tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node))
    )

    def load(text: str) -> Any:
        return pyyaml.load(text, Loader=Loader12)

    return load


class _Unsupported(Exception):
    """A construct the event builder leaves to the full loader (anchors, tags, merge keys ...)."""


_INT12 = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT12 = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_NULL12 = frozenset(("", "~", "null", "Null", "NULL"))
_BOOL12 = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOL12["FALSE"] = False


def _plain_scalar(value: str) -> Any:
    """YAML 1.2 core resolution of a plain scalar, exactly as ``_fast_loader`` reads it."""
    if value in _NULL12:
        return None
    if value in _BOOL12:
        return _BOOL12[value]
    first = value[0]
    if first in "-+.0123456789":
        if _INT12.match(value):
            return int(value)
        if _FLOAT12.match(value):
            low = value.lower()
            if ".inf" in low:
                return float("-inf") if low.startswith("-") else float("inf")
            return float("nan") if ".nan" in low else float(value)
        if first.isdigit() and "-" in value:  # YAML 1.1 timestamps stay dates, as in the C path
            import yaml as pyyaml

            for tag, rx in pyyaml.SafeLoader.yaml_implicit_resolvers.get(first, []):
                if tag.endswith(":timestamp") and rx.match(value):
                    node = pyyaml.ScalarNode("tag:yaml.org,2002:timestamp", value)
                    stamp = pyyaml.SafeLoader("").construct_yaml_timestamp(node)
                    return stamp.isoformat()
    elif value in ("<<", "="):
        raise _Unsupported(value)
    return value


def _event_load(text: str) -> Any:
    """Build plain data straight from libyaml's parse events: 3-4x faster than PyYAML's composer.

    Covers the plain YAML of a source (no anchors, aliases, tags or merge keys: those raise
    :class:`_Unsupported`); duplicate keys and several documents raise ``ValueError``.
    """
    import yaml as pyyaml
    from yaml.events import (
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )

    resolved: dict[str, Any] = {}  # plain scalar text → value (resolution is pure)
    stack: list[Any] = []
    keys: list[Any] = []
    cur: Any = None  # the open container
    key: Any = None  # pending key of the open mapping (None: expecting a key)
    is_map = False
    root: Any = None
    docs = 0
    missing = object()
    parser = pyyaml.CBaseLoader(text)  # its get_event directly: yaml.parse's generator costs 30%
    next_event = parser.get_event
    while True:
        ev = next_event()
        cls = ev.__class__
        if cls is ScalarEvent:
            if ev.anchor is not None or ev.tag is not None:
                raise _Unsupported("anchor or tag")
            raw = ev.value
            if ev.implicit[0]:
                value = resolved.get(raw, missing)
                if value is missing:
                    value = resolved[raw] = _plain_scalar(raw)
            else:
                value = raw
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if ev.anchor is not None or ev.tag is not None:
                raise _Unsupported("anchor or tag")
            if is_map and key is None:
                raise _Unsupported("complex key")
            stack.append(cur)
            keys.append(key)
            is_map = cls is MappingStartEvent
            cur = {} if is_map else []
            key = None
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            value = cur
            cur = stack.pop()
            key = keys.pop()
            is_map = isinstance(cur, dict)
        elif cls is DocumentStartEvent:
            docs += 1
            if docs > 1:
                raise ValueError("several documents")
            continue
        elif cls is StreamEndEvent:
            break
        elif cls is StreamStartEvent or cls.__name__ == "DocumentEndEvent":
            continue
        else:  # AliasEvent
            raise _Unsupported("alias")
        if cur is None:
            root = value
        elif is_map:
            if key is None:
                if value.__class__ is not str:
                    if isinstance(value, dict | list):
                        raise _Unsupported("complex key")
                    value = str(value)
                if value in cur:
                    raise ValueError("duplicate key")
                key = value
            else:
                cur[key] = value
                key = None
        else:
            cur.append(value)
    return root


def read_yaml(source_dir: Path) -> tuple[Doc, list[SourceError]]:
    """Parse every ``*.yaml``/``*.yml`` file of the folder (sorted) and merge by top-level key.

    Fast path: the C loader, without positions. Anything odd (a syntax error, a misplaced
    top-level key) falls back to the round-trip parser, which reports it with its location.
    """
    files = _source_files(source_dir)
    data: dict[str, Any] = {}
    try:
        load = _fast_loader()
        for path in files:
            text = path.read_text(encoding="utf-8")
            plain: Any = lambda v: v  # noqa: E731 - JSON and the event builder give plain data
            if path.suffix == ".json":
                root = json.loads(text)
            else:
                try:
                    root = _event_load(text)
                except _Unsupported:
                    root, plain = load(text), _fast_plain
            if root is None:
                continue
            if not isinstance(root, dict):
                raise ValueError("not a mapping")
            for key, value in root.items():
                if key in LIST_KEYS and isinstance(value, list):
                    data.setdefault(key, []).extend(plain(value))
                elif key in MAP_KEYS and key not in data:
                    data[key] = plain(value)
                else:
                    raise ValueError(f"top-level key {key!r}")
    except Exception:  # any problem: re-read slowly, with located errors
        return _read_yaml_rt(source_dir)
    if not files:
        return _read_yaml_rt(source_dir)
    return Doc(data, source_dir=source_dir), []


def _read_yaml_rt(source_dir: Path) -> tuple[Doc, list[SourceError]]:
    """Round-trip parse with line/column for every node; reports syntax errors of every file."""
    errors: list[SourceError] = []
    doc = Doc({}, {}, {})
    files = _source_files(source_dir)
    if not files:
        errors.append(
            SourceError(str(source_dir), 0, 0, "", "no *.yaml (or *.json) source files found")
        )
        return doc, errors
    yaml = YAML(typ="rt")
    for path in files:
        name = str(path)
        try:
            root = yaml.load(path.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            problem = exc.problem or exc.context or "invalid YAML"
            errors.append(SourceError(name, line, col, "", f"YAML syntax error: {problem}"))
            continue
        except (YAMLError, UnicodeDecodeError) as exc:
            errors.append(SourceError(name, 0, 0, "", f"cannot read YAML: {exc}"))
            continue
        if root is None:
            continue
        if not isinstance(root, CommentedMap):
            errors.append(
                SourceError(
                    name,
                    1,
                    1,
                    "",
                    f"expected a mapping of top-level keys ({', '.join(MAP_KEYS + LIST_KEYS)})",
                )
            )
            continue
        for key, value in root.items():
            kl, kc = root.lc.key(key)
            key = str(key)
            if key in LIST_KEYS:
                if not isinstance(value, CommentedSeq):
                    errors.append(
                        SourceError(name, kl + 1, kc + 1, key, f"expected a list under '{key}'")
                    )
                    continue
                existing = doc.data.setdefault(key, [])
                base = len(existing)
                doc.values.setdefault((key,), (name, kl + 1, kc + 1, (key,)))
                for i, item in enumerate(value):
                    il, ic = value.lc.item(i)
                    doc.values[(key, base + i)] = (name, il + 1, ic + 1, (key, i))
                    existing.append(_plain(item, name, (key, i), (key, base + i), doc))
            elif key in MAP_KEYS:
                if key in doc.data:
                    first = doc.keys[(key,)]
                    errors.append(
                        SourceError(
                            name,
                            kl + 1,
                            kc + 1,
                            key,
                            f"'{key}' is defined twice (first in {first[0]}:{first[1]})",
                        )
                    )
                    continue
                vl, vc = root.lc.value(key)
                doc.keys[(key,)] = (name, kl + 1, kc + 1, (key,))
                doc.values[(key,)] = (name, vl + 1, vc + 1, (key,))
                doc.data[key] = _plain(value, name, (key,), (key,), doc)
            else:
                errors.append(
                    SourceError(
                        name,
                        kl + 1,
                        kc + 1,
                        key,
                        f"unknown top-level key '{key}'{suggest(key, MAP_KEYS + LIST_KEYS)}",
                    )
                )
    return doc, errors


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@cache
def _fast_validator() -> Any:
    """fastjsonschema's compiled check: 10-50x faster than jsonschema on large sources, used
    for the verdict only; jsonschema then phrases and locates the errors of an invalid source."""
    import fastjsonschema

    draft7 = dict(schema(), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(draft7)


@cache
def literal_schema() -> dict[str, Any]:
    """The schema of a literal source (``literal: true``, as written by import): a real feed's
    ids, URLs and language codes are taken as they are, and a field GTFS lets a feed leave out
    (an agency id, a stop's coordinates for a node, feed_info) is not required."""
    s = copy.deepcopy(schema())
    d = s["$defs"]
    d["id"] = {"type": "string", "minLength": 1}
    for name in ("url", "lang", "color"):
        d[name] = {"type": "string"}
    for name in ("agency", "feed"):
        d[name]["properties"]["email" if name == "agency" else "contact_email"] = {"type": "string"}
    d["names"] = {"type": "string"}
    for name, keep in (
        ("feed", []), ("agency", []), ("stop", ["id"]), ("route", ["id"]), ("transfer", []),
        ("translation", ["table", "field", "language"]),
    ):  # fmt: skip
        d[name]["required"] = keep
    d["transfer"]["properties"]["type"] = {"type": "integer", "minimum": 0}
    d["translation"]["properties"]["table"] = {"type": "string"}
    # imported timetables are mostly plain times: try that form first (fastjsonschema tries
    # anyOf branches in order, and a failed branch costs an exception)
    d["stop_time"]["anyOf"] = sorted(d["stop_time"]["anyOf"], key=lambda b: "$ref" not in b)
    d["route"]["properties"]["patterns"] = {"type": "array", "items": {"$ref": "#/$defs/pattern"}}
    s["required"] = ["agencies", "routes"]
    s["properties"]["services"] = {"type": "array", "items": {"$ref": "#/$defs/service"}}
    return s


@cache
def _fast_literal_validator() -> Any:
    import fastjsonschema

    draft7 = dict(literal_schema(), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(draft7)


def schema_errors(doc: Doc) -> list[SourceError]:
    """Every JSON Schema violation, phrased for people and located."""
    literal = doc.data.get("literal") is True
    try:
        (_fast_literal_validator() if literal else _fast_validator())(doc.data)
        return []
    except Exception:  # invalid (or a schema construct the fast checker lacks): ask jsonschema
        pass
    validator = jsonschema.Draft202012Validator(literal_schema() if literal else schema())
    out: list[SourceError] = []
    for err in validator.iter_errors(doc.data):
        path = tuple(err.absolute_path)
        v, inst, sch = err.validator, err.instance, err.schema
        if v == "additionalProperties" and isinstance(inst, dict):
            allowed = list(sch.get("properties", {}))
            for key in sorted(set(inst) - set(allowed)):
                out.append(
                    doc.loc((*path, key), key=True).error(
                        f"unknown key '{key}'{suggest(key, allowed)}"
                        f" (expected one of: {', '.join(allowed)})"
                    )
                )
        elif v == "required":
            missing = [k for k in err.validator_value if k not in inst]
            for key in missing:
                out.append(doc.loc(path).error(f"missing required field '{key}'"))
        elif (
            v == "anyOf"
            and isinstance(inst, dict)
            and all(set(s) == {"required"} for s in err.validator_value)
        ):
            options = " or ".join(f"'{s['required'][0]}'" for s in err.validator_value)
            out.append(doc.loc(path).error(f"needs {options}"))
        elif v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            lo = sch.get("minimum", sch.get("exclusiveMinimum"))
            hi = sch.get("maximum", sch.get("exclusiveMaximum"))
            rng = (
                f"from {lo} to {hi}"
                if hi is not None
                else f"greater than {lo}"
                if ("exclusiveMinimum" in sch)
                else f"at least {lo}"
            )
            what = {"lat": "latitude", "lon": "longitude"}.get(
                str(path[-1]) if path else "", "value"
            )
            out.append(
                doc.loc(path).error(
                    f"{what} {_describe(inst)} is out of range (expected a number {rng})"
                )
            )
        elif v == "enum":
            allowed = err.validator_value
            out.append(
                doc.loc(path).error(
                    f"{_describe(inst)} is not allowed{suggest(inst, allowed)} (expected one of: "
                    f"{', '.join(map(str, allowed))})"
                )
            )
        elif v == "const":
            out.append(doc.loc(path).error(f"{_describe(inst)}: expected {err.validator_value}"))
        else:
            expected = sch.get("description") or err.message
            if v == "type":
                expected = f"expected {err.validator_value}"
            elif v == "pattern":
                expected = f"expected {sch.get('description') or 'pattern ' + err.validator_value}"
            elif v in ("minItems", "minLength", "minProperties"):
                expected = f"expected at least {err.validator_value} item(s)"
            elif v == "anyOf":
                expected = f"expected {expected}"
            out.append(doc.loc(path).error(f"{_describe(inst)} is not valid ({expected})"))
    return out


# --------------------------------------------------------------------------- semantic stage


class Checker:
    """Builds the typed model from schema-valid-ish data, collecting every semantic problem."""

    def __init__(self, doc: Doc, root: Path) -> None:
        self.doc = doc
        self.root = root
        self.errors: list[SourceError] = []
        self.literal = doc.data.get("literal") is True

    def err(self, path: Path_, message: str, key: bool = False) -> None:
        self.errors.append(self.doc.loc(path, key=key).error(message))

    def check_ref(self, entry: dict, key: str, path: Path_, known: Any, kind: str) -> None:
        """Report ``entry[key]`` when it names no known id of this kind."""
        if key in entry and entry[key] not in known:
            value = entry[key]
            self.err((*path, key), f"unknown {kind} '{value}'{suggest(value, known)}")

    def loc(self, path: Path_) -> Loc:
        return LazyLoc(self.doc, tuple(path))  # type: ignore[return-value]

    # -- scalars
    def date(self, value: Any, path: Path_) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.err(path, f"{_describe(value)} is not a valid date (expected YYYY-MM-DD)")
            return None

    def zone(self, value: Any, path: Path_) -> str | None:
        if not isinstance(value, str):
            return None
        if value not in _zones():
            self.err(
                path,
                f"'{value}' is not an IANA time zone{suggest(value, _zones())}"
                " (expected a name like Asia/Vladivostok)",
            )
            return None
        return value

    def time(self, value: Any, path: Path_) -> Time | None:
        m = TIME_RE.match(value) if isinstance(value, str) else None
        if not m or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
            self.err(path, f"{_describe(value)} is not a valid time ({TIME_EXPECTED})")
            return None
        zone = m.group(4)
        if zone is not None and self.zone(zone, path) is None:
            return None
        secs = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)
        return Time(secs, zone, value, self.loc(path))

    def duration(self, value: Any, path: Path_) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool):
            self.err(path, f"{_describe(value)} is not a duration (expected minutes or H:MM)")
            return None
        if isinstance(value, int | float):
            if value < 0:
                self.err(path, f"{value} is negative (expected minutes >= 0)")
                return None
            return round(value * 60)
        m = re.match(r"^(\d+):(\d{2})(?::(\d{2}))?$", str(value))
        if not m or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
            self.err(path, f"{_describe(value)} is not a duration (expected minutes or H:MM)")
            return None
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)

    def names(self, value: Any, path: Path_, lang: str, what: str) -> tuple[str, dict[str, str]]:
        if isinstance(value, dict):
            names = {str(k): str(v) for k, v in value.items()}
            if lang in names:
                return names[lang], names
            self.err(
                path, f"{what} has no name in the feed language '{lang}' (has: {', '.join(names)})"
            )
            return next(iter(names.values()), ""), names
        return ("" if value is None else str(value)), {}

    def unique(self, items: list[tuple[str, Path_]], what: str) -> None:
        seen: dict[str, Path_] = {}
        for ident, path in items:
            if ident in seen:
                first = self.doc.loc(seen[ident])
                self.err(
                    path,
                    f"duplicate {what} id '{ident}' (first defined at {first.file}:{first.line})",
                )
            else:
                seen[ident] = path

    # -- sections
    def build(self, name: str) -> Network:
        d = self.doc.data
        feed = self.build_feed(d.get("feed") or {})
        if self.literal and "feed" not in d:
            feed.lang = ""
        agencies = [
            self.build_agency(a, ("agencies", i), feed.lang)
            for i, a in enumerate(d.get("agencies") or [])
            if isinstance(a, dict)
        ]
        self.unique(
            [(a.id, ("agencies", i, "id")) for i, a in enumerate(agencies) if a.id], "agency"
        )
        agency_tz = agencies[0].timezone if agencies else "UTC"
        for i, a in enumerate(agencies[1:], 1):
            if a.timezone != agency_tz:
                self.err(
                    ("agencies", i, "timezone"),
                    f"'{a.timezone}' differs from the first "
                    f"agency's time zone '{agency_tz}' (GTFS: every agency_timezone must be "
                    "the same; give foreign stops their own 'timezone' instead)",
                )
        stops = self.build_stops(feed.lang, agency_tz)
        services = [
            self.build_service(s, ("services", i))
            for i, s in enumerate(d.get("services") or [])
            if isinstance(s, dict)
        ]
        self.unique([(s.id, ("services", i, "id")) for i, s in enumerate(services)], "service")
        stop_ids = {s.id: s for s in stops}
        service_ids = {s.id for s in services}
        agency_ids = {a.id for a in agencies}
        routes = []
        for i, r in enumerate(d.get("routes") or []):
            if isinstance(r, dict):
                routes.append(
                    self.build_route(r, ("routes", i), feed.lang, agency_ids, stop_ids, service_ids)
                )
        self.unique([(r.id, ("routes", i, "id")) for i, r in enumerate(routes)], "route")
        pats = [
            (p.id, ("routes", i, "patterns", j, "id"))
            for i, r in enumerate(routes)
            for j, p in enumerate(r.patterns)
        ]
        self.unique(pats, "pattern")
        trip_ids = [
            (t.id, ("routes", i, "patterns", j, "trips", k, "id"))
            for i, r in enumerate(routes)
            for j, p in enumerate(r.patterns)
            for k, t in enumerate(p.trips)
            if t.id
        ]
        self.unique(trip_ids, "trip")
        transfers = []
        for i, t in enumerate(d.get("transfers") or []):
            if not isinstance(t, dict):
                continue
            path = ("transfers", i)
            for key in ("from", "to"):
                self.check_ref(t, key, path, stop_ids, "stop")
            route_ids = {r.id for r in routes}
            for key in ("from_route", "to_route"):
                self.check_ref(t, key, path, route_ids, "route")
            transfers.append(
                Transfer(
                    t.get("from") if self.literal else str(t.get("from")),
                    t.get("to") if self.literal else str(t.get("to")),
                    t.get("from_route"),
                    t.get("to_route"),
                    int(t.get("type", 0)) if isinstance(t.get("type"), int) else 0,
                    self.duration(t.get("min_time"), (*path, "min_time")),
                    self.loc(path),
                    t.get("extra") or {},
                )
            )
        translations = [
            Translation(
                str(t.get("table")),
                str(t.get("field")),
                str(t.get("language")),
                str(t.get("translation")),
                t.get("record_id"),
                t.get("record_sub_id"),
                t.get("field_value"),
                self.loc(("translations", i)),
                t.get("extra") or {},
            )
            for i, t in enumerate(d.get("translations") or [])
            if isinstance(t, dict)
        ]
        net = Network(
            name, str(self.root), feed, agencies, stops, routes, services, transfers, translations
        )
        net.literal = self.literal
        net.has_feed = "feed" in d or not self.literal
        net.shapes = self.build_shapes(d.get("shapes") or [])
        return net

    def build_shapes(self, shapes: list[Any]) -> dict[str, list[tuple[float, float, float | None]]]:
        """The ``shapes`` section: points with their own shape_dist_traveled, by shape id."""
        out: dict[str, list[tuple[float, float, float | None]]] = {}
        for i, s in enumerate(shapes):
            if not isinstance(s, dict):
                continue
            sid = str(s.get("id"))
            if sid in out:
                self.err(("shapes", i, "id"), f"duplicate shape id '{sid}'")
            out[sid] = [
                (p[0], p[1], p[2] if len(p) > 2 else None)
                for p in s.get("points") or []
                if isinstance(p, list) and len(p) >= 2
            ]
        return out

    def build_feed(self, f: dict[str, Any]) -> Feed:
        start = self.date(f.get("start_date"), ("feed", "start_date"))
        end = self.date(f.get("end_date"), ("feed", "end_date"))
        if start and end and end < start:
            self.err(
                ("feed", "end_date"),
                f"date range ends before it starts: end_date {end} is before start_date {start}",
            )
        lang = str(f.get("lang") or ("" if self.literal else "en"))
        lang = lang if self.literal else lang.lower()
        return Feed(
            str(f.get("publisher_name", "")),
            str(f.get("publisher_url", "")),
            lang,
            (f["default_lang"] if self.literal else str(f["default_lang"]).lower())
            if f.get("default_lang")
            else None,
            start,
            end,
            f.get("version"),
            f.get("contact_email"),
            f.get("contact_url"),
            self.loc(("feed",)),
            f.get("extra") or {},
        )

    def build_agency(self, a: dict[str, Any], path: Path_, lang: str) -> Agency:
        name, names = self.names(a.get("name"), (*path, "name"), lang, f"agency '{a.get('id')}'")
        tz = self.zone(a.get("timezone"), (*path, "timezone")) or "UTC"
        lit = self.literal
        return Agency(
            str(a.get("id")) if not lit or "id" in a else "",
            name,
            names,
            str(a.get("url", "")),
            tz,
            (a["lang"] if lit else a["lang"].lower()) if a.get("lang") else None,
            a.get("phone"),
            a.get("fare_url"),
            a.get("email"),
            self.loc(path),
            a.get("extra") or {},
        )

    def build_stops(self, lang: str, agency_tz: str) -> list[Stop]:
        out: list[Stop] = []
        ids: list[tuple[str, Path_]] = []
        for i, s in enumerate(self.doc.data.get("stations") or []):
            if not isinstance(s, dict):
                continue
            path = ("stations", i)
            name, names = self.names(
                s.get("name"), (*path, "name"), lang, f"station '{s.get('id')}'"
            )
            tz = self.zone(s.get("timezone"), (*path, "timezone")) if "timezone" in s else agency_tz
            tz = tz or agency_tz
            platforms = [p for p in (s.get("platforms") or []) if isinstance(p, dict)]
            ids.append((str(s.get("id")), (*path, "id")))
            out.append(
                Stop(
                    str(s.get("id")),
                    name,
                    names,
                    _num(s.get("lat")),
                    _num(s.get("lon")),
                    tz,
                    1 if platforms else 0,
                    None,
                    s.get("code"),
                    s.get("desc"),
                    s.get("url"),
                    None,
                    s.get("wheelchair_boarding"),
                    self.loc(path),
                    extra=s.get("extra") or {},
                )
            )
            for j, p in enumerate(platforms):
                ppath = (*path, "platforms", j)
                if "name" in p:
                    pname, pnames = self.names(
                        p["name"], (*ppath, "name"), lang, f"platform '{p.get('id')}'"
                    )
                else:
                    pname, pnames = name, names
                ids.append((str(p.get("id")), (*ppath, "id")))
                out.append(
                    Stop(
                        str(p.get("id")),
                        pname,
                        pnames,
                        _num(p.get("lat", s.get("lat"))),
                        _num(p.get("lon", s.get("lon"))),
                        tz,
                        0,
                        str(s.get("id")),
                        p.get("code"),
                        None,
                        None,
                        p.get("platform_code"),
                        p.get("wheelchair_boarding"),
                        self.loc(ppath),
                    )
                )
        for i, s in enumerate(self.doc.data.get("stops") or []):
            if not isinstance(s, dict):
                continue
            path = ("stops", i)
            name, names = self.names(s.get("name"), (*path, "name"), lang, f"stop '{s.get('id')}'")
            tz = self.zone(s.get("timezone"), (*path, "timezone")) if "timezone" in s else agency_tz
            ids.append((str(s.get("id")), (*path, "id")))
            lit = self.literal
            out.append(
                Stop(
                    str(s.get("id")),
                    name,
                    names,
                    s.get("lat") if lit else _num(s.get("lat")),
                    s.get("lon") if lit else _num(s.get("lon")),
                    tz or agency_tz,
                    s.get("location_type") if lit else s.get("location_type", 0),
                    s.get("parent"),
                    s.get("code"),
                    s.get("desc"),
                    s.get("url"),
                    s.get("platform_code"),
                    s.get("wheelchair_boarding"),
                    self.loc(path),
                    "timezone" in s or not lit,
                    s.get("extra") or {},
                )
            )
        self.unique(ids, "stop")
        known = {i for i, _ in ids}
        for i, s in enumerate(self.doc.data.get("stops") or []):
            if isinstance(s, dict):
                self.check_ref(s, "parent", ("stops", i), known, "parent station")
        return out

    def build_service(self, s: dict[str, Any], path: Path_) -> Service:
        days = s.get("days")
        weekdays: tuple[bool, ...] | None = None
        if days == "daily":
            weekdays = (True,) * 7
        elif days == "weekdays":
            weekdays = (True,) * 5 + (False,) * 2
        elif days == "weekends":
            weekdays = (False,) * 5 + (True,) * 2
        elif isinstance(days, list):
            weekdays = tuple(d in days for d in WEEKDAYS)
        start = self.date(s.get("start_date"), (*path, "start_date"))
        end = self.date(s.get("end_date"), (*path, "end_date"))
        if weekdays is not None and (start is None or end is None):
            for key in ("start_date", "end_date"):
                if key not in s:
                    self.err(
                        path,
                        f"missing required field '{key}' (a service with 'days' needs "
                        "a date range)",
                    )
        if start and end and end < start:
            self.err(
                (*path, "end_date"),
                f"date range ends before it starts: end_date {end} is before start_date {start}",
            )
        added = [
            d
            for i, v in enumerate(s.get("added") or [])
            if (d := self.date(v, (*path, "added", i)))
        ]
        removed = [
            d
            for i, v in enumerate(s.get("removed") or [])
            if (d := self.date(v, (*path, "removed", i)))
        ]
        svc = Service(
            str(s.get("id")),
            weekdays,
            start,
            end,
            added,
            removed,  # type: ignore[arg-type]
            self.loc(path),
            s.get("extra") or {},
        )
        if self.literal:  # a feed may define a service that never runs: keep it as it is
            return svc
        if (not start or not end or end >= start) and not svc.active_dates():
            self.err(
                path,
                f"service '{svc.id}' has no active day (expected at least one date "
                "from its days and date range, or an 'added' date)",
            )
        return svc

    def build_route(
        self,
        r: dict[str, Any],
        path: Path_,
        lang: str,
        agency_ids: set[str],
        stops: dict[str, Stop],
        services: set[str],
    ) -> Route:
        if "agency" in r and r["agency"] not in agency_ids:
            self.err(
                (*path, "agency"),
                f"unknown agency '{r['agency']}'{suggest(r['agency'], agency_ids)}",
            )
        rtype = r.get("type", None if self.literal else 2)
        if isinstance(rtype, str):
            rtype = ROUTE_TYPES.get(rtype, 2)
        elif rtype is not None:
            rtype = int(rtype)
        long_name, long_names = (None, {})
        if "long_name" in r:
            long_name, long_names = self.names(
                r["long_name"], (*path, "long_name"), lang, f"route '{r.get('id')}'"
            )
        patterns = [
            self.build_pattern(p, (*path, "patterns", j), stops, services)
            for j, p in enumerate(r.get("patterns") or [])
            if isinstance(p, dict)
        ]
        color = r.get("color")
        text_color = r.get("text_color")
        if self.literal:
            color = color.lstrip("#") if isinstance(color, str) else None
            text_color = text_color.lstrip("#") if isinstance(text_color, str) else None
        else:
            color = color.lstrip("#").upper() if isinstance(color, str) else None
            text_color = text_color.lstrip("#").upper() if isinstance(text_color, str) else None
        return Route(
            str(r.get("id")),
            str(r.get("agency")) if "agency" in r or not self.literal else "",
            str(r.get("short_name", "")),
            long_name,
            long_names,
            r.get("desc"),
            rtype,
            color,
            text_color,
            r.get("url"),
            r.get("sort_order"),
            patterns,
            self.loc(path),
            r.get("extra") or {},
        )

    def _children(self, stops: dict[str, Stop]) -> dict[str, list[str]]:
        """Platforms per station (computed once: patterns are many, stops are many)."""
        cached = getattr(self, "_children_cache", None)
        if cached is None:
            cached = {}
            for s in stops.values():
                if s.parent:
                    cached.setdefault(s.parent, []).append(s.id)
            self._children_cache = cached
        return cached

    def build_pattern(
        self, p: dict[str, Any], path: Path_, stops: dict[str, Stop], services: set[str]
    ) -> Pattern:
        pstops: list[PatternStop] = []
        children = self._children(stops)
        needs_runs = bool(p.get("frequencies")) or any(
            isinstance(t, dict) and "times" not in t for t in p.get("trips") or []
        )
        for k, ps in enumerate(p.get("stops") or []):
            if not isinstance(ps, dict):
                continue
            spath = (*path, "stops", k)
            sid = str(ps.get("stop"))
            if sid not in stops:
                self.err(
                    (*spath, "stop"),
                    f"unknown stop '{sid}'{suggest(sid, stops)} (expected "
                    "the id of a station, platform or stop)",
                )
            elif stops[sid].location_type == 1 and not self.literal:
                kids = children.get(sid, [])
                if len(kids) == 1:
                    sid = kids[0]
                else:
                    self.err(
                        (*spath, "stop"),
                        f"station '{sid}' has {len(kids)} platforms "
                        f"(expected one of: {', '.join(kids)})",
                    )
            run = ps.get("run")  # whole minutes need no check: skip the call and its path tuple
            run = (
                run * 60
                if run.__class__ is int and run >= 0
                else self.duration(run, (*spath, "run"))
            )
            if k > 0 and run is None and "run" not in ps:
                dist, speed = ps.get("distance_km"), ps.get("speed_kmh")
                if isinstance(dist, int | float) and isinstance(speed, int | float) and speed > 0:
                    run = round(dist / speed * 3600)
                elif needs_runs:
                    self.err(
                        spath,
                        "missing run time: give 'run' (minutes) or 'distance_km' "
                        "and 'speed_kmh' (needed by departures and frequencies)",
                    )
            dwell = ps.get("dwell", 0)
            if dwell.__class__ is not int or dwell < 0:
                dwell = self.duration(dwell, (*spath, "dwell")) or 0
            else:
                dwell *= 60
            tp = ps.get("timepoint")
            pstops.append(
                PatternStop(
                    sid,
                    run if k > 0 else None,
                    dwell,
                    bool(tp),
                    ps.get("headsign"),
                    ps.get("pickup"),
                    ps.get("drop_off"),
                    self.loc(spath),
                    bool(ps.get("untimed", False)),
                    ps.get("dist"),
                    None if tp is None else int(tp),
                    ps.get("extra") or {},
                )
            )
        trips = []
        for k, t in enumerate(p.get("trips") or []):
            if not isinstance(t, dict):
                continue
            tpath = (*path, "trips", k)
            self.check_ref(t, "service", tpath, services, "service")
            given = [key for key in ("departure", "departures", "times") if key in t]
            if len(given) != 1:
                self.err(
                    tpath,
                    "expected exactly one of 'departure', 'departures' or 'times'"
                    + (f" (got {', '.join(given)})" if given else ""),
                )
            deps: list[Time] = []
            if "departure" in t:
                tm = self.time(t["departure"], (*tpath, "departure"))
                deps = [tm] if tm else []
            for n, v in enumerate(t.get("departures") or []):
                tm = self.time(v, (*tpath, "departures", n))
                if tm:
                    deps.append(tm)
            times: list[StopTimeIn | None] | None = None
            if isinstance(t.get("times"), list):
                times = []
                if len(t["times"]) != len(pstops):
                    self.err(
                        (*tpath, "times"),
                        f"{len(t['times'])} entries for a pattern of "
                        f"{len(pstops)} stops (expected one entry per stop, ~ to derive)",
                    )
                for n, e in enumerate(t["times"]):
                    epath = (*tpath, "times", n)
                    if isinstance(e, str):  # one time: arrival = departure
                        tm = self.time(e, epath)
                        times.append(StopTimeIn(tm, tm, self.loc(epath)))
                        continue
                    if not isinstance(e, dict) or not e:
                        times.append(None)
                        continue
                    arr = self.time(e["arrival"], (*epath, "arrival")) if "arrival" in e else None
                    dep = (
                        self.time(e["departure"], (*epath, "departure"))
                        if "departure" in e
                        else None
                    )
                    times.append(StopTimeIn(arr, dep, self.loc(epath)))
                for n in (0, len(t["times"]) - 1):
                    if t["times"] and times[n] is None:
                        self.err(
                            (*tpath, "times", n), "the first and last stop need a published time"
                        )
            lists = {}
            for key in ("ids", "short_names", "blocks"):
                if key in t:
                    lists[key] = t[key]
                    if not isinstance(t.get("departures"), list) or len(t[key]) != len(
                        t["departures"]
                    ):
                        self.err(
                            (*tpath, key),
                            f"'{key}' has {len(t[key])} entries (expected one per entry of "
                            "'departures')",
                        )
            trips.append(
                Trip(
                    t.get("id"),
                    str(t.get("service")),
                    t.get("trip_short_name"),
                    t.get("headsign"),
                    t.get("block"),
                    deps,
                    times,
                    self.loc(tpath),
                    lists.get("ids"),
                    lists.get("short_names"),
                    lists.get("blocks"),
                    t.get("extra") or {},
                )
            )
        freqs = []
        for k, f in enumerate(p.get("frequencies") or []):
            if not isinstance(f, dict):
                continue
            fpath = (*path, "frequencies", k)
            self.check_ref(f, "service", fpath, services, "service")
            start = self.time(f.get("start"), (*fpath, "start")) if "start" in f else None
            end = self.time(f.get("end"), (*fpath, "end")) if "end" in f else None
            headway = f.get("headway_secs") or self.duration(f.get("headway"), (*fpath, "headway"))
            if not headway:
                self.err(fpath, "missing 'headway' (minutes) or 'headway_secs' (expected > 0)")
            if start and end and end.seconds <= start.seconds and (start.zone == end.zone):
                self.err((*fpath, "end"), f"end {end.text!r} is not after start {start.text!r}")
            if start and end and headway:
                freqs.append(
                    Frequency(
                        f.get("id"),
                        str(f.get("service")),
                        start,
                        end,
                        int(headway),
                        bool(f.get("exact_times", False)),
                        bool(f.get("expand", False)),
                        self.loc(fpath),
                    )
                )
        shape = None
        if isinstance(p.get("shape"), dict):
            shape = self.build_shape(p["shape"], (*path, "shape"))
        return Pattern(
            str(p.get("id")),
            p.get("headsign"),
            p.get("direction"),
            p.get("wheelchair_accessible"),
            p.get("bikes_allowed"),
            shape,
            pstops,
            trips,
            freqs,
            self.loc(path),
        )

    def build_shape(self, s: dict[str, Any], path: Path_) -> Shape | None:
        if "coords" in s and "geojson" in s:
            self.err(path, "expected 'coords' or 'geojson', not both")
            return None
        if "coords" in s:
            coords = [
                (float(c[0]), float(c[1]))
                for c in s["coords"]
                if isinstance(c, list) and len(c) == 2
            ]
            return Shape(s.get("id"), coords, self.loc(path))
        if "geojson" in s:
            gpath = self.root / str(s["geojson"])
            try:
                geo = json.loads(gpath.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                self.err((*path, "geojson"), f"cannot read GeoJSON '{s['geojson']}': {exc}")
                return None
            if geo.get("type") == "FeatureCollection" and geo.get("features"):
                geo = geo["features"][0]
            if geo.get("type") == "Feature":
                geo = geo.get("geometry") or {}
            if geo.get("type") != "LineString" or len(geo.get("coordinates") or []) < 2:
                self.err(
                    (*path, "geojson"),
                    f"'{s['geojson']}' is not a GeoJSON LineString "
                    "(expected a LineString, Feature or FeatureCollection of one)",
                )
                return None
            coords = [(float(c[1]), float(c[0])) for c in geo["coordinates"]]  # GeoJSON: lon, lat
            bad = [c for c in coords if not (-90 <= c[0] <= 90 and -180 <= c[1] <= 180)]
            if bad:
                self.err(
                    (*path, "geojson"),
                    f"coordinate {bad[0]} is out of range (expected [lon, lat] in degrees)",
                )
                return None
            return Shape(s.get("id"), coords, self.loc(path))
        return Shape(s.get("id"), None, self.loc(path))


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def digest(doc: Doc, root: Path) -> str:
    """sha256 of the normalized source (and referenced GeoJSON, and kept files/), so equal input
    → equal version."""
    h = hashlib.sha256(json.dumps(doc.data, sort_keys=True, ensure_ascii=False).encode())
    for route in doc.data.get("routes") or []:
        for pat in route.get("patterns") or [] if isinstance(route, dict) else []:
            shape = pat.get("shape") if isinstance(pat, dict) else None
            if isinstance(shape, dict) and isinstance(shape.get("geojson"), str):
                with contextlib.suppress(OSError):
                    h.update((root / shape["geojson"]).read_bytes())
    for kept in kept_file_paths(root):  # files copied into the feed as they are
        if kept.is_file():
            h.update(kept.name.encode())
            h.update(kept.read_bytes())
    return h.hexdigest()


KEPT_FILES_DIR = "files"


def kept_file_paths(root: Path | str) -> list[Path]:
    """``<source>/files/*`` by name, hidden entries (``.gitkeep``, ``.DS_Store``) left out: what
    the build copies into the feed byte for byte (folders among them are refused there)."""
    folder = Path(root) / KEPT_FILES_DIR
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)


def load_source(source_dir: Path | str) -> Network:
    """Load and check a source folder; raise :class:`SourceErrors` listing every problem."""
    with gc_paused():
        return _load_source(Path(source_dir))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a build step.

    A large source makes millions of small acyclic objects, which trigger hundreds of full-heap
    scans (a third of the model build, and again during compiling) with nothing to free;
    reference counting frees them all the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_source(root: Path) -> Network:
    if not root.is_dir():
        raise SourceErrors(
            [
                SourceError(
                    str(root),
                    0,
                    0,
                    "",
                    "not a directory (expected a folder of *.yaml source files)",
                )
            ]
        )
    doc, errors = read_yaml(root)
    if errors:
        raise SourceErrors(errors)
    errors = schema_errors(doc)
    checker = Checker(doc, root)
    try:
        network = checker.build(root.resolve().name)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        if not errors:  # a real bug: the schema should have caught malformed input
            raise
        raise SourceErrors(errors) from None
    errors += checker.errors
    if errors:
        raise SourceErrors(errors)
    network.digest = digest(doc, root)
    return network
