"""Compile a checked :class:`~gtfs_builder.source.Network` into GTFS tables (pandas DataFrames)."""

from gtfs_builder.compile.tables import compile_network

__all__ = ["compile_network"]
