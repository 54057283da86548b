"""The ``gtfs-builder`` command line: thin click wrappers over library functions.

Each command lives in its own module here and only parses arguments, calls one library
function and turns library errors into clean messages and exit codes.
"""

from __future__ import annotations

import click

from gtfs_builder import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gtfs-builder")
def main() -> None:
    """Compile declarative route definitions into GTFS feeds, and validate any GTFS feed."""


def _register() -> None:
    """Add the ``COMMANDS`` of every ``gtfs_builder/cli/*_cmd.py`` module, in name order."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            for command in module.COMMANDS:
                main.add_command(command)


_register()
