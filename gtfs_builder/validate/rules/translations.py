"""translations.txt rules: the table a row names, the ids it carries and the record they point at.

Canonical semantics (TranslationFieldAndReferenceValidator), per row:
- ``table_name`` must name a GTFS table present in the feed, else translation_unknown_table_name.
- A ``field_value`` translation must not carry record_id / record_sub_id (each one present is a
  translation_unexpected_value).
- Otherwise the parent's key decides: no key columns forbid both ids, one key column wants
  record_id only, two or more want both. A forbidden id is translation_unexpected_value, a
  missing one missing_required_field; a missing record_id stops the row.
- The remaining rows must resolve: single key by string, single-row tables by any row, the
  annotated composite keys (stop_times, shapes, frequencies, calendar_dates, transfers) by typed
  comparison with every other key column at its default; any other table never resolves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder import spec
from gtfs_builder.validate import fieldtypes
from gtfs_builder.validate.notices import NOTICE_TYPES, Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

TRANSLATIONS = "translations.txt"
# Parent tables whose composite key the canonical validator can look up: record_id and
# record_sub_id map to these columns; every other key column must be empty.
COMPOSITE_KEYS = {
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "shapes.txt": ("shape_id", "shape_pt_sequence"),
    "frequencies.txt": ("trip_id", "start_time"),
    "calendar_dates.txt": ("service_id", "date"),
    "transfers.txt": ("from_stop_id", "to_stop_id"),
}


def _key_columns(parent: str) -> tuple[str, ...] | None:
    fspec = spec.FILES.get(parent)
    if fspec is None or parent == TRANSLATIONS:  # translations cannot translate themselves
        return None
    return fspec.primary_key


def _typed_ids(values: pd.Series, parent: str, column: str) -> pd.Series:
    """record ids converted to the parent column's type (strings stay strings)."""
    fspec = spec.field_spec(parent, column)
    kind = fspec.type if fspec else "text"
    if kind in ("integer", "enum", "date", "time"):
        return fieldtypes.parse(values.astype("str"), kind).astype("object")
    return values.astype("object")


def _resolved(feed: Feed, parent: str, rows: pd.DataFrame) -> pd.Series:
    """Whether each candidate row's (record_id, record_sub_id) names a record of ``parent``."""
    fspec = spec.FILES[parent]
    table = feed.table(parent)
    keys = fspec.primary_key
    if fspec.single_row:
        return pd.Series(not table.empty, index=rows.index)
    if len(keys) == 1:
        return rows["record_id"].isin(set(column(table, keys[0]).dropna()))
    if parent not in COMPOSITE_KEYS:
        return pd.Series(False, index=rows.index)
    id_col, sub_col = COMPOSITE_KEYS[parent]
    others = [k for k in keys if k not in (id_col, sub_col)]
    usable = table
    for other in others:
        usable = usable[column(usable, other).isna()]
    known = pd.DataFrame(
        {
            "a": column(usable, id_col).astype("object"),
            "b": feed.typed(parent, sub_col).reindex(usable.index).astype("object"),
        }
    ).dropna()
    wanted = pd.DataFrame(
        {
            "a": rows["record_id"].astype("object"),
            "b": _typed_ids(rows["record_sub_id"], parent, sub_col),
        },
        index=rows.index,
    )
    pairs = set(zip(known["a"], known["b"], strict=True))
    return pd.Series(
        [(a, b) in pairs for a, b in zip(wanted["a"], wanted["b"], strict=True)],
        index=rows.index,
    )


@rule(
    files=[TRANSLATIONS],
    notices={
        "translation_unknown_table_name": (
            Severity.WARNING,
            "A translation names a table that is not a GTFS table present in the feed.",
        ),
        "translation_unexpected_value": (
            Severity.ERROR,
            "A translation carries record_id/record_sub_id where it must not.",
        ),
        "translation_foreign_key_violation": (
            Severity.ERROR,
            "A translation's record_id/record_sub_id names no record of its table.",
        ),
    },
)
def check_translations(feed: Feed, notices: Notices) -> None:
    """Table names, id presence and record references of translations.txt (new format)."""
    table = feed.table(TRANSLATIONS)
    if table.empty or not feed.has_column(TRANSLATIONS, "table_name"):
        return
    frame = pd.DataFrame(
        {
            "csv_row": table["csv_row"],
            "table_name": column(table, "table_name"),
            "record_id": column(table, "record_id"),
            "record_sub_id": column(table, "record_sub_id"),
            "field_value": column(table, "field_value"),
        }
    )
    frame["parent"] = frame["table_name"].fillna("") + ".txt"
    known = frame["parent"].map(lambda p: _key_columns(p) is not None and feed.has(p))
    unknown = frame[~known.astype(bool)]
    notices.add_frame(
        "translation_unknown_table_name",
        pd.DataFrame(
            {"csvRowNumber": unknown["csv_row"], "tableName": unknown["table_name"].fillna("")}
        ),
    )

    has_value = frame["field_value"].notna()
    unexpected = []
    for name in ("record_id", "record_sub_id"):
        rows = frame[has_value & frame[name].notna()]
        unexpected.append(
            pd.DataFrame(
                {"csvRowNumber": rows["csv_row"], "fieldName": name, "fieldValue": rows[name]}
            )
        )
    by_key = frame[~has_value & known.astype(bool)].copy()
    n_keys = by_key["parent"].map(lambda p: len(_key_columns(p) or ()))
    want_id, want_sub = n_keys >= 1, n_keys >= 2
    has_id, has_sub = by_key["record_id"].notna(), by_key["record_sub_id"].notna()
    id_wrong = has_id != want_id
    # A missing record_id stops the row; a forbidden one does not (as gtfs-guru reports).
    sub_wrong = ~(id_wrong & ~has_id) & (has_sub != want_sub)
    missing = []
    for name, wrong, present in (
        ("record_id", id_wrong, has_id),
        ("record_sub_id", sub_wrong, has_sub),
    ):
        rows = by_key[wrong & present]
        unexpected.append(
            pd.DataFrame(
                {"csvRowNumber": rows["csv_row"], "fieldName": name, "fieldValue": rows[name]}
            )
        )
        rows = by_key[wrong & ~present]
        missing.append(
            pd.DataFrame(
                {"filename": TRANSLATIONS, "csvRowNumber": rows["csv_row"], "fieldName": name}
            )
        )
    notices.add_frame(
        "translation_unexpected_value",
        pd.concat(unexpected).sort_values("csvRowNumber", kind="stable"),
    )
    if "missing_required_field" in NOTICE_TYPES:
        notices.add_frame(
            "missing_required_field",
            pd.concat(missing).sort_values("csvRowNumber", kind="stable"),
        )

    candidates = by_key[~id_wrong & ~sub_wrong]  # rows with the ids their table expects
    broken = []
    for parent, rows in candidates.groupby("parent", sort=False):  # one pass per parent table
        ok = _resolved(feed, str(parent), rows)
        broken.append(rows[~ok.to_numpy(dtype=bool)])
    if broken:
        bad = pd.concat(broken).sort_values("csv_row", kind="stable")
        notices.add_frame(
            "translation_foreign_key_violation",
            pd.DataFrame(
                {
                    "csvRowNumber": bad["csv_row"],
                    "tableName": bad["table_name"].fillna(""),
                    "recordId": bad["record_id"].fillna(""),
                    "recordSubId": bad["record_sub_id"].fillna(""),
                }
            ),
        )
