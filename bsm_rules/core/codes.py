"""The registry of diagnostic codes: every code the tools emit, with its one-line title. Each has
a page in docs/diagnostics/<code>.md."""

from __future__ import annotations

__all__ = ["CODES", "docs_url"]

CODES: dict[str, str] = {
    "BSM001": "a policy file cannot be read",
    "BSM101": "unexpected token",
    "BSM102": "unexpected character",
    "BSM103": "unclosed string or regular expression",
    "BSM104": "unclosed bracket",
    "BSM105": "nested too deeply",
    "BSM201": "unknown name",
    "BSM202": "unknown field",
    "BSM203": "unknown function",
    "BSM204": "unknown category",
    "BSM205": "unknown contact reason",
    "BSM206": "unknown rule id",
    "BSM207": "name defined twice",
    "BSM208": "rule id defined twice",
    "BSM209": "included file not found",
    "BSM210": "include cycle",
    "BSM211": "included file outside the allowed folders",
    "BSM212": "unknown placeholder in a message",
    "BSM213": "policy without rules",
    "BSM214": "includes nested too deeply",
    "BSM301": "type mismatch",
    "BSM302": "wrong number of arguments",
    "BSM303": "not a condition",
    "BSM306": "invalid date",
    "BSM307": "empty phrase in a list",
    "BSM308": "invalid domain name",
    "BSM309": "more than one message in a rule",
    "BSM310": "rule that can never fire",
    "BSM311": "unbalanced brace in a message",
    "BSM401": "invalid regular expression",
    "BSM402": "regular-expression feature RE2 does not support",
    "BSM403": "unknown regular-expression flag",
    "BSM404": "regular expression too complex",
    "BSM501": "unused pattern or list",
    "BSM502": "contact reason in two categories",
    "BSM503": "phrase listed twice",
    "BSM504": "pattern that matches the empty string",
    "BSM505": "guard that can never hold",
    "BSM506": "duplicated or overlapping rules",
    "BSM507": "rule without @source or message in a bundled policy",
    "BSM508": "bidirectional control character in the policy",
    "BSM509": "invisible character in the policy",
    "BSM510": "confusable identifier",
    "BSM511": "definition that hides a field, category or contact reason",
    "BSM601": "unknown or disabled rule id in an example",
    "BSM602": "unknown message field or context value in an example",
    "BSM603": "invalid message or context in an example",
    "BSM604": "unknown verdict in an example",
    "BSM605": "example message file cannot be read",
    "BSM606": "incomplete example",
    "BSM607": "unknown or missing column in a table example",
}


def docs_url(code: str) -> str:
    return f"docs/diagnostics/{code}.md"
