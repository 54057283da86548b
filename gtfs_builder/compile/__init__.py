"""Compile a checked :class:`~gtfs_builder.source.Network` into GTFS tables (pandas DataFrames),
plus the source's ``files/`` kept byte for byte (:func:`kept_files`)."""

from gtfs_builder.compile.tables import compile_network, kept_files

__all__ = ["compile_network", "kept_files"]
