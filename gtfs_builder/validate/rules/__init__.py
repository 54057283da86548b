"""Rule families: importing this package imports every module in it, which registers its rules.

A new family is a new module here; nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")
