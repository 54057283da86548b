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
    from gtfs_builder.cli import build_cmd, plan_cmd, validate_cmd

    for module in (build_cmd, validate_cmd, plan_cmd):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
