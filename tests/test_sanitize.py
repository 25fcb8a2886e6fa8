"""Markdown is rendered through one allowlist; scripts and dangerous URLs come out inert."""

import pytest

from lms.sanitize import render_markdown

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[x](&#106;avascript:alert(1))",
]


@pytest.mark.parametrize("payload", XSS)
def test_payloads_come_out_inert(payload):
    html = render_markdown(payload).lower()
    for marker in ("<script", "onerror", "onload", "onclick", "javascript:", "data:text", "<iframe", "<svg", "<style", "style="):
        assert marker not in html, (payload, html)


def test_allowed_markup_survives():
    html = render_markdown("## Title\n\n**bold** and `code`\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```\nx = 1\n```\n")
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<th align="left">a</th>' in html and '<td align="right">2</td>' in html
    assert "<pre><code>x = 1\n</code></pre>" in html


def test_links_get_rel_noopener():
    assert render_markdown("[PMDA](https://www.pmda.go.jp/)") == (
        '<p><a href="https://www.pmda.go.jp/" rel="noopener noreferrer">PMDA</a></p>'
    )
