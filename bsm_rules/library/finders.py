"""Finders for links, e-mail addresses, phone numbers, order ids, emoji and language."""

from __future__ import annotations

import bisect
import functools
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import attrs
import re2

from .normalize import searchable

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "Found",
    "Link",
    "detect_language",
    "emoji_spans",
    "find_emails",
    "find_emoji",
    "find_links",
    "find_obfuscated_emails",
    "find_order_id_near_misses",
    "find_order_ids",
    "find_phone_numbers",
    "is_amazon_domain",
    "match_spans",
    "order_id_spans",
]


@attrs.frozen
class Found:
    """A finding: a half-open span of the searched text and its value."""

    start: int
    end: int
    value: str


@attrs.frozen
class Link:
    """A link written in text."""

    start: int
    end: int
    url: str
    scheme: str | None
    host: str
    domain: str


# --- shared helpers ---------------------------------------------------------------------------

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def match_spans(regex, text: str) -> Iterator[list[tuple[int, int]]]:
    """The group spans (group 0 first; (-1, -1) for a group that took no part) of each match of a
    compiled re2 pattern in `text`."""
    groups = range(regex.groups + 1)
    for match in regex.finditer(text):
        yield [match.span(group) for group in groups]


class _Regex:
    """A compiled re2 pattern whose matches take group names everywhere (google-re2 spans take numbers only)."""

    __slots__ = ("_group_numbers", "_pattern", "_regexp")

    def __init__(self, pattern: str):
        self._pattern = pattern

    def __getattr__(self, name: str):
        # Compiled on first use (the slots are unset until then): most runs need few patterns.
        if name not in ("_regexp", "_group_numbers"):
            raise AttributeError(name)
        self._regexp = re2.compile(self._pattern, _RE2_OPTIONS)
        # Group numbers by name and by number: a match looks a group up once either way.
        self._group_numbers = {**dict(self._regexp.groupindex), **{n: n for n in range(self._regexp.groups + 1)}}
        return getattr(self, name)

    def search(self, text: str, position: int = 0) -> _Match | None:
        match = self._regexp.search(text, position)
        if match is None:
            return None
        return _Match(text, [match.span(group) for group in range(self._regexp.groups + 1)], self._group_numbers)

    def finditer(self, text: str) -> Iterable[_Match]:
        numbers = self._group_numbers
        for spans in match_spans(self._regexp, text):
            yield _Match(text, spans, numbers)


class _Match:
    __slots__ = ("_group_numbers", "_spans", "_text")

    def __init__(self, text: str, spans: list[tuple[int, int]], group_numbers: dict[str | int, int]):
        self._text = text
        self._spans = spans
        self._group_numbers = group_numbers

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._spans[self._group_numbers[group]]

    def group(self, group: int | str = 0) -> str | None:
        start, end = self._spans[self._group_numbers[group]]
        return None if start < 0 else self._text[start:end]

    def start(self, group: int | str = 0) -> int:
        return self._spans[self._group_numbers[group]][0]

    def end(self, group: int | str = 0) -> int:
        return self._spans[self._group_numbers[group]][1]


def _compile(pattern: str) -> _Regex:
    return _Regex(pattern)


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    return _suffix_list(only_icann=False)


@functools.cache
def _icann_suffix_list() -> PublicSuffixList:
    # Private suffixes (github.io, blogspot.com, s3.amazonaws.com…) let anyone
    # own "amazon.<suffix>", so Amazon-ness is judged on ICANN suffixes only.
    return _suffix_list(only_icann=True)


def _suffix_list(only_icann: bool) -> PublicSuffixList:
    """Loaded on first use (most messages have no link), from the user cache when it was built
    before: parsing the list takes longer than checking a message."""
    import publicsuffixlist

    from ..core.cache import cached_object

    data = os.stat(publicsuffixlist.PSLFILE)
    key = f"{publicsuffixlist.PSLFILE} {data.st_size} {data.st_mtime_ns} {only_icann}"
    return cached_object(f"public-suffixes-{'icann' if only_icann else 'all'}.pickle", key,
                         lambda: publicsuffixlist.PublicSuffixList(accept_unknown=False, only_icann=only_icann))


@functools.lru_cache(maxsize=4096)  # a seller's messages name the same few hosts again and again
def _registrable_domain(host: str) -> str | None:
    """The registrable domain of a lower-case host, or None when its suffix is unknown or it is a bare suffix."""
    domain = _public_suffix_list().privatesuffix(host, accept_unknown=False)
    if domain is None:
        # The host may itself be a private suffix, e.g. "blogspot.com".
        domain = _icann_suffix_list().privatesuffix(host, accept_unknown=False)
    return domain


@functools.lru_cache(maxsize=4096)
def _is_public_top_level(label: str) -> bool:
    """Whether a lower-case label is a top-level public suffix (com, uk, de…): a cheap first filter."""
    return _public_suffix_list().publicsuffix(label, accept_unknown=False) is not None


def _ip_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


# Letters of scripts written with spaces between words. Scripts written without
# spaces (CJK, Thai…) are left out so that "詳細はexample.comへ" yields example.com.
_SPACED_LETTER = (
    r"[^\x00-\x7f\P{L}\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
)
_LABEL_CHAR = rf"(?:[0-9A-Za-z]|{_SPACED_LETTER}|\p{{M}})"
_LABEL = rf"{_LABEL_CHAR}(?:(?:{_LABEL_CHAR}|-)*{_LABEL_CHAR})?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
# Printable ASCII except space " < > \ ^ ` { | }, plus letters of spaced scripts.
_URL_CHAR = rf"(?:[!#-;=?-\[\]_a-z~]|{_SPACED_LETTER}|\p{{M}})"

_TRAILING_PUNCTUATION = ".,;:!?'\""
_CLOSING_BRACKETS = {")": "(", "]": "["}


def _strip_trailing_punctuation(text: str, start: int, end: int, floor: int) -> int:
    """New end for text[start:end] without trailing punctuation (kept: balanced brackets, anything before `floor`)."""
    unbalanced: dict[str, int] = {}  # closing bracket: how many more closing than opening ones are left
    while end > floor:
        last = text[end - 1]
        if last in _CLOSING_BRACKETS:
            if last not in unbalanced:
                unbalanced[last] = text.count(last, start, end) - text.count(_CLOSING_BRACKETS[last], start, end)
            if unbalanced[last] <= 0:
                break
            unbalanced[last] -= 1
        elif last not in _TRAILING_PUNCTUATION:
            break
        end -= 1
    return end


def _is_titlecase_word(label: str) -> bool:
    return len(label) > 1 and label[0].isupper() and label[1:].islower()


def _is_top_level_label(label: str) -> bool:
    return (label.isalpha() or label[:4].lower() == "xn--") and _is_public_top_level(label.lower())


_MAX_HOST_LENGTH = 253
# How many trailing labels may be dropped as the next sentence ("example.com.Thanks").
_MAX_TRIMMED_LABELS = 2


# --- links ------------------------------------------------------------------------------------

# Public suffixes that are far more often file extensions: "setup.py", "README.md".
_FILE_EXTENSION_SUFFIXES = frozenset(
    {"md", "py", "sh", "pl", "pm", "rs", "so", "zip", "mov", "ps", "java"}
)

_LINK = _compile(
    # A backslash ends the user name: browsers read "https://evil.com\@amazon.com" as evil.com.
    rf"(?P<scheme>(?i:https?|ftp))://(?:[^\s/\\?#@<>\"]*@)?"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    rf"(?::[0-9]{{1,5}})?(?P<path>[/?#]{_URL_CHAR}*)?"
    rf"|(?P<bare>{_DOMAIN})(?P<port>:[0-9]{{1,5}})?(?P<bare_path>[/?#]{_URL_CHAR}*)?"
)
_WWW_LABEL = re.compile(r"www[0-9]{0,3}", re.IGNORECASE)


def find_links(text: str) -> list[Link]:
    """Links: http(s)/ftp URLs, www. addresses and bare domains with a known public suffix."""
    text = searchable(text)
    if "." not in text:
        return []
    email_spans: list[tuple[int, int]] | None = None
    links: list[Link] = []
    has_at_sign = "@" in text
    for match in _LINK.finditer(text):
        if match.group("scheme") is not None:
            link = _scheme_link(text, match)
        else:
            link = _bare_link(text, match)
            if link is not None and has_at_sign:
                if email_spans is None:
                    email_spans = [(found.start, found.end) for found in find_emails(text)]
                if _overlaps(link.start, link.end, email_spans):
                    link = None
        if link is not None:
            links.append(link)
    return links


def _scheme_link(text: str, match) -> Link | None:
    start, end = match.span()
    if match.group("path") is not None:
        end = _strip_trailing_punctuation(text, start, end, match.start("path"))
    host = match.group("host").lower()
    if host.startswith("["):
        host = host[1:-1]
    domain = _ip_address(host) or _registrable_domain(host) or host
    return Link(start, end, text[start:end], match.group("scheme").lower(), host, domain)


def _bare_link(text: str, match) -> Link | None:
    start = match.start()
    before = text[start - 1] if start else ""
    if before in ("@", "_") or text[max(0, start - 7) : start].lower() == "mailto:":
        return None
    host_end = match.end("bare")
    if host_end - start > _MAX_HOST_LENGTH:
        return None
    labels = match.group("bare").split(".")
    port, path = match.group("port"), match.group("bare_path")
    standalone = port is None and path is None
    if standalone and host_end < len(text) and text[host_end] in "@_":
        return None

    if all(label.isdigit() for label in labels):
        host = match.group("bare")
        # A dotted quad alone is as likely a version number; require a port or path.
        if standalone or _ip_address(host) is None:
            return None
        return _with_path(text, match, host, host)

    is_www = _WWW_LABEL.fullmatch(labels[0]) is not None
    minimum_labels = max(2, len(labels) - _MAX_TRIMMED_LABELS)
    while len(labels) >= minimum_labels:
        top = labels[-1]
        # "it.Is" or "arrived.So" is a missing space after a full stop, not a link.
        sentence_break = standalone and not is_www and _is_titlecase_word(top)
        if _is_top_level_label(top) and not sentence_break:
            host = ".".join(labels).lower()
            domain = _registrable_domain(host)
            if domain is not None:
                break
        if not standalone:
            return None
        labels.pop()
    else:
        return None
    if len(labels) == 2 and is_www:
        return None  # "www.com"
    if (
        not is_www
        and labels[-1].lower() in _FILE_EXTENSION_SUFFIXES
        and not (path or "").startswith("/")
    ):
        return None
    if standalone:
        end = start + len(".".join(labels))
        return Link(start, end, text[start:end], None, host, domain)
    return _with_path(text, match, host, domain)


def _with_path(text: str, match, host: str, domain: str) -> Link:
    start, end = match.span()
    if match.group("bare_path") is not None:
        end = _strip_trailing_punctuation(text, start, end, match.start("bare_path"))
    return Link(start, end, text[start:end], None, host, domain)


@functools.lru_cache(maxsize=4096)
def is_amazon_domain(domain: str) -> bool:
    """True when the registrable domain (ICANN suffixes only) of `domain` is amazon.<suffix>."""
    host = domain.strip().rstrip(".").lower()
    if not host or _ip_address(host) is not None:
        return False
    registrable = _icann_suffix_list().privatesuffix(host, accept_unknown=False)
    return registrable is not None and registrable.split(".", 1)[0] == "amazon"


# --- e-mail addresses -------------------------------------------------------------------------

_LOCAL_CHAR = rf"(?:[0-9A-Za-z_%+\-]|{_SPACED_LETTER})"
_EMAIL = _compile(
    rf"(?P<mailto>(?i:mailto):)?"
    rf"(?P<local>{_LOCAL_CHAR}(?:(?:{_LOCAL_CHAR}|[.'])*{_LOCAL_CHAR})?)"
    rf"[@\x{{FF20}}\x{{FE6B}}](?P<domain>{_DOMAIN})"
)
_MAILTO_QUERY = re.compile(r"\?[^\s<>\"`{|}\\^]*")
_AT_SIGNS = ("@", "\uff20", "\ufe6b")


def find_emails(text: str) -> list[Found]:
    """E-mail addresses, including mailto: links (whose span covers "mailto:"); value = the address."""
    text = searchable(text)
    if not any(at in text for at in _AT_SIGNS):
        return []
    emails: list[Found] = []
    authorities = _UrlAuthorities(text)
    for match in _EMAIL.finditer(text):
        found = _email(text, match, authorities)
        if found is not None and (not emails or found.start >= emails[-1].end):
            emails.append(found)
    return emails


def _email(text: str, match, authorities: _UrlAuthorities) -> Found | None:
    mailto = match.group("mailto") is not None
    if not mailto and authorities.holds(match.start("local")):
        return None  # "https://user@host/" is a link's user name, not an address
    if match.end() - match.start("domain") > _MAX_HOST_LENGTH:
        return None
    query = _MAILTO_QUERY.match(text, match.end()) if mailto else None
    has_query = query is not None
    labels = match.group("domain").split(".")
    minimum_labels = max(2, len(labels) - _MAX_TRIMMED_LABELS)
    while len(labels) >= minimum_labels:
        top = labels[-1]
        # Trailing labels may be the next sentence: "john@example.com.Thanks".
        sentence_break = len(labels) > 2 and _is_titlecase_word(top)
        if (
            _is_top_level_label(top)
            and not sentence_break
            and _registrable_domain(".".join(labels).lower()) is not None
        ):
            break
        if has_query:
            return None
        labels.pop()
    if len(labels) < minimum_labels:
        return None
    domain = ".".join(labels)
    start = match.start()
    end = match.start("domain") + len(domain)
    if query is not None:
        end = _strip_trailing_punctuation(text, start, query.end(), query.start())
    return Found(start, end, f"{match.group('local')}@{domain}")


class _UrlAuthorities:
    """Where a text has the authority part of a URL: after a "://" up to white space, "/", "?" or
    "#". Each "://" is looked at once however many places are asked about."""

    # How far back from a place its "://" is looked for.
    _REACH = 2048
    _AUTHORITY_END = re.compile(r"[\s/?#]")

    def __init__(self, text: str):
        self._text = text
        self._schemes = [match.start() for match in re.finditer("://", text)] if "://" in text else []
        self._last_end: tuple[int, int] = (-1, -1)  # (scheme index, where its authority ends), the last worked out

    def holds(self, position: int) -> bool:
        """Whether `position` is inside the authority of a URL that starts at most `_REACH`
        characters before it, in the same run of non-white-space characters."""
        index = bisect.bisect_right(self._schemes, position - 3) - 1
        if index < 0 or self._schemes[index] < position - self._REACH:
            return False
        return self._authority_end(index) >= position

    def _authority_end(self, index: int) -> int:
        scheme = self._schemes[index]
        last_index, last_end = self._last_end
        if last_index <= index and last_end >= scheme + 3:
            return last_end  # the same stop ends both (nothing ends an authority between them)
        match = self._AUTHORITY_END.search(self._text, scheme + 3)
        end = match.start() if match else len(self._text)
        self._last_end = (index, end)
        return end


_OBFUSCATED_WORD = r"[0-9A-Za-z](?:[0-9A-Za-z_%+\-]*[0-9A-Za-z])?"
_OBFUSCATED_AT = (
    r"(?:\s*[\[({<]\s*(?:(?i:at)|@)\s*[\])}>]\s*|\s+(?i:at)\s+|\s*@\s*)"
)
_OBFUSCATED_DOT = r"(?:\s*[\[({<]\s*(?:(?i:dot)|\.)\s*[\])}>]\s*|\s+(?i:dot)\s+|\.)"
# In the domain a dot may also stand between spaces: "jane @ gmail . com".
_OBFUSCATED_DOMAIN_DOT = r"(?:\s*[\[({<]\s*(?:(?i:dot)|\.)\s*[\])}>]\s*|\s+(?i:dot)\s+|\s*\.\s*)"
_OBFUSCATED_EMAIL = _compile(
    rf"\b(?P<local>{_OBFUSCATED_WORD}(?:{_OBFUSCATED_DOT}{_OBFUSCATED_WORD})*)"
    rf"(?P<at>{_OBFUSCATED_AT})"
    rf"(?P<domain>{_OBFUSCATED_WORD}(?:{_OBFUSCATED_DOMAIN_DOT}{_OBFUSCATED_WORD})+)"
)
_OBFUSCATED_DOT_SPLIT = re.compile(
    r"\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\s*\.\s*", re.IGNORECASE
)
_AT_WORD = _compile(r"(?i)\bat\b")
_PLAIN_ADDRESS_PART = re.compile(r"[0-9A-Za-z_%+\-.]*")
# How far past a rejected match an address starting inside it is looked for.
_OBFUSCATED_EMAIL_WINDOW = 256
# Webmail providers: "john at gmail.com" is an address even with a real dot.
_MAIL_PROVIDERS = frozenset(
    {"gmail", "googlemail", "yahoo", "ymail", "outlook", "hotmail", "live", "msn", "icloud",
     "aol", "protonmail", "proton", "gmx", "yandex", "zoho", "qq"}
)
# Words that precede a plain "at" in prose ("look at", "contact us at").
_PROSE_BEFORE_AT = frozenset(
    {"a", "all", "am", "are", "arrive", "arrived", "arrives", "arriving", "back", "be", "been",
     "best", "bought", "box", "call", "contact", "delivered", "email", "first", "good", "great",
     "her", "him", "home", "i", "is", "it", "item", "just", "last", "least", "left", "listed",
     "look", "looked", "looking", "looks", "me", "meet", "message", "most", "not", "once",
     "only", "order", "ordered", "package", "parcel", "placed", "price", "priced", "purchased",
     "reach", "reached", "see", "seen", "sell", "selling", "send", "sent", "shipped", "shop",
     "sold", "stay", "stayed", "store", "them", "there", "they", "us", "was", "we", "were",
     "work", "write", "you"}
)


def find_obfuscated_emails(text: str) -> list[Found]:
    """Addresses written to dodge filters ("john at gmail dot com", "jsmith[at]outlook[dot]com"); value = the address."""
    text = searchable(text)
    if "@" not in text and _AT_WORD.search(text) is None:
        return []
    found: list[Found] = []
    for match in _OBFUSCATED_EMAIL.finditer(text):
        if found and match.start() < found[-1].end:
            continue
        result = _obfuscated_email(text, match, 0)
        if result is None and match.group("at") != "@":
            result = _obfuscated_email_inside(text, match)
        if result is not None:
            found.append(result)
    return found


def _obfuscated_email_inside(text: str, rejected) -> Found | None:
    """An address starting in the domain part of a rejected match: "me at john dot smith at gmail dot com"."""
    window_start = rejected.start("domain")
    window = text[window_start : rejected.end() + _OBFUSCATED_EMAIL_WINDOW]
    position = 0
    while (match := _OBFUSCATED_EMAIL.search(window, position)) is not None:
        if match.start() >= rejected.end() - window_start:
            return None  # the main scan will see it
        result = _obfuscated_email(text, match, window_start)
        if result is not None:
            return result
        position = match.start("domain") if match.group("at") != "@" else match.end()
    return None


def _obfuscated_email(text: str, match, offset: int) -> Found | None:
    """The address `match` (found at `offset` in `text`) spells, unless it is prose or a plain address."""
    start = offset + match.start()
    if start and (text[start - 1].isalnum() or text[start - 1] in "@._"):
        return None
    local, at, domain_part = match.group("local"), match.group("at"), match.group("domain")
    if at == "@" and _PLAIN_ADDRESS_PART.fullmatch(local) and _PLAIN_ADDRESS_PART.fullmatch(domain_part):
        return None  # every dot a plain "." (no white space, no brackets): a plain address
    local_parts = _OBFUSCATED_DOT_SPLIT.split(local)
    separators = list(_OBFUSCATED_DOT_SPLIT.finditer(domain_part))
    domain_labels = _OBFUSCATED_DOT_SPLIT.split(domain_part)
    # Trailing labels may be the next sentence: "jane @ gmail . com . Thanks".
    kept = len(domain_labels)
    while not (_is_top_level_label(domain_labels[kept - 1])
               and _registrable_domain(".".join(domain_labels[:kept]).lower()) is not None):
        kept -= 1
        if kept < max(2, len(domain_labels) - _MAX_TRIMMED_LABELS):
            return None
    end = offset + match.start("domain") + (
        separators[kept - 1].start() if kept - 1 < len(separators) else len(domain_part))
    domain_labels, dots = domain_labels[:kept], [sep.group() for sep in separators[:kept - 1]]
    dot_obfuscated = any(sep != "." for sep in dots)
    local_obfuscated = any(sep != "." for sep in _OBFUSCATED_DOT_SPLIT.findall(local))
    if at == "@" and not dot_obfuscated and not local_obfuscated:
        return None  # a plain address: find_emails reports it
    domain = ".".join(domain_labels).lower()
    word_at = "@" not in at and not any(char in at for char in "[({<")
    if word_at:
        if len(local_parts) == 1 and local_parts[0].lower() in _PROSE_BEFORE_AT:
            return None
        if not dot_obfuscated and domain.split(".", 1)[0] not in _MAIL_PROVIDERS:
            return None
        if any(sep != "." and sep.strip() == "." for sep in dots):
            return None  # "Sam at home . it was" is prose
    return Found(start, end, f"{'.'.join(local_parts)}@{domain}")



# --- order ids --------------------------------------------------------------------------------

# What follows the first group of an order id (or a near miss): a literal "-" first lets Python's
# `re` skip ahead quickly; the first group and the run's ends are checked by hand.
_ORDER_ID_TAIL = re.compile(r"-[0-9]{7}-[0-9]{7}")
_NEAR_MISS_TAIL = re.compile(r"-[0-9]{5,9}-[0-9]{5,9}")
_DIGITS_AND_DASH = frozenset("0123456789-")


def _dashed_triples(text: str, tail: re.Pattern, first_lengths: range) -> list[tuple[int, int]]:
    """Spans of whole digit/dash runs of three dash-joined groups: a first group of one of
    `first_lengths` ASCII digits, then `tail`."""
    spans = []
    length = len(text)
    for match in tail.finditer(text):
        dash, end = match.span()
        if end < length and text[end] in _DIGITS_AND_DASH:
            continue  # part of a longer digit/dash run
        start = dash
        while start > 0 and "0" <= text[start - 1] <= "9":
            start -= 1
        if dash - start in first_lengths and (start == 0 or text[start - 1] != "-"):
            spans.append((start, end))
    return spans


def find_order_ids(text: str) -> list[Found]:
    """Amazon order ids: exactly NNN-NNNNNNN-NNNNNNN, not part of a longer digit/dash run."""
    return [Found(start, end, text[start:end]) for start, end in order_id_spans(text)]


@functools.lru_cache(maxsize=16)
def order_id_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The spans of `find_order_ids`, without building findings. Cached: the phone-number finder
    blanks the order ids of the text that the order-id rules read."""
    if "-" not in text:
        return ()
    return tuple(_dashed_triples(text, _ORDER_ID_TAIL, range(3, 4)))


def find_order_id_near_misses(text: str) -> list[Found]:
    """Three dash-joined digit groups shaped like an order id but with wrong group lengths (14–20 digits)."""
    if "-" not in text:
        return []
    text = searchable(text)
    found = []
    for start, end in _dashed_triples(text, _NEAR_MISS_TAIL, range(2, 6)):
        lengths = [len(group) for group in text[start:end].split("-")]
        if lengths != [3, 7, 7] and 14 <= sum(lengths) <= 20:
            found.append(Found(start, end, text[start:end]))
    return found


# --- phone numbers ----------------------------------------------------------------------------

_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IT", "ES", "JP", "IN", "CA", "AU")
_MIN_PHONE_DIGITS = 7
# Candidates tried per region: bounds the time spent on number-heavy text (tables, logs).
_MAX_PHONE_CANDIDATES = 200
# At least that many digits anywhere; `\D*` and `\d` never compete, so the search is linear.
_ENOUGH_DIGITS = re.compile(rf"\d(?:\D*\d){{{_MIN_PHONE_DIGITS - 1}}}")
_ASCII_DIGITS = b"0123456789"
_ORDER_ID_DIGITS = 17
# Number-like things that phonenumbers could take for a phone number; they are
# blanked out before matching.
_NOT_PHONE_NUMBERS = _compile(
    "|".join(
        [
            r"(?P<price>[$€£¥₹]\s?[0-9][0-9.,]*"
            r"|\b[0-9][0-9.,]*\s?(?:[$€£¥₹]|(?i:usd|eur|gbp|jpy|inr|cad|aud)\b))",
            r"(?P<run>[0-9]+(?:[./-][0-9]+)+)",  # dates, order ids, versions: classified below
            r"(?P<long>\+?[0-9]{12,})",  # tracking numbers, unless "+" makes it international
            r"(?P<ups>\b(?i:1Z)[0-9A-Za-z]{16}\b)",
            r"(?P<spaced>\b[0-9]{4}(?: [0-9]{4}){3,}(?: [0-9]{2})?\b)",  # tracking, card numbers
            r"(?P<time>\b[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?\b)",
            r"\b[A-Z]{2}\s+(?P<zip>[0-9]{5}(?:-[0-9]{4})?)\b",  # US state + ZIP code
        ]
    )
)
_BLANK = ";"  # not a letter, digit or phone punctuation: splits candidates, keeps offsets


def find_phone_numbers(text: str) -> list[Found]:
    """Phone numbers valid for a leading +country code or one of a few default regions; value = E.164."""
    text = searchable(text)
    # Order ids are the usual digits in a message and never a number to call: they are blanked
    # first, and most texts have too few digits left to hold a phone number.
    order_ids = order_id_spans(text)
    if text.isascii():  # deleting the digit bytes counts them several times faster than a search
        digits = len(text) - len(text.encode("ascii").translate(None, _ASCII_DIGITS))
        if digits - _ORDER_ID_DIGITS * len(order_ids) < _MIN_PHONE_DIGITS:
            return []
        candidates = _blanked(text, order_ids)
    else:
        candidates = _blanked(text, order_ids)
        if _ENOUGH_DIGITS.search(candidates) is None:
            return []
    candidates = _blank_non_phone_numbers(candidates)
    if _ENOUGH_DIGITS.search(candidates) is None:
        return []
    import phonenumbers  # loaded on first use: it takes a while, and most texts have no number

    accepted: list[Found] = []
    for region in _PHONE_REGIONS:
        found_in_region = [
            Found(
                match.start,
                match.end,
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164),
            )
            for match in phonenumbers.PhoneNumberMatcher(
                candidates, region, leniency=phonenumbers.Leniency.VALID, max_tries=_MAX_PHONE_CANDIDATES
            )
            if _plausible_phone(text, match)
        ]
        if found_in_region:
            accepted.extend(found_in_region)
            # Earlier regions win: later ones never see what is already taken.
            candidates = _blanked(candidates, [(found.start, found.end) for found in found_in_region])
            if _ENOUGH_DIGITS.search(candidates) is None:
                break
    accepted.sort(key=lambda found: found.start)
    return accepted


_DATE_SHAPES = frozenset({(4, 2, 2), (4, 1, 1), (2, 2, 4), (1, 2, 4), (2, 1, 4), (1, 1, 4),
                          (2, 2, 2), (1, 2, 2), (2, 1, 2), (1, 1, 2)})
_NUMBER_SEPARATOR = re.compile(r"[./-]")
_ZIP_CODE = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")


def _blank_non_phone_numbers(text: str) -> str:
    blanks: list[tuple[int, int]] = []
    for match in _NOT_PHONE_NUMBERS.finditer(text):
        if match.group("zip") is not None:
            blanks.append(match.span("zip"))
        elif (run := match.group("run")) is not None:
            if _is_non_phone_numeric_run(run):
                blanks.append(match.span())
        elif (long := match.group("long")) is None or not long.startswith("+"):
            blanks.append(match.span())
    return _blanked(text, blanks)


def _blanked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the given sorted, non-overlapping spans overwritten by `_BLANK`."""
    if not spans:
        return text
    pieces: list[str] = []
    previous_end = 0
    for start, end in spans:
        pieces.append(text[previous_end:start])
        pieces.append(_BLANK * (end - start))
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces)


def _is_non_phone_numeric_run(run: str) -> bool:
    """Whether digit groups joined by . / - are a date, order id or over-long number rather than a phone."""
    groups = _NUMBER_SEPARATOR.split(run)
    digit_count = sum(len(group) for group in groups)
    if digit_count > 15:  # longer than any E.164 number
        return True
    if len(groups) == 3 and len(set(_NUMBER_SEPARATOR.findall(run))) == 1:
        shape = tuple(len(group) for group in groups)
        if shape in _DATE_SHAPES:
            return True
        if "-" in run and 14 <= digit_count <= 20:
            return True  # order id or near miss
    return False


def _plausible_phone(text: str, match) -> bool:
    start, end = match.start, match.end
    if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
        return False
    # Digits joined to a word by a dash, slash or underscore are part of a reference
    # ("INV-2026-000123", "KT-2000/B"), not a number to call.
    if (start >= 2 and text[start - 1] in "-/_" and text[start - 2].isalnum()) or (
        end + 1 < len(text) and text[end] in "-/_" and text[end + 1].isalnum()
    ):
        return False
    raw = match.raw_string
    return "," not in raw and ":" not in raw and not _ZIP_CODE.fullmatch(raw)


# --- emoji ------------------------------------------------------------------------------------

_NOT_EMOJI_ALONE = frozenset({"\u00a9", "\u00ae", "\u2122"})
_ZERO_WIDTH_JOINER = "\u200d"


@functools.cache
def _emoji_support():
    """The emoji data, a trie of its sequences and a regex of characters that can start an emoji
    (loaded on first use)."""
    import emoji

    trie: dict = {}
    for sequence in emoji.EMOJI_DATA:
        node = trie
        for char in sequence:
            node = node.setdefault(char, {})
        node[_SEQUENCE_END] = True
    code_points = sorted(
        {ord(sequence[0]) for sequence in emoji.EMOJI_DATA} - {ord(char) for char in "0123456789#*"}
        | {0x20E3}
    )
    ranges: list[str] = []
    run_start = previous = code_points[0]
    for code_point in [*code_points[1:], -1]:
        if code_point != previous + 1:
            ranges.append(rf"\x{{{run_start:X}}}-\x{{{previous:X}}}")
            run_start = code_point
        previous = code_point
    components = frozenset(sequence for sequence, data in emoji.EMOJI_DATA.items()
                           if data["status"] == emoji.STATUS["component"])
    return emoji.EMOJI_DATA, trie, components, _compile("[" + "".join(ranges) + "]")


_SEQUENCE_END = None  # the trie key marking a complete emoji sequence
_VARIATION_SELECTORS = ("\ufe0e", "\ufe0f")


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the emoji that `emoji.emoji_list` finds, found the way its tokenizer finds them
    (longest sequence of the emoji data; a joiner between emoji the data does not list as one
    sequence is skipped) in linear time: the library keeps the skipped joiners in a list, which
    makes a long joined run quadratic."""
    emoji_data, trie, components, _ = _emoji_support()
    spans: list[tuple[int, int]] = []
    pending: list[tuple[int, int, bool]] = []  # tokens not final yet (a joiner may follow): start, end, emoji?
    skipped: set[int] = set()  # joiners between emoji that no sequence joins
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if position in skipped:
            position += 1
            continue
        if char in trie:
            end = position + 1
            node = trie[char]
            while end < length and text[end] in node and end not in skipped:
                node = node[text[end]]
                end += 1
            if _SEQUENCE_END in node:
                pending.append((position, end, True))
                position = end
                continue
        elif (char == _ZERO_WIDTH_JOINER and pending and text[pending[-1][0]:pending[-1][1]] in emoji_data
              and position > 0 and text[position - 1] in trie):
            # Read the emoji before the joiner again, now without the joiner (a skin tone or
            # other component, with the token before it). Steps back as the library does.
            skipped.add(position)
            start, end, _ = pending[-1]
            if text[start:end] in components:
                position -= sum(end - start for start, end, _ in pending[-2:])
                if text[position] == _ZERO_WIDTH_JOINER:
                    position += 1
                    del pending[-1]
                else:
                    del pending[-2:]
            else:
                position -= end - start
                del pending[-1]
            continue
        elif pending:
            spans.extend((start, end) for start, end, is_emoji in pending if is_emoji)
            pending = []
        if char not in _VARIATION_SELECTORS:
            pending.append((position, position + 1, False))
        position += 1
    spans.extend((start, end) for start, end, is_emoji in pending if is_emoji)
    return spans


def find_emoji(text: str) -> list[Found]:
    """Emoji, with ZWJ sequences, skin tones and keycaps as one finding; not a bare ©, ® or ™."""
    text = searchable(text)
    if text.isascii():
        return []
    candidates = _emoji_support()[3]
    if candidates.search(text) is None:
        return []
    found: list[Found] = []
    for start, end in emoji_spans(text):
        value = text[start:end]
        if value in _NOT_EMOJI_ALONE:
            continue
        previous = found[-1] if found else None
        if previous is not None and previous.end + 1 == start and text[previous.end] == _ZERO_WIDTH_JOINER:
            # A ZWJ sequence the emoji data does not list: still one emoji (its value is taken
            # at the end, once: a long joined run would be copied again at every joiner).
            found[-1] = Found(previous.start, end, "")
            continue
        found.append(Found(start, end, value))
    return [f if f.value else Found(f.start, f.end, text[f.start:f.end]) for f in found]


# --- language ---------------------------------------------------------------------------------

_MIN_LETTERS = 12
_MIN_WORDS = 3
_MIN_UNSPACED_LETTERS = 5
# CLD3 reads at most this many bytes of UTF-8; a message's first few paragraphs tell its language.
_MAX_CLASSIFIED_BYTES = 4000
_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_UNSPACED_SCRIPT_CHAR = _compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
# CLD3 labels that are not ISO 639-1 codes: deprecated codes, romanised scripts ("ja-Latn" is
# Japanese in Latin letters) and Filipino, written as Tagalog's code.
_ISO_639_1_OF = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "fil": "tl", "und": None}


@functools.cache
def _language_identifier():
    import gcld3  # Google's Compact Language Detector v3; its model is compiled in

    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=_MAX_CLASSIFIED_BYTES)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is too little prose to tell."""
    text = searchable(text)
    prose = _prose_only(text)
    letters = sum(1 for char in prose if char.isalpha())
    unspaced = sum(1 for _ in _UNSPACED_SCRIPT_CHAR.finditer(prose)) if not prose.isascii() else 0
    if unspaced < _MIN_UNSPACED_LETTERS and (
        letters < _MIN_LETTERS or len(_WORD.findall(prose)) < _MIN_WORDS
    ):
        return None
    label = _language_identifier().FindLanguage(text=prose).language.split("-", 1)[0]
    return _ISO_639_1_OF.get(label, label)


def _prose_only(text: str) -> str:
    """`text` without links, e-mail addresses and digits."""
    spans = [(link.start, link.end) for link in find_links(text)]
    spans += [(found.start, found.end) for found in find_emails(text)]
    pieces: list[str] = []
    previous_end = 0
    for start, end in sorted(spans):
        if start >= previous_end:
            pieces.append(text[previous_end:start])
            pieces.append(" ")
            previous_end = end
    pieces.append(text[previous_end:])
    return _DIGITS.sub(" ", "".join(pieces))
