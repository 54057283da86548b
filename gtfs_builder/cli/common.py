"""What every command shares: bad input is one ``error: ...`` line on stderr and exit status 2.

Not a command module (no ``_cmd`` suffix): nothing here is registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from gtfs_builder.validate.csvio import InputError


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit 2 (bad input, never a traceback)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


@contextmanager
def feed_input() -> Iterator[None]:
    """Exit 2 with the reason when a feed cannot be read: ``csvio.InputError`` is the base of
    the validator's, import's, diff's and render's input errors."""
    try:
        yield
    except InputError as exc:
        fail(str(exc))


def iso_date(option: str, value: str | None) -> dt.date | None:
    """The value of a YYYY-MM-DD option (None when not given); exit 2 when it is not a date."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a YYYY-MM-DD date")
