"""Source format v1: YAML route definitions, loaded into a checked, typed model.

``load_source(folder)`` returns a :class:`Network` or raises :class:`SourceErrors` carrying every
located problem of the folder.
"""

from gtfs_builder.source.errors import SourceError, SourceErrors
from gtfs_builder.source.loader import load_source, schema
from gtfs_builder.source.model import Network

__all__ = ["Network", "SourceError", "SourceErrors", "load_source", "schema"]
