"""``--rules CONFIG``: turn notice codes off or change their severity.

YAML or JSON::

    disable: [unknown_column, mixed_case_recommended_field]
    severity: {unexpected_enum_value: ERROR}
"""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML, YAMLError

from gtfs_builder.validate.notices import NOTICE_TYPES, RuleConfig, Severity


class ConfigError(ValueError):
    """The rules config cannot be used; the message says where and why."""


def load_config(path: str | Path) -> RuleConfig:
    """Read and check a rules config; unknown codes or keys raise ``ConfigError``."""
    import gtfs_builder.validate.rules  # noqa: F401  (the registry knows every code)

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else YAML(typ="safe").load(text)
    except (json.JSONDecodeError, YAMLError) as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    return parse_config(data or {}, str(path))


def parse_config(data: object, where: str = "rules config") -> RuleConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with 'disable' and/or 'severity'")
    unknown_keys = set(data) - {"disable", "severity"}
    if unknown_keys:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown_keys)}; use disable, severity")
    disable = data.get("disable") or []
    severity = data.get("severity") or {}
    if not isinstance(disable, list) or not isinstance(severity, dict):
        raise ConfigError(f"{where}: 'disable' must be a list and 'severity' a mapping")
    bad = sorted(str(c) for c in [*disable, *severity] if c not in NOTICE_TYPES)
    if bad:
        raise ConfigError(f"{where}: unknown notice code(s) {bad} (see RULES.md)")
    config = RuleConfig(disabled={str(c) for c in disable})
    for code, sev in severity.items():
        try:
            config.severity[code] = Severity.parse(str(sev))
        except ValueError as exc:
            raise ConfigError(f"{where}: {code}: {exc}") from None
    return config
