"""The HTML reader: visible text mapped to the source, link targets and tracking pixels."""

from __future__ import annotations

import html as html_module

import pytest
from hypothesis import given, strategies as st

from bsm_rules import load_policy
from bsm_rules.library.html_reader import parse_html


def _targets(source: str) -> list[str]:
    return [target.value for target in parse_html(source).link_targets]


def _pixels(source: str) -> list[str]:
    return [pixel.value for pixel in parse_html(source).tracking_pixels]


# -- visible text


def test_visible_text_drops_markup_hidden_elements_and_decodes_entities():
    source = ("<html><head><title>Shop</title><style>p{color:red}</style><script>var a='<b>';</script></head>"
              "<body><p>Caf&eacute; &amp; more&nbsp;here</p><div style='display:none'>secret</div>"
              "<p hidden>also hidden</p><ul><li>one<li>two</ul>line<br>break</body></html>")
    text = parse_html(source).visible_text
    assert text == "Café & more\xa0here\none\ntwo\nline\nbreak"


def test_white_space_collapses_except_in_preformatted_text():
    assert parse_html("<p>a \n\t b</p><pre>x   y\n z</pre>").visible_text.rstrip("\n") == "a b\nx   y\n z"


def test_malformed_html_is_read_not_rejected():
    content = parse_html("<p>unclosed <b>bold <a href='https://x.example/'>link</p></div></span> tail &bogus; <")
    assert "unclosed bold link" in content.visible_text
    assert "tail &bogus;" in content.visible_text
    assert _targets("<a href=https://x.example/a>x</a><a href='") == ["https://x.example/a"]


def test_visible_text_offsets_map_back_into_the_source():
    source = "<p>Hello <b>J&ouml;rg</b>,</p>\n<p>write to jane@example.com</p>"
    content = parse_html(source)
    start = content.visible_text.index("jane@example.com")
    begin, end = content.source_span(start, start + len("jane@example.com"))
    assert source[begin:end] == "jane@example.com"
    start = content.visible_text.index("Jörg")
    begin, end = content.source_span(start, start + 4)
    assert source[begin:end] == "J&ouml;rg"


# -- link targets


def test_link_targets_from_every_kind_of_reference_point_into_the_source():
    source = (
        '<html><head><meta http-equiv="refresh" content="5; url=https://refresh.example/r">'
        "<style>@import 'https://css.example/import.css'; .a{background:url(https://css.example/bg.png)}</style>"
        "</head><body>"
        '<a href="https://a.example/x?y=1&amp;z=2">a</a>'
        '<img src="https://img.example/i.png" srcset="https://s1.example/1x.png 1x, https://s2.example/2x.png 2x">'
        "<div style=\"background-image: url(&quot;https://style.example/q.png&quot;)\">d</div>"
        "<form action='https://form.example/post'></form>"
        "</body></html>"
    )
    content = parse_html(source)
    values = [target.value for target in content.link_targets]
    assert values == [
        "https://refresh.example/r", "https://css.example/import.css", "https://css.example/bg.png",
        "https://a.example/x?y=1&z=2", "https://img.example/i.png", "https://s1.example/1x.png",
        "https://s2.example/2x.png", "https://style.example/q.png", "https://form.example/post",
    ]
    for target in content.link_targets:
        assert html_module.unescape(source[target.start:target.end]).strip() == target.value


@pytest.mark.parametrize("refresh, expected", [
    ("0;URL='https://q.example/'", "https://q.example/"),
    ("3,url=https://c.example/p", "https://c.example/p"),
    ("https://bare.example/", "https://bare.example/"),
])
def test_meta_refresh_forms(refresh, expected):
    assert _targets(f'<meta http-equiv="Refresh" content="{refresh}">') == [expected]


def test_srcset_with_descriptors_and_commas_in_urls():
    assert _targets('<img srcset="a.png 100w, b,c.png 200w,d.png">') == ["a.png", "b,c.png", "d.png"]


# -- tracking pixels


@pytest.mark.parametrize("tag", [
    '<img src="https://t.example/p.gif" width="1" height="1">',
    '<img src="https://t.example/p.gif" width="1px" height="0">',
    '<img src="https://t.example/p.gif" style="width:1px;height:1px">',
    '<img src="https://t.example/p.gif" style="WIDTH: 0; HEIGHT: 0 !important">',
    '<img src="https://t.example/p.gif" style="display:none">',
    '<img src="https://t.example/p.gif" style="visibility: hidden">',
    '<img src="https://t.example/p.gif" style="opacity:0">',
    '<img src="https://t.example/p.gif" style="opacity: 0%">',
    '<img src="https://t.example/p.gif" width="0">',
    '<img src="https://t.example/p.gif" hidden>',
    '<div style="display:none"><img src="https://t.example/p.gif"></div>',
])
def test_tracking_pixels(tag):
    source = f"<p>Thanks!</p>{tag}"
    content = parse_html(source)
    (pixel,) = content.tracking_pixels
    assert pixel.value == "https://t.example/p.gif"
    assert source[pixel.start:pixel.end].startswith("<img")


@pytest.mark.parametrize("tag", [
    '<img src="logo.png" width="120" height="40">',
    '<img src="logo.png" width="1">',
    '<img src="logo.png" style="opacity:0.5; width:1px">',
    '<img src="logo.png">',
])
def test_visible_images_are_not_tracking_pixels(tag):
    assert _pixels(tag) == []


def test_policy_reports_pixels_and_links_at_html_source_offsets():
    source = '<p>See <a href="https://shop.example/help">help</a></p><img src="https://t.example/o.gif" width=1 height=1>'
    verdict = load_policy().evaluate({"id": "h", "html": source, "contact_reason": "delivery_scheduling",
                                      "subject": "[Important] 111-2222222-3333333"})
    found = {(v.rule, source[v.start:v.end]) for v in verdict.violations if v.field == "html"}
    assert ("no-external-links", "https://shop.example/help") in found
    assert ("tracking-pixel", '<img src="https://t.example/o.gif" width=1 height=1>') in found


# -- properties

_HTML_PIECE_LIST = [
    "<p>", "</p>", "<b>", "</b>", "<br>", "<a href='https://x.example/?a=1&amp;b=2'>", "</a>", "&amp;", "&lt;",
    "&#x41;", "&nbsp;", "<img src=x width=1 height=1>", "<style>a{b:url(u.png)}</style>", "<!-- c -->",
    "<script>1<2</script>", "<", ">", "&", "\"", "'", " ", "\n", "text", "é", "<pre>", "</pre>", "<li>",
    "<div style='display:none'>", "</div>", "<td>", "<meta http-equiv=refresh content='0;url=r'>",
]
_HTML_PIECES = st.sampled_from(_HTML_PIECE_LIST)


@given(st.lists(_HTML_PIECES | st.text(max_size=5), max_size=30).map("".join))
def test_never_raises_and_spans_stay_inside_the_source(source):
    content = parse_html(source)
    for found in content.link_targets + content.tracking_pixels:
        assert 0 <= found.start <= found.end <= len(source)
    text = content.visible_text
    for start in range(len(text)):
        begin, end = content.source_span(start, start + 1)
        assert 0 <= begin < end <= len(source)
    assert content.source_span(0, len(text))[1] <= len(source)


@given(st.text(st.characters(blacklist_characters="<&\r", blacklist_categories=("Cs",)), max_size=60))
def test_text_without_markup_reads_as_itself_with_white_space_collapsed(text):
    content = parse_html(text)
    expected = " ".join(part for part in text.replace("\t", " ").replace("\n", " ").replace("\f", " ").split(" ") if part)
    assert content.visible_text == expected
    for start, char in enumerate(content.visible_text):
        begin, end = content.source_span(start, start + 1)
        assert text[begin:end] == char or (char == " " and not text[begin:end].strip(" \t\n\f"))


# -- constructs that never end

def _as_html_parser_reads(source: str):
    """What the reader sees when html.parser is given the whole source and then closed."""
    from bsm_rules.library.html_reader import _HtmlReader

    reader = _HtmlReader(source)
    reader.feed(source)
    reader.close()
    return reader.content()


_FINISHED_PIECES = st.sampled_from([piece for piece in _HTML_PIECE_LIST if piece not in ("<", "&")]
                                   + ["<!-- <b> -->", "<![CDATA[x]]>", "<!doctype html>", "<?xml?>", "</x y>", "a < b",
                                      "<a title='<!--'>", "&#39;"])


@given(st.lists(_FINISHED_PIECES | st.text(st.characters(blacklist_characters="<&"), max_size=5), max_size=30)
       .map("".join))
def test_a_document_whose_constructs_all_end_reads_as_html_parser_reads_it(source):
    content, expected = parse_html(source), _as_html_parser_reads(source)
    assert content.visible_text == expected.visible_text
    assert content.link_targets == expected.link_targets
    assert content.tracking_pixels == expected.tracking_pixels
    assert [content.source_span(i, i + 1) for i in range(len(content.visible_text))] == \
        [expected.source_span(i, i + 1) for i in range(len(expected.visible_text))]


@pytest.mark.parametrize("opening", ["<!--", "<![CDATA[", "<![if x"])
def test_a_section_that_never_ends_is_read_as_text_and_reading_goes_on(opening):
    source = f"<p>Hello</p>{opening} call <b>+1 206 555 0100</b> <img src=https://t.example/p width=1 height=1>"
    content = parse_html(source)
    assert f"{opening} call +1 206 555 0100" in content.visible_text
    start = content.visible_text.index(opening)
    assert content.source_span(start, start + len(opening)) == (12, 12 + len(opening))
    assert [pixel.value for pixel in content.tracking_pixels] == ["https://t.example/p"]


@pytest.mark.parametrize("opening", ["<!x", "<!doctype", "<?", "</a", "<a b='", "<a"])
def test_markup_that_never_ends_at_the_end_is_read_as_text(opening):
    source = f"<p>Hello</p><img src=https://t.example/p width=1 height=1>{opening} call +1 206 555 0100 &amp; bye"
    content = parse_html(source)
    assert content.visible_text.endswith(f"{opening} call +1 206 555 0100 & bye")
    assert [pixel.value for pixel in content.tracking_pixels] == ["https://t.example/p"]


def test_a_marked_section_html_parser_does_not_know_does_not_hide_the_rest():
    content = parse_html("<p>Hi</p><![foo]>Call +1 206 555 0100 <a href='https://x.example/'>x</a>")
    assert "Call +1 206 555 0100" in content.visible_text
    assert _targets("<![foo]><a href='https://x.example/'>x</a>") == ["https://x.example/"]


def test_a_bad_character_reference_is_text_and_markup_after_it_is_read():
    content = parse_html("Ref &#; and &#q <b>bold</b> <i>it</i>")
    assert content.visible_text == "Ref &#; and &#q bold it"


@pytest.mark.parametrize("piece", ["<!--", "<!-- >", "<![CDATA[", "<![CDATA[>", "<a x='>' ", '<a x=">" ', "<a b",
                                   "</a", "<?", "<!x", "<![if ", "&#;<!--", "<", "&#"])
def test_a_megabyte_of_a_repeated_piece_is_read(piece):
    source = piece * (1_000_000 // len(piece))
    content = parse_html(source)
    assert len(content.visible_text) <= len(source)
    if piece in ("<!--", "<![CDATA[", "<?", "<!x", "<![if "):  # it never ends: all is text
        assert content.visible_text == source.strip()


@pytest.mark.parametrize("closing", ["</i>", "<body>", "</b>"])
def test_many_open_elements_and_what_closes_them_are_read(closing):
    source = "<b>" * 100_000 + "x" + closing * 100_000
    assert parse_html(source).visible_text == "x"
