"""Report bodies in Markdown (app/reports/rendering.py): hostile input renders to nothing that
runs, and ordinary formatting survives."""

import pytest

from app.reports.rendering import render_markdown
from tests.helpers import XSS, assert_safe


@pytest.mark.parametrize("vector", [*XSS, "\x00<script>alert(1)</script>"])
def test_markdown_rendering_is_safe(vector):
    assert_safe(render_markdown(vector))
    assert_safe(render_markdown(f"Some text\n\n{vector}\n\nmore *text*"))


def test_markdown_keeps_ordinary_formatting():
    html = render_markdown(
        "## Summary\n\n- one\n- **two**\n\n1. a\n\n> quoted\n\n"
        "[SIPRI](https://www.sipri.org) and [mail](mailto:desk@example.org)\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~old~~ `code`"
    )
    assert "<h2>Summary</h2>" in html and "<strong>two</strong>" in html
    assert '<a href="https://www.sipri.org" rel="nofollow noopener">SIPRI</a>' in html
    assert 'href="mailto:desk@example.org"' in html
    assert "<table>" in html and "<td>1</td>" in html and "style" not in html
    assert "<s>old</s>" in html and "<code>code</code>" in html and "<blockquote>" in html
