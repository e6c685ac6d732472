"""`bsm test`: runs the examples of policy files (and optionally their derived properties),
measures rule coverage, and reports as text, JSON or JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree

import attrs

from ..core.diagnostics import render
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..language.examples import collect_cases
from ..testing.examples import ExampleResult, run_case
from .common import UsageError, add_include_path, parse_now, use_color

__all__ = ["RuleCoverage", "coverage_of", "run_test_command"]


@attrs.define
class RuleCoverage:
    """Whether some example makes a rule fire and some example makes it stay silent."""

    rule: str
    defined_in: str
    fired_by: list[str] = attrs.Factory(list)
    silent_in: list[str] = attrs.Factory(list)

    @property
    def covered(self) -> bool:
        return bool(self.fired_by) and bool(self.silent_in)


@attrs.define
class _FileReport:
    path: str
    results: list[ExampleResult] = attrs.Factory(list)
    properties: list = attrs.Factory(list)
    diagnostics: list = attrs.Factory(list)
    error: str | None = None


def _rule_key(checked, rule) -> tuple[str, str]:
    return (str(Path(rule.definition.span.source.name).resolve()), rule.id)


def coverage_of(entries) -> list[RuleCoverage]:
    """Coverage of every enabled rule of the given (checked policy, results) pairs; a rule
    defined in one file and tested through another (a `.test.bsm` that includes it) counts once."""
    table: dict[tuple[str, str], RuleCoverage] = {}
    for checked, results in entries:
        for rule in checked.rules:
            if rule.disabled:
                continue
            key = _rule_key(checked, rule)
            coverage = table.setdefault(key, RuleCoverage(rule.id, rule.definition.span.source.name))
            for result in results:
                (coverage.fired_by if rule.id in result.fired else coverage.silent_in).append(result.case.name)
    return list(table.values())


def add_parser(commands) -> None:
    """Adds `bsm test` and its options to the command parser."""
    test = commands.add_parser("test", help="run the examples (and derived properties) of policy files")
    test.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm")
    test.add_argument("--format", choices=("text", "json", "junit"), default="text")
    test.add_argument("--properties", action="store_true",
                      help="also run the properties derived from every rule (generated messages)")
    test.add_argument("--seed", type=int, default=0, help="random seed of the derived properties (default 0)")
    test.add_argument("--max-examples", dest="max_examples", type=int, default=50, metavar="N",
                      help="generated messages per property (default 50)")
    test.add_argument("--database", default=".bsm-test-db", metavar="DIR",
                      help="where failing generated messages are kept and replayed first (default .bsm-test-db)")
    test.add_argument("--coverage", action="store_true", help="report which rules the examples make fire and not fire")
    test.add_argument("--min-coverage", dest="min_coverage", type=float, metavar="PERCENT",
                      help="fail when the rule coverage is below PERCENT")
    test.add_argument("--now", metavar="TIMESTAMP", help="evaluate as if at this RFC 3339 time")
    add_include_path(test)
    test.set_defaults(handler=run)


def run(args, out: TextIO, err: TextIO) -> int:
    args.now_value = parse_now(args.now)
    if args.min_coverage is not None and not 0 <= args.min_coverage <= 100:
        raise UsageError("--min-coverage must be between 0 and 100")
    if args.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    return run_test_command(args, out, err, args.format == "text" and use_color(out))


def _with_test_files(files: list[str]) -> list[str]:
    """The files to test: those given, each policy followed by its `NAME.test.bsm` when that lies
    beside it (where the editor's code lenses find its examples too)."""
    found: list[str] = []
    for path in files:
        found.append(path)
        policy = Path(path)
        if not policy.name.endswith(".test.bsm"):
            companion = policy.with_name(policy.name.removesuffix(".bsm") + ".test.bsm")
            if companion.is_file():
                found.append(str(companion))
    return list(dict.fromkeys(found))


def run_test_command(args, out: TextIO, err: TextIO, use_color: bool) -> int:
    from ..core.errors import PolicyError
    from ..engine.policy import Policy, check_policy
    from ..language.loader import policy_files

    files, missing = policy_files(args.paths)
    files = _with_test_files(files)
    status = EXIT_OK
    for diagnostic in missing:
        print(f"bsm test: {diagnostic.message}", file=err)
        status = EXIT_INVALID
    reports: list[_FileReport] = []
    coverage_entries = []
    now = getattr(args, "now_value", None)
    probed: set = set()
    for path in files:
        report = _FileReport(path)
        reports.append(report)
        try:
            checked = check_policy(Path(path), args.include_paths)
        except PolicyError as error:
            report.diagnostics = error.diagnostics
            report.error = "cannot read the policy"
            status = EXIT_INVALID
            continue
        if not checked.ok:
            report.diagnostics = [d for d in checked.diagnostics if d.is_error]
            report.error = f"the policy has {len(report.diagnostics)} error(s); nothing was run"
            status = EXIT_INVALID
            continue
        policy = Policy(checked)
        for case in collect_cases(checked):
            try:
                report.results.append(run_case(policy, case, now))
            except Exception as error:  # noqa: BLE001 - a bug must not lose the other results
                report.results.append(ExampleResult(case, "invalid", (), (
                    f"internal error while evaluating ({type(error).__name__}: {error}); please report it",)))
        coverage_entries.append((checked, report.results))
        if args.properties:
            from ..testing.properties import run_properties

            # A rule tested through several files (a policy and its .test.bsm) is probed once per
            # vocabulary of categories.
            vocabulary = tuple(sorted((name, tuple(i.name for i in (*c.reasons, *c.aliases)))
                                      for name, c in checked.categories.items()))
            fresh = [rule.id for rule in checked.rules if not rule.disabled
                     and (_rule_key(checked, rule), vocabulary) not in probed]
            probed.update((_rule_key(checked, rule), vocabulary) for rule in checked.rules)
            if fresh:
                report.properties = run_properties(policy, seed=args.seed, max_examples=args.max_examples,
                                                   database=args.database, rules=fresh)
    failed = sum(1 for r in reports for x in r.results if not x.passed)
    failed += sum(1 for r in reports for p in r.properties if not p.passed)
    if failed and status == EXIT_OK:
        status = EXIT_BLOCKED
    coverage = coverage_of(coverage_entries) if (args.coverage or args.min_coverage is not None) else None
    percent = None
    if coverage is not None:
        percent = 100.0 * sum(1 for c in coverage if c.covered) / len(coverage) if coverage else 100.0
        if args.min_coverage is not None and percent < args.min_coverage and status == EXIT_OK:
            status = EXIT_BLOCKED
    if args.format == "json":
        out.write(json.dumps(_json_report(reports, coverage, percent), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "junit":
        out.write(_junit_report(reports))
    else:
        _text_report(reports, coverage, percent, args.min_coverage, out, use_color)
    return status


def _case_json(result: ExampleResult) -> dict:
    case = result.case
    return {
        "name": case.name, "file": case.span.source.name, "line": case.span.line,
        "status": "pass" if result.passed else "fail",
        "expected": {"verdict": case.expect, "fires": list(case.fires), "not_fires": list(case.not_fires)},
        "actual": {"verdict": result.verdict, "fired": list(result.fired)},
        "problems": list(result.problems), "trace": list(result.trace),
        **({} if result.passed else {"message": case.message, "context": case.context}),
    }


def _json_report(reports, coverage, percent) -> dict:
    document: dict = {"files": []}
    for report in reports:
        document["files"].append({
            "path": report.path, "error": report.error,
            "diagnostics": [d.to_json() for d in report.diagnostics],
            "examples": [_case_json(r) for r in report.results],
            "properties": [p.to_json() for p in report.properties],
        })
    results = [r for report in reports for r in report.results]
    properties = [p for report in reports for p in report.properties]
    document["summary"] = {
        "examples": len(results), "passed": sum(1 for r in results if r.passed),
        "failed": sum(1 for r in results if not r.passed),
        "properties": len(properties), "properties_failed": sum(1 for p in properties if not p.passed),
    }
    if coverage is not None:
        document["coverage"] = {
            "percent": round(percent, 1),
            "rules": [{"rule": c.rule, "file": c.defined_in, "fires": bool(c.fired_by), "silent": bool(c.silent_in),
                       "covered": c.covered} for c in coverage],
        }
    return document


def _failure_text(result: ExampleResult) -> str:
    case = result.case
    lines = list(result.problems)
    lines.append(f"expected: verdict {case.expect or '(any)'}; fires {', '.join(case.fires) or '(nothing named)'}; "
                 f"not fires {', '.join(case.not_fires) or '(nothing named)'}")
    lines.append(f"actual:   verdict {result.verdict}; fired {', '.join(result.fired) or 'nothing'}")
    for violation in result.violations:
        where = f" at {violation.field} {violation.excerpt!r}" if violation.field and violation.excerpt else ""
        lines.append(f"  {violation.severity}[{violation.rule}]{where}: {violation.message}")
    lines.append("message: " + json.dumps(case.message, ensure_ascii=False))
    if case.context:
        lines.append("context: " + json.dumps(case.context, ensure_ascii=False))
    if result.trace:
        lines.append("trace:")
        lines.extend(result.trace)
    return "\n".join(lines)


def _junit_report(reports) -> str:
    suites = ElementTree.Element("testsuites", name="bsm test")
    for report in reports:
        cases = report.results
        failures = sum(1 for r in cases if not r.passed) + sum(1 for p in report.properties if not p.passed)
        suite = ElementTree.SubElement(suites, "testsuite", name=report.path,
                                       tests=str(len(cases) + len(report.properties)), failures=str(failures),
                                       errors="1" if report.error else "0")
        if report.error:
            testcase = ElementTree.SubElement(suite, "testcase", classname=report.path, name="policy")
            error = ElementTree.SubElement(testcase, "error", message=report.error)
            error.text = "\n\n".join(render(d) for d in report.diagnostics)
        for result in cases:
            testcase = ElementTree.SubElement(suite, "testcase", classname=report.path, name=result.case.name,
                                              file=result.case.span.source.name, line=str(result.case.span.line))
            if not result.passed:
                failure = ElementTree.SubElement(testcase, "failure", message="; ".join(result.problems))
                failure.text = _failure_text(result)
        for prop in report.properties:
            testcase = ElementTree.SubElement(suite, "testcase", classname=f"{report.path} properties", name=prop.name)
            if prop.skipped:
                ElementTree.SubElement(testcase, "skipped", message=prop.skipped)
            elif not prop.passed:
                failure = ElementTree.SubElement(testcase, "failure", message=prop.summary)
                failure.text = prop.details()
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def _text_report(reports, coverage, percent, min_coverage, out: TextIO, color: bool) -> None:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    for report in reports:
        print(report.path, file=out)
        if report.error:
            for diagnostic in report.diagnostics:
                print(render(diagnostic, color), file=out, end="\n\n")
            print(f"  {paint('ERROR', '1;31')} {report.error}", file=out)
            continue
        if not report.results and not report.properties:
            print("  (no examples)", file=out)
        for result in report.results:
            if result.passed:
                print(f"  {paint('PASS', '32')} {result.case.name}", file=out)
                continue
            print(f"  {paint('FAIL', '1;31')} {result.case.name}  ({result.case.location})", file=out)
            for line in _failure_text(result).splitlines():
                print("      " + line, file=out)
        for prop in report.properties:
            if prop.skipped:
                print(f"  {paint('SKIP', '33')} property {prop.name}: {prop.skipped}", file=out)
                continue
            if prop.passed:
                print(f"  {paint('PASS', '32')} property {prop.name}", file=out)
                continue
            print(f"  {paint('FAIL', '1;31')} property {prop.name}", file=out)
            for line in prop.details().splitlines():
                print("      " + line, file=out)
    results = [r for report in reports for r in report.results]
    properties = [p for report in reports for p in report.properties]
    failed = sum(1 for r in results if not r.passed)
    summary = f"{len(results)} example(s): {len(results) - failed} passed, {failed} failed"
    if properties:
        failed_properties = sum(1 for p in properties if not p.passed)
        skipped = sum(1 for p in properties if p.skipped)
        summary += (f"; {len(properties)} properties: {len(properties) - failed_properties - skipped} passed, "
                    f"{failed_properties} failed" + (f", {skipped} skipped" if skipped else ""))
    if coverage is not None:
        print("coverage (fires / stays silent):", file=out)
        for entry in coverage:
            mark = "ok " if entry.covered else paint("GAP", "1;33")
            print(f"  {mark} {entry.rule:<28} fires: {'yes' if entry.fired_by else 'NO ':<3}  "
                  f"silent: {'yes' if entry.silent_in else 'NO'}", file=out)
        covered = sum(1 for c in coverage if c.covered)
        line = f"rule coverage: {percent:.1f}% ({covered} of {len(coverage)} rules)"
        if min_coverage is not None and percent < min_coverage:
            line += f", below the minimum of {min_coverage:g}%"
        print(line, file=out)
    print(summary, file=out)
