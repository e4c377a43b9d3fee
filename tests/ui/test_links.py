"""Links on the screening page are built from escaped parts: a DOI or a full-text address from a
file cannot add a link, close ours early, or run script (issue 11)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from review_app.ui.components.links import doi_link, link_text, pubmed_link, record_links, web_link

HOSTILE_DOI = "10.1234/x)[click](https://evil.example)"
MARKDOWN = MarkdownIt("commonmark")


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def anchors(markdown: str) -> list[tuple[str, str]]:
    """(href, text) of every link CommonMark makes of ``markdown``."""
    parser = _Anchors()
    parser.feed(MARKDOWN.render(markdown))
    return parser.links


def bare_addresses(markdown: str) -> list[str]:
    """Addresses outside link destinations that GitHub-flavoured Markdown (Streamlit's) would
    turn into links of their own: ``https://``, ``www.``, ``name@host``, unescaped."""
    outside = re.sub(r"\]\([^)\s]*\)", "]", markdown)
    return re.findall(r"[a-z]+://|(?<![\\\w])www\.|\w@\w", outside, flags=re.IGNORECASE)


def test_a_doi_with_markdown_in_it_makes_one_link_to_doi_org() -> None:
    markdown = doi_link(HOSTILE_DOI)
    assert markdown == (
        r"[DOI 10\.1234\/x\)\[click\]\(https\:\/\/evil\.example\)]"
        "(https://doi.org/10.1234/x%29%5Bclick%5D%28https://evil.example%29)"
    )
    ((href, text),) = anchors(markdown)
    assert href == "https://doi.org/10.1234/x%29%5Bclick%5D%28https://evil.example%29"
    assert text == f"DOI {HOSTILE_DOI}"
    assert bare_addresses(markdown) == []


@pytest.mark.parametrize(
    "doi",
    [
        "10.1000/182",
        "10.1002/(sici)1097-4636(199709)36:3<281::aid-jbm1>3.0.co;2-#",
        "10.1234/a]b",
        "10.1234/<script>alert(1)</script>",
        "10.1234/x'onmouseover='alert(1)",
        '10.1234/x"><img src=x onerror=alert(1)>',
        "10.1234/www.evil.example",
        "10.1234/user@evil.example",
        "10.1234/*bold*_it_`code`",
        "10.1234/x\\",
    ],
)
def test_any_doi_is_one_link_whose_text_is_the_doi(doi: str) -> None:
    markdown = doi_link(doi)
    ((href, text),) = anchors(markdown)
    assert href.startswith("https://doi.org/10.") and not re.search(r"[\s<>\"'()\[\]]", href)
    assert text == f"DOI {doi}"
    assert bare_addresses(markdown) == []
    assert not re.search(r"<(?!/?(?:p|a)\b)", MARKDOWN.render(markdown))  # no tag but ours


def test_record_links_joins_doi_and_pubmed() -> None:
    markdown = record_links(HOSTILE_DOI, "32607084")
    assert [href for href, _ in anchors(markdown)] == [
        "https://doi.org/10.1234/x%29%5Bclick%5D%28https://evil.example%29",
        "https://pubmed.ncbi.nlm.nih.gov/32607084/",
    ]
    assert record_links(None, None) == ""
    assert anchors(pubmed_link("1)[x](https://evil.example")) == [
        (
            "https://pubmed.ncbi.nlm.nih.gov/1%29%5Bx%5D%28https%3A%2F%2Fevil.example/",
            "PubMed 1)[x](https://evil.example",
        )
    ]


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://example.org/paper.pdf", "https://example.org/paper.pdf"),
        ("http://example.org/a b(c)", "http://example.org/a%20b%28c%29"),
        ("https://example.org/x)[click](https://evil.example)",
         "https://example.org/x%29%5Bclick%5D%28https://evil.example%29"),
        ("https://example.org/?q=a&b=%20c#frag", "https://example.org/?q=a&b=%20c#frag"),
        ('https://example.org/"><script>', "https://example.org/%22%3E%3Cscript%3E"),
    ],
)  # fmt: skip
def test_a_web_link_is_one_quoted_link(url: str, href: str) -> None:
    markdown = web_link("Full text link", url)
    assert markdown is not None
    assert anchors(markdown) == [(href, "Full text link")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//evil.example/x",
        "https:///no-host",
        "ftp://example.org/x.pdf",
        "http://[::1",
    ],
)
def test_only_http_and_https_addresses_become_links(url: str) -> None:
    assert web_link("Full text link", url) is None
    assert anchors(link_text(url)) == [] and bare_addresses(link_text(url)) == []
