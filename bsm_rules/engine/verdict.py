"""What evaluation returns: violations located in the message and the verdict; `to_json()` is
the public result format of docs/message-model.md."""

from __future__ import annotations

import msgspec

__all__ = ["VERDICTS", "Verdict", "Violation", "invalid_result"]

VERDICTS = ("allow", "warn", "block", "invalid")


# Frozen msgspec structs rather than attrs classes: every evaluation builds them, and a struct is
# built several times faster.
class Violation(msgspec.Struct, frozen=True):
    """One broken rule, located where the rule has a location (`field`, `start`, `end` are
    offsets into that field of the message as given)."""

    rule: str
    severity: str
    message: str
    field: str | None = None
    start: int | None = None
    end: int | None = None
    excerpt: str | None = None

    def to_json(self) -> dict:
        result: dict = {"rule": self.rule, "severity": self.severity, "message": self.message}
        if self.field is not None:
            result["field"] = self.field
        if self.start is not None:
            result["start"] = self.start
            result["end"] = self.end
        if self.excerpt is not None:
            result["excerpt"] = self.excerpt
        return result


class Verdict(msgspec.Struct, frozen=True):
    """The outcome for one message."""

    message_id: str | None
    violations: tuple[Violation, ...]
    #: What reading the message noticed (a misspelt field ignored); part of the result when any.
    notices: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        if not self.violations:
            return "allow"
        severities = {v.severity for v in self.violations}
        if "error" in severities:
            return "block"
        if "warning" in severities:
            return "warn"
        return "allow"

    @property
    def fired(self) -> list[str]:
        return list(dict.fromkeys(v.rule for v in self.violations))

    def to_json(self) -> dict:
        if not self.violations and not self.notices:  # most messages, quickly
            return {"message": self.message_id, "verdict": "allow", "violations": []}
        result: dict = {
            "message": self.message_id,
            "verdict": self.verdict,
            "violations": [v.to_json() for v in self.violations],
        }
        if self.notices:
            result["notices"] = list(self.notices)
        return result


def invalid_result(message_id: str | None, error: str) -> dict:
    """The result of an input that cannot be read as a message."""
    return {"message": message_id, "verdict": "invalid", "error": error}
