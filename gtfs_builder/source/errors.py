"""Located source errors: a broken source is not a broken feed, so it has its own error type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceError:
    """One problem in a source file, located precisely enough to fix it without guessing."""

    file: str
    line: int  # 1-based; 0 when the problem has no single place (e.g. a missing file)
    column: int  # 1-based
    path: str  # document path inside the file, e.g. routes[2].patterns[0].stops[3]
    message: str  # says the value and what was expected

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SourceErrors(Exception):
    """Every problem found in one run (never only the first)."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))

    def __len__(self) -> int:
        return len(self.errors)
