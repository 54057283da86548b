"""``gtfs-builder import``: turn any GTFS feed into a literal source folder that rebuilds it.

Library first: :func:`import_feed` reads the feed (read-only reuse of the validator's reader),
converts it (:mod:`.convert`) and writes JSON source files plus ``files/``: every other file of
the feed (tables the format does not model, ``locations.geojson``, a README, a logo ...), byte for
byte, so the build puts it back as it was.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtfs_builder.importer.convert import convert
from gtfs_builder.importer.read import FeedImportError, read_feed

__all__ = ["FeedImportError", "ImportResult", "import_feed"]


@dataclass
class ImportResult:
    """What ``import_feed`` wrote: the folder, counts per kind of entity, files kept as is."""

    output: Path
    counts: dict[str, int]
    files_kept: list[str]
    not_kept: list[str] = field(default_factory=list)  # files a source cannot carry, why
    notes: list[str] = field(default_factory=list)


# lists written one item per line (the rest of a value stays on its line)
EXPAND = {
    "agencies", "stops", "routes", "patterns", "trips", "frequencies", "services", "shapes",
    "transfers", "translations",
}  # fmt: skip


def _layout(value: Any, depth: int, key: str | None = None) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, list) and value and key in EXPAND:
        items = ",\n".join(inner + _layout(v, depth + 1) for v in value)
        return f"[\n{items}\n{pad}]"
    if isinstance(value, dict) and any(
        k in EXPAND and isinstance(v, list) and v for k, v in value.items()
    ):
        items = ",\n".join(
            f"{inner}{json.dumps(k)}: {_layout(v, depth + 1, k)}" for k, v in value.items()
        )
        return f"{{\n{items}\n{pad}}}"
    return json.dumps(value, ensure_ascii=False)


def _dump(doc: dict[str, Any]) -> str:
    """JSON laid out for people (a route, pattern, pattern stop or trip entry per line) and
    loaded fast (no YAML parser needed)."""
    return _layout(doc, 0) + "\n"


def import_feed(
    feed: Path | str, output: Path | str, *, force: bool = False, headways: bool = False
) -> ImportResult:
    """Import ``feed`` (zip or folder) into the source folder ``output``.

    Refuses a non-empty ``output`` unless ``force`` (then its previous content is replaced).
    ``headways``: regular runs of identical trips become expanded frequencies (new trip ids).
    Raises :class:`FeedImportError` with a one-line reason for anything that is not a usable feed.
    """
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise FeedImportError(f"{output}: exists and is not a directory")
    if output.is_dir() and any(output.iterdir()) and not force:
        raise FeedImportError(f"{output}: directory is not empty (use --force to replace it)")
    raw = read_feed(feed)
    try:
        conv = convert(raw, headways=headways)
    except (ValueError, KeyError, TypeError) as exc:  # malformed values the validator flags
        raise FeedImportError(
            f"{feed}: cannot import ({type(exc).__name__}: {exc}); run `gtfs-builder validate` "
            "on it: import expects a feed without ERRORs"
        ) from None
    if output.is_dir() and force:
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    for name, doc in conv.documents.items():
        (output / name).write_text(_dump(doc), encoding="utf-8")
    if conv.files:
        (output / "files").mkdir()
        for name, data in conv.files.items():
            (output / "files" / name).write_bytes(data)
    # a source's files/ leaves hidden files out of the feed (.gitkeep, .DS_Store)
    hidden = sorted(n for n in conv.files if n.startswith("."))
    not_kept = [f"{n}: in files/, but a build leaves hidden files out" for n in hidden]
    kept = sorted(set(conv.files) - set(hidden))
    return ImportResult(output, conv.counts, kept, not_kept + raw.skipped, conv.notes)
