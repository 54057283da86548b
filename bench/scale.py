"""Scaled feeds: a real GTFS feed copied N times with prefixed ids, streamed into a zip.

Why this shape: national feeds are many agencies' worth of ordinary data, so N disjoint copies of a
real feed exercise every rule the way a big real feed does (same row mix, same ratios between
tables), while staying valid whenever the base is. Each table of the base is parsed once and turned
into a text *template* in which every non-empty id value carries a placeholder; copy k is then one
`str.replace` of the placeholder by `c{k}_`. Only the base table is ever in memory, so the 20 M-row
feed needs tens of MB, and writing it is bound by deflate rather than by Python.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCALER_VERSION = 1
"""Bump when the output format changes so cached feeds are rebuilt."""

PLACEHOLDER = "\ue000"
"""Private-use character: cannot occur in a real feed, so replacing it touches only ids."""

NOT_IDS = frozenset({"direction_id"})
"""Columns named `*_id` that hold an enum, not an identifier."""

EXTRA_ID_COLUMNS = frozenset({"parent_station"})
"""Identifier columns whose names do not end in `_id`."""

SINGLETON_TABLES = frozenset({"feed_info.txt"})
"""Tables the spec allows once per feed: written once, unprefixed."""

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FEEDS = REPO_ROOT / ".." / "shared" / "feeds"
DEFAULT_CACHE = Path(__file__).resolve().parent / "cache"
DEFAULT_BASE = SHARED_FEEDS / "valid_seattle_area_partridge.zip"


@dataclass(frozen=True)
class ScaledFeed:
    """A cached scaled feed and what it holds."""

    path: Path
    base: Path
    copies: int
    rows: dict[str, int]

    @property
    def stop_times_rows(self) -> int:
        return self.rows.get("stop_times.txt", 0)


def parse_size(text: str) -> int:
    """'0.5M' -> 500000, '20k' -> 20000, '1234' -> 1234 (CLI-friendly row counts)."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if not m:
        raise ValueError(f"not a row count: {text!r} (use e.g. 500k, 0.5M, 20M)")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return round(float(m.group(1)) * factor)


def format_size(rows: int) -> str:
    """Inverse of `parse_size` for labels: 514845 -> '0.5M'."""
    if rows >= 1_000_000:
        return f"{rows / 1_000_000:.3g}M"
    if rows >= 1_000:
        return f"{rows / 1_000:.3g}k"
    return str(rows)


def copies_for(target_rows: int, base_rows: int) -> int:
    """How many copies of the base bring stop_times closest to the target."""
    if base_rows <= 0:
        raise ValueError("base feed has no stop_times rows")
    return max(1, round(target_rows / base_rows))


def file_hash(path: Path) -> str:
    """Short content hash: the cache key must change when the base feed does."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:12]


def is_id_column(name: str) -> bool:
    return (name.endswith("_id") and name not in NOT_IDS) or name in EXTRA_ID_COLUMNS


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass(frozen=True)
class _Template:
    """One base table: header line, data rows with id placeholders, data-row count."""

    header: str
    body: str
    rows: int
    has_ids: bool
    id_rows: int


def _template(data: bytes) -> _Template:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(reader, None)
    if header is None:
        return _Template("", "", 0, False, 0)
    header = [h.strip() for h in header]
    id_cols = [i for i, h in enumerate(header) if is_id_column(h)]
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(header)
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    rows = id_rows = 0
    for row in reader:
        if not row:
            continue
        has_id = False
        for i in id_cols:
            if i < len(row) and row[i] != "":
                row[i] = PLACEHOLDER + row[i]
                has_id = True
        writer.writerow(row)
        rows += 1
        id_rows += has_id
    return _Template(head.getvalue(), body.getvalue(), rows, bool(id_cols), id_rows)


def _agency_has_ids(tpl: _Template) -> bool:
    """Agencies without agency_id cannot be duplicated (several agencies need ids): copy once."""
    return tpl.rows > 0 and tpl.id_rows == tpl.rows


def _copies(tpl: _Template, n: int) -> Iterator[bytes]:
    """Yield the body of copy 0..n-1, one copy at a time (bounded memory)."""
    for k in range(n):
        yield tpl.body.replace(PLACEHOLDER, f"c{k}_").encode("utf-8")


def scale_feed(src: Path, n: int, out: Path, *, compresslevel: int = 6) -> dict[str, int]:
    """Write `n` prefixed copies of every table of `src` into the zip `out`; return row counts.

    `feed_info.txt` is written once; `agency.txt` is written once when it has no agency_id
    (routes then reference no agency). Files other than root `.txt` tables are copied as they are.
    The zip is written to a temporary name and renamed, so an interrupted run leaves no
    half-written feed in the cache.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    rows: dict[str, int] = {}
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            zipfile.ZipFile(src) as zin,
            zipfile.ZipFile(
                tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
            ) as zout,
        ):
            for info in zin.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                if "/" in name or not name.endswith(".txt"):
                    zout.writestr(name, zin.read(info))
                    continue
                tpl = _template(zin.read(info))
                once = name in SINGLETON_TABLES or not tpl.has_ids
                if name == "agency.txt" and not _agency_has_ids(tpl):
                    once = True
                copies = 1 if once else n
                zinfo = zipfile.ZipInfo(name, date_time=info.date_time)
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zinfo._compresslevel = compresslevel  # no public setter
                with zout.open(zinfo, "w", force_zip64=True) as f:
                    f.write(tpl.header.encode("utf-8"))
                    if once:
                        f.write(tpl.body.replace(PLACEHOLDER, "").encode("utf-8"))
                    else:
                        for chunk in _copies(tpl, copies):
                            f.write(chunk)
                rows[name] = tpl.rows * copies
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return rows


def count_rows(src: Path, table: str = "stop_times.txt") -> int:
    """Data rows of one table of a (small, base) feed."""
    with zipfile.ZipFile(src) as z:
        if table not in z.namelist():
            return 0
        return _template(z.read(table)).rows


def scaled_feed(
    base: Path, target_rows: int, cache_dir: Path = DEFAULT_CACHE, *, log: bool = True
) -> ScaledFeed:
    """The cached feed of `base` scaled to about `target_rows` stop_times rows (made if missing).

    Keyed by base hash + copy count + scaler version; a JSON sidecar keeps the row counts so a
    cached feed is never re-read just to be described.
    """
    base = base.resolve()
    n = copies_for(target_rows, count_rows(base))
    key = f"{base.stem}-{file_hash(base)}-v{SCALER_VERSION}-x{n}"
    path = cache_dir / f"{key}.zip"
    meta = cache_dir / f"{key}.json"
    if path.exists() and meta.exists():
        rows = json.loads(meta.read_text())["rows"]
    else:
        if log:
            print(f"  scaling {base.name} x{n} -> {path.name}", flush=True)
        rows = scale_feed(base, n, path)
        meta.write_text(json.dumps({"base": str(base), "copies": n, "rows": rows}, indent=1))
    return ScaledFeed(path=path, base=base, copies=n, rows=rows)
