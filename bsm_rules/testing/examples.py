"""Runs the cases of a policy's examples and compares each outcome with its expectations; a
failure carries the evaluation trace of the rules it is about."""

from __future__ import annotations

import datetime

import attrs

from ..language.examples import ExampleCase
from ..messages.model import parse_message

__all__ = ["ExampleResult", "run_case"]


@attrs.frozen
class ExampleResult:
    """The outcome of a case: `problems` is empty when it passed."""

    case: ExampleCase
    verdict: str
    fired: tuple[str, ...]
    problems: tuple[str, ...]
    violations: tuple = ()
    trace: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems


def run_case(policy, case: ExampleCase, now: datetime.datetime | None = None, explain: bool = True) -> ExampleResult:
    """Evaluate a case and compare the outcome with its expectations; a failure carries the
    evaluation trace of the rules it is about."""
    message = parse_message(case.message, case.name)
    verdict = policy.compiled.evaluate(message, case.context, now)
    fired = tuple(verdict.fired)
    problems = []
    if case.expect is not None and verdict.verdict != case.expect:
        problems.append(f"expected verdict {case.expect}, got {verdict.verdict}")
    for rule in case.fires:
        if rule not in fired:
            problems.append(f"expected {rule} to fire, it did not")
    for rule in case.not_fires:
        if rule in fired:
            problems.append(f"expected {rule} not to fire, it fired")
    trace: list[str] = []
    if problems and explain:
        from ..engine.trace import explain_rule

        involved = list(dict.fromkeys(
            [r for r in case.fires if r not in fired] + [r for r in case.not_fires if r in fired]
            + ([v.rule for v in verdict.violations if v.severity in ("error", "warning")]
               if case.expect is not None and verdict.verdict != case.expect else [])))
        for rule in involved:
            trace.extend(explain_rule(policy, rule, message, case.context, now))
    return ExampleResult(case, verdict.verdict, fired, tuple(problems), verdict.violations, tuple(trace))
