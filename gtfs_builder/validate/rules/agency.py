"""Agency family: consistency across agencies and agency_id presence when there are several."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, tables_ok

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed




@rule(
    files=["agency.txt", "routes.txt", "fare_attributes.txt"],
    notices={
        "missing_required_agency_id": (
            Severity.ERROR,
            "agency_id is required in agency, routes and fare_attributes when there are"
            " several agencies.",
        ),
    },
)
def check_agency_id_required(feed: Feed, notices: Notices) -> None:
    """With two agencies or more, every agency, route and fare must name its agency."""
    if not tables_ok(feed, "agency.txt", "routes.txt", "fare_attributes.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    agency = feed.table("agency.txt")
    if len(agency) < 2:
        return
    for filename in ("agency.txt", "routes.txt", "fare_attributes.txt"):
        df = feed.table(filename)
        if df.empty:
            continue
        missing = column(df, "agency_id").isna()
        rows = df.loc[missing]
        names = (
            column(rows, "agency_name")
            if filename == "agency.txt"
            else pd.Series(None, index=rows.index, dtype=object)
        )
        frame = pd.DataFrame(
            {"filename": filename, "csvRowNumber": rows["csv_row"], "agencyName": names}
        )
        notices.add_frame("missing_required_agency_id", frame)


@rule(
    files=["agency.txt"],
    notices={
        "inconsistent_agency_timezone": (
            Severity.ERROR,
            "All agencies must share the same agency_timezone.",
        ),
        "inconsistent_agency_lang": (
            Severity.WARNING,
            "All agencies that set agency_lang should share the same language.",
        ),
    },
)
def check_agency_consistency(feed: Feed, notices: Notices) -> None:
    """Agencies share one time zone and one language (compared to the first that sets it)."""
    if not tables_ok(feed, "agency.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    agency = feed.table("agency.txt")
    if len(agency) < 2:
        # The canonical validator returns early for a single agency: nothing to compare.
        return
    tz = column(agency, "agency_timezone").fillna("")
    first_tz = tz.iloc[0]
    bad = agency.loc[(tz != first_tz).to_numpy()]
    notices.add_frame(
        "inconsistent_agency_timezone",
        pd.DataFrame(
            {
                "csvRowNumber": bad["csv_row"],
                "expected": first_tz,
                "actual": column(bad, "agency_timezone"),
            }
        ),
    )
    lang = column(agency, "agency_lang").str.lower()
    langs = lang.dropna()
    if langs.empty:
        return
    common = langs.iloc[0]
    # Locale equality: compare the language tag case-insensitively.
    bad_lang = agency.loc[langs.index[langs != common]]
    notices.add_frame(
        "inconsistent_agency_lang",
        pd.DataFrame(
            {
                "csvRowNumber": bad_lang["csv_row"],
                "expected": common.split("-")[0],
                "actual": lang.loc[bad_lang.index].str.split("-").str[0],
            }
        ),
    )
