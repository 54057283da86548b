"""gtfs-builder: compile declarative route definitions into a validated GTFS feed."""

__version__ = "0.1.0"
