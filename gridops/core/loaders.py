"""What every loader reports: the problems found, where, and whether anything was written.

Loaders (the incident and approvals catalogues, the service network, the zone GeoPackages, the
education imports) are dry runs unless asked to commit, and report every problem with the place a
person can find it and the reason, instead of stopping at the first (mapit's importers, the
GUIDE's practice 6). Four loaders each wrote their own report and problem classes; they are
these two now, so a problem reads the same in a command's output, a test and an API answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of an input.

    Rows of a table are found by `file` and `row` (1-based, the header being line 1; 0 is the
    file itself); features of a geodata source by `feature` ("#<index> <code>", a layer, or the
    feature's number in an upload). `severity` "error" refuses the commit, "repaired" is a note
    (an invalid polygon fixed with make_valid)."""

    reason: str
    file: str = ""
    row: int | None = None
    feature: str | int | None = None
    field: str | None = None
    code: str = ""
    severity: str = "error"

    @classmethod
    def at_row(cls, file: str, row: int, field: str, reason: str) -> "Problem":
        return cls(reason=reason, file=file, row=row, field=field)

    @classmethod
    def at_feature(cls, feature: str, reason: str, severity: str = "error") -> "Problem":
        return cls(reason=reason, feature=feature, severity=severity)

    def __str__(self) -> str:
        if self.file:
            return f"{self.file}:{self.row} [{self.field}] {self.reason}"
        code = f" {self.code}" if self.code else ""
        column = f" [{self.field}]" if self.field else ""
        return f"[{self.severity}] {self.feature}{code}{column}: {self.reason}"

    def as_dict(self) -> dict:
        """For API answers: feature, code, field and reason; file, row and severity when they say something."""
        body = {"feature": self.feature, "code": self.code, "field": self.field, "reason": self.reason}
        if self.file:
            body.update(file=self.file, row=self.row)
        if self.severity != "error":
            body["severity"] = self.severity
        return body


@dataclass
class LoaderReport:
    """A loader's answer: counts per kind of row, every problem, and whether it committed."""

    committed: bool = False
    counts: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def repaired(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "repaired"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def state(self) -> str:
        return "committed" if self.committed else ("dry run" if self.ok else "refused")

    def summary(self, what: str) -> str:
        """One line for a command's output: `<what> dry run; created 3, updated 1; 2 problem(s)`."""
        counts = ", ".join(f"{key} {value}" for key, value in sorted(self.counts.items()))
        return f"{what} {self.state}; {counts}" + (f"; {len(self.problems)} problem(s)" if self.problems else "")
