"""The GTFS Schedule schema: one table the writer, the reader and the key rules all read.

Transcribed from the GTFS reference (https://gtfs.org/schedule/reference), with the presence and
bounds the canonical (MobilityData) validator enforces where the reference is prose ("conditionally
required"), so that field-level notices match the canonical verdicts.

Each file is written in a small DSL, one field per line, in reference order::

    field_name  type  presence  [options...]

``type`` is one of :data:`TYPES`; ``presence`` is ``required``, ``cond`` (conditionally required),
``recommended`` or ``optional``. Options: ``enum=0,1,2``, ``bounds=non_negative|positive|non_zero``,
``fk=file.field``, ``mixed_case`` (customer-facing text), ``end=field[,strict]`` (start/end range),
``default=V``, ``required_column`` (the column must exist though values may be empty),
``currency=field``.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = (
    "id",
    "text",
    "url",
    "email",
    "phone",
    "color",
    "currency_code",
    "currency_amount",
    "date",
    "time",
    "timezone",
    "language_code",
    "integer",
    "float",
    "latitude",
    "longitude",
    "enum",
)

PRESENCES = ("required", "cond", "recommended", "optional")


@dataclass(frozen=True)
class FieldSpec:
    """One column of a GTFS file."""

    name: str
    type: str
    presence: str
    enum: tuple[int, ...] = ()
    bounds: str | None = None  # non_negative | positive | non_zero
    fk: tuple[str, str] | None = None  # (parent file, parent field)
    mixed_case: bool = False
    end: str | None = None  # the field closing a start/end range
    end_strict: bool = False  # the range must not be empty (start < end)
    default: str | None = None
    required_column: bool = False
    currency_field: str | None = None

    @property
    def required(self) -> bool:
        return self.presence == "required"

    @property
    def kind(self) -> str:
        """Type with bounds, as the reference spells it: ``non-negative integer`` and so on."""
        if self.bounds is None:
            return self.type
        return f"{self.bounds.replace('_', '-')} {self.type}"


@dataclass(frozen=True)
class FileSpec:
    """One GTFS file: its fields in reference order, presence, primary key."""

    name: str
    presence: str  # required | cond | recommended | optional
    fields: dict[str, FieldSpec]
    primary_key: tuple[str, ...]
    single_row: bool = False

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required or f.required_column]

    @property
    def foreign_keys(self) -> list[tuple[str, str, str]]:
        """``(child field, parent file, parent field)`` for every declared reference."""
        return [(f.name, *f.fk) for f in self.fields.values() if f.fk]


_DOW = "enum required enum=0,1"
_CONT = "enum optional enum=0,1,2,3 default=1"
_PICKUP = "enum optional enum=0,1,2,3"

_SOURCE: dict[str, tuple[str, str, str]] = {
    # file: (presence, primary key, fields)
    "agency.txt": (
        "required",
        "agency_id",
        """
        agency_id id cond
        agency_name text required mixed_case
        agency_url url required
        agency_timezone timezone required
        agency_lang language_code optional
        agency_phone phone optional
        agency_fare_url url optional
        agency_email email optional
        cemv_support enum optional enum=0,1,2
        """,
    ),
    "stops.txt": (
        "cond",
        "stop_id",
        """
        stop_id id required
        stop_code text optional
        stop_name text cond mixed_case
        tts_stop_name text optional
        stop_desc text optional
        stop_lat latitude cond
        stop_lon longitude cond
        zone_id id cond
        stop_url url optional
        location_type enum optional enum=0,1,2,3,4
        parent_station id cond fk=stops.txt.stop_id
        stop_timezone timezone optional
        wheelchair_boarding enum optional enum=0,1,2
        level_id id optional fk=levels.txt.level_id
        platform_code text optional
        stop_access enum optional enum=0,1
        """,
    ),
    "routes.txt": (
        "required",
        "route_id",
        """
        route_id id required
        agency_id id cond fk=agency.txt.agency_id
        route_short_name text cond mixed_case
        route_long_name text cond mixed_case
        route_desc text optional mixed_case
        route_type enum required enum=0,1,2,3,4,5,6,7,11,12
        route_url url optional
        route_color color optional default=FFFFFF
        route_text_color color optional default=000000
        route_sort_order integer optional bounds=non_negative
        continuous_pickup """
        + _CONT
        + """
        continuous_drop_off """
        + _CONT
        + """
        network_id id cond
        cemv_support enum optional enum=0,1,2
        """,
    ),
    "trips.txt": (
        "required",
        "trip_id",
        """
        route_id id required fk=routes.txt.route_id
        service_id id required
        trip_id id required
        trip_headsign text optional mixed_case
        trip_short_name text optional mixed_case
        direction_id enum optional enum=0,1
        block_id id optional
        shape_id id cond fk=shapes.txt.shape_id
        wheelchair_accessible enum optional enum=0,1,2
        bikes_allowed enum optional enum=0,1,2
        cars_allowed enum optional enum=0,1,2
        safe_duration_factor float optional
        safe_duration_offset float optional
        """,
    ),
    "stop_times.txt": (
        "required",
        "trip_id stop_sequence",
        """
        trip_id id required fk=trips.txt.trip_id
        arrival_time time cond end=departure_time
        departure_time time cond
        stop_id id cond fk=stops.txt.stop_id
        location_group_id id cond fk=location_groups.txt.location_group_id
        location_id id cond
        stop_sequence integer required bounds=non_negative
        stop_headsign text optional
        start_pickup_drop_off_window time optional
        end_pickup_drop_off_window time optional
        pickup_type """
        + _PICKUP
        + """
        drop_off_type """
        + _PICKUP
        + """
        continuous_pickup """
        + _CONT
        + """
        continuous_drop_off """
        + _CONT
        + """
        shape_dist_traveled float optional bounds=non_negative
        timepoint enum optional enum=0,1 default=1
        pickup_booking_rule_id id optional fk=booking_rules.txt.booking_rule_id
        drop_off_booking_rule_id id optional fk=booking_rules.txt.booking_rule_id
        """,
    ),
    "calendar.txt": (
        "cond",
        "service_id",
        f"""
        service_id id required
        monday {_DOW}
        tuesday {_DOW}
        wednesday {_DOW}
        thursday {_DOW}
        friday {_DOW}
        saturday {_DOW}
        sunday {_DOW}
        start_date date required end=end_date
        end_date date required
        """,
    ),
    "calendar_dates.txt": (
        "cond",
        "service_id date",
        """
        service_id id required
        date date required
        exception_type enum required enum=1,2
        """,
    ),
    "fare_attributes.txt": (
        "optional",
        "fare_id",
        """
        fare_id id required
        price float required bounds=non_negative
        currency_type currency_code required
        payment_method enum required enum=0,1
        transfers enum optional enum=0,1,2
        agency_id id cond fk=agency.txt.agency_id
        transfer_duration integer optional bounds=non_negative
        """,
    ),
    "fare_rules.txt": (
        "optional",
        "fare_id route_id origin_id destination_id contains_id",
        """
        fare_id id required fk=fare_attributes.txt.fare_id
        route_id id optional fk=routes.txt.route_id
        origin_id id optional fk=stops.txt.zone_id
        destination_id id optional fk=stops.txt.zone_id
        contains_id id optional fk=stops.txt.zone_id
        """,
    ),
    "timeframes.txt": (
        "optional",
        "timeframe_group_id start_time end_time service_id",
        """
        timeframe_group_id id optional
        start_time time cond end=end_time,strict
        end_time time cond
        service_id text required
        """,
    ),
    "rider_categories.txt": (
        "optional",
        "rider_category_id",
        """
        rider_category_id id required
        rider_category_name text required
        is_default_fare_category enum required_column enum=0,1 default=0
        eligibility_url url optional
        """,
    ),
    "fare_media.txt": (
        "optional",
        "fare_media_id",
        """
        fare_media_id id required
        fare_media_name text optional
        fare_media_type enum required enum=0,1,2,3,4
        """,
    ),
    "fare_products.txt": (
        "optional",
        "fare_product_id fare_media_id rider_category_id",
        """
        fare_product_id id required
        fare_product_name text optional
        rider_category_id id optional fk=rider_categories.txt.rider_category_id
        fare_media_id id optional fk=fare_media.txt.fare_media_id
        amount currency_amount required bounds=non_negative currency=currency
        currency currency_code required
        """,
    ),
    "fare_leg_rules.txt": (
        "optional",
        "network_id from_area_id to_area_id from_timeframe_group_id to_timeframe_group_id"
        " fare_product_id",
        """
        leg_group_id id optional
        network_id id optional
        from_area_id id optional fk=areas.txt.area_id
        to_area_id id optional fk=areas.txt.area_id
        from_timeframe_group_id id optional fk=timeframes.txt.timeframe_group_id
        to_timeframe_group_id id optional fk=timeframes.txt.timeframe_group_id
        fare_product_id id required fk=fare_products.txt.fare_product_id
        rule_priority integer optional bounds=non_negative
        """,
    ),
    "fare_leg_join_rules.txt": (
        "optional",
        "",  # the canonical validator declares no key here
        """
        from_network_id id required
        to_network_id id required
        from_stop_id id cond fk=stops.txt.stop_id
        to_stop_id id cond fk=stops.txt.stop_id
        """,
    ),
    "fare_transfer_rules.txt": (
        "optional",
        "from_leg_group_id to_leg_group_id fare_product_id transfer_count duration_limit",
        """
        from_leg_group_id id optional fk=fare_leg_rules.txt.leg_group_id
        to_leg_group_id id optional fk=fare_leg_rules.txt.leg_group_id
        transfer_count integer cond
        duration_limit integer optional bounds=positive
        duration_limit_type enum cond enum=0,1,2,3
        fare_transfer_type enum required enum=0,1,2
        fare_product_id id optional fk=fare_products.txt.fare_product_id
        """,
    ),
    "areas.txt": (
        "optional",
        "area_id",
        """
        area_id id required
        area_name text optional
        """,
    ),
    "stop_areas.txt": (
        "optional",
        "area_id stop_id",
        """
        area_id id required fk=areas.txt.area_id
        stop_id id required fk=stops.txt.stop_id
        """,
    ),
    "networks.txt": (
        "cond",
        "network_id",
        """
        network_id id required
        network_name text optional mixed_case
        """,
    ),
    "route_networks.txt": (
        "cond",
        "route_id",
        """
        network_id id required fk=networks.txt.network_id
        route_id id required fk=routes.txt.route_id
        """,
    ),
    "shapes.txt": (
        "optional",
        "shape_id shape_pt_sequence",
        """
        shape_id id required
        shape_pt_lat latitude required
        shape_pt_lon longitude required
        shape_pt_sequence integer required bounds=non_negative
        shape_dist_traveled float optional bounds=non_negative
        """,
    ),
    "frequencies.txt": (
        "optional",
        "trip_id start_time",
        """
        trip_id text required fk=trips.txt.trip_id
        start_time time required end=end_time,strict
        end_time time required
        headway_secs integer required bounds=positive
        exact_times enum optional enum=0,1
        """,
    ),
    "transfers.txt": (
        "optional",
        "from_stop_id to_stop_id from_trip_id to_trip_id from_route_id to_route_id",
        """
        from_stop_id id cond fk=stops.txt.stop_id
        to_stop_id id cond fk=stops.txt.stop_id
        from_route_id id optional fk=routes.txt.route_id
        to_route_id id optional fk=routes.txt.route_id
        from_trip_id id cond fk=trips.txt.trip_id
        to_trip_id id cond fk=trips.txt.trip_id
        transfer_type enum required_column enum=0,1,2,3,4,5
        min_transfer_time integer optional bounds=non_negative
        """,
    ),
    "pathways.txt": (
        "optional",
        "pathway_id",
        """
        pathway_id id required
        from_stop_id id required fk=stops.txt.stop_id
        to_stop_id id required fk=stops.txt.stop_id
        pathway_mode enum required enum=1,2,3,4,5,6,7
        is_bidirectional enum required enum=0,1
        length float optional bounds=non_negative
        traversal_time integer optional bounds=positive
        stair_count integer optional bounds=non_zero
        max_slope float optional
        min_width float optional bounds=positive
        signposted_as text optional mixed_case
        reversed_signposted_as text optional mixed_case
        """,
    ),
    "levels.txt": (
        "cond",
        "level_id",
        """
        level_id id required
        level_index float required
        level_name text optional mixed_case
        """,
    ),
    "location_groups.txt": (
        "optional",
        "location_group_id",
        """
        location_group_id id required
        location_group_name text optional mixed_case
        """,
    ),
    "location_group_stops.txt": (
        "optional",
        "",
        """
        location_group_id text required
        stop_id text required
        """,
    ),
    "booking_rules.txt": (
        "optional",
        "booking_rule_id",
        """
        booking_rule_id id required
        booking_type enum required enum=0,1,2
        prior_notice_duration_min integer cond
        prior_notice_duration_max integer cond
        prior_notice_last_day integer cond
        prior_notice_last_time time cond
        prior_notice_start_day integer cond
        prior_notice_start_time time cond
        prior_notice_service_id text cond
        message text optional mixed_case
        pickup_message text optional mixed_case
        drop_off_message text optional mixed_case
        phone_number phone optional
        info_url url optional
        booking_url url optional
        """,
    ),
    "translations.txt": (
        "optional",
        "table_name field_name language record_id record_sub_id field_value",
        """
        table_name text required
        field_name text required
        language language_code required
        translation text required
        record_id text cond
        record_sub_id text cond
        field_value text cond
        """,
    ),
    "feed_info.txt": (
        "cond",
        "",
        """
        feed_publisher_name text required
        feed_publisher_url url required
        feed_lang language_code required
        default_lang language_code optional
        feed_start_date date recommended end=feed_end_date
        feed_end_date date recommended
        feed_version text recommended
        feed_contact_email email optional
        feed_contact_url url optional
        """,
    ),
    "attributions.txt": (
        "optional",
        "attribution_id",
        """
        attribution_id id optional
        agency_id id optional fk=agency.txt.agency_id
        route_id id optional fk=routes.txt.route_id
        trip_id id optional fk=trips.txt.trip_id
        organization_name text required
        is_producer enum optional enum=0,1
        is_operator enum optional enum=0,1
        is_authority enum optional enum=0,1
        attribution_url url optional
        attribution_email email optional
        attribution_phone phone optional
        """,
    ),
}

# Files whose absence the canonical validator reports as missing_recommended_file.
RECOMMENDED_FILES = ("feed_info.txt",)
# Files whose absence is missing_required_file (stops.txt is required unless Flex locations exist).
REQUIRED_FILES = ("agency.txt", "routes.txt", "trips.txt", "stop_times.txt", "stops.txt")
# Non-CSV files of the reference that are not unknown files.
OTHER_KNOWN_FILES = ("locations.geojson",)
# calendar.txt's day columns in reference order: Monday first, so ``CALENDAR_DAYS[d.weekday()]``
# is the column of date ``d``. The one list of day names every reader and writer uses.
CALENDAR_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_field(line: str) -> FieldSpec:
    name, ftype, presence, *options = line.split()
    if presence == "required_column":  # optional values, mandatory header
        presence, options = "optional", ["required_column", *options]
    if ftype not in TYPES or presence not in PRESENCES:
        raise ValueError(f"bad spec line: {line!r}")
    kw: dict = {}
    for opt in options:
        key, _, value = opt.partition("=")
        if key == "enum":
            kw["enum"] = tuple(int(v) for v in value.split(","))
        elif key == "bounds":
            kw["bounds"] = value
        elif key == "fk":
            parent, _, parent_field = value.rpartition(".")
            kw["fk"] = (parent, parent_field)
        elif key == "mixed_case":
            kw["mixed_case"] = True
        elif key == "end":
            end, _, strict = value.partition(",")
            kw["end"] = end
            kw["end_strict"] = strict == "strict"
        elif key == "default":
            kw["default"] = value
        elif key == "required_column":
            kw["required_column"] = True
        elif key == "currency":
            kw["currency_field"] = value
        else:
            raise ValueError(f"bad spec option {opt!r} in {line!r}")
    return FieldSpec(name, ftype, presence, **kw)


def _build() -> dict[str, FileSpec]:
    files = {}
    for name, (presence, key, text) in _SOURCE.items():
        fields = {}
        for line in text.strip().splitlines():
            f = _parse_field(line.strip())
            fields[f.name] = f
        files[name] = FileSpec(
            name, presence, fields, tuple(key.split()), single_row=name == "feed_info.txt"
        )
    return files


FILES: dict[str, FileSpec] = _build()


def column_order(filename: str) -> list[str]:
    """The reference order of the columns of ``filename`` (the writer uses it)."""
    return list(FILES[filename].fields)


def field_spec(filename: str, field: str) -> FieldSpec | None:
    """The spec of one column, or None for a column the reference does not define."""
    spec = FILES.get(filename)
    return spec.fields.get(field) if spec else None


def is_known_file(filename: str) -> bool:
    return filename in FILES or filename in OTHER_KNOWN_FILES


# Enum value names as the canonical validator prints them in notice samples.
LOCATION_TYPE_NAMES = {
    0: "STOP",
    1: "STATION",
    2: "ENTRANCE",
    3: "GENERIC_NODE",
    4: "BOARDING_AREA",
}
ROUTE_TYPE_NAMES = {
    0: "LIGHT_RAIL",
    1: "SUBWAY",
    2: "RAIL",
    3: "BUS",
    4: "FERRY",
    5: "CABLE_TRAM",
    6: "AERIAL_LIFT",
    7: "FUNICULAR",
    11: "TROLLEYBUS",
    12: "MONORAIL",
}
