import re

import pytest

from courses.rendering import render_markdown

# Each entry tries one way to get script into a lesson page.
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.test"></iframe>',
    '<object data="evil.swf"></object>',
    '<embed src="evil.swf">',
    '<form action="https://evil.test"><input name="x"></form>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">paragraph</p>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>body{display:none}</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.test">',
    '<base href="https://evil.test/">',
    '<link rel="stylesheet" href="https://evil.test/x.css">',
    "![x](javascript:alert(1))",
    '<img src="https://evil.test/track.png">',
    "```html\n<script>alert(1)</script>\n```",
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    "<scr<script>ipt>alert(1)</script>",
]


@pytest.mark.parametrize("source", XSS_CORPUS)
def test_nothing_executable_survives(source):
    html = render_markdown(source).lower()

    assert "<script" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "javascript:" not in html
    assert "data:text/html" not in html
    for tag in (
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<style",
        "<meta",
        "<base",
        "<link",
        "<svg",
    ):
        assert tag not in html
    assert "style=" not in html
    assert "evil.test" not in html or "rel=" in html


def test_code_block_shows_script_as_text():
    html = render_markdown("```html\n<script>alert(1)</script>\n```")

    assert "&lt;" in html
    assert "script" in html


def test_markdown_features_rendered():
    source = "\n".join(
        [
            "[TOC]",
            "",
            "## Listing files",
            "",
            "| bit | meaning |",
            "|-----|---------|",
            "| r   | read    |",
            "",
            '!!! note "Tip"',
            "    Use `ls -a` for hidden files.",
            "",
            "```bash",
            "ls -la",
            "```",
            "",
            "```{.bash .run}",
            "pwd",
            "```",
        ]
    )

    html = render_markdown(source)

    assert '<h2 id="listing-files">Listing files</h2>' in html
    assert '<div class="toc">' in html
    assert "<table>" in html
    assert '<div class="admonition note">' in html
    assert '<div class="highlight">' in html
    assert '<span class="nb">pwd</span>' in html
    assert '<div class="run highlight">' in html


def test_links_get_safe_rel():
    html = render_markdown("[man pages](https://manpages.debian.org/)")

    assert 'href="https://manpages.debian.org/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_repository_images_rewritten(db):
    html = render_markdown("![tree](images/tree.png)", source_path="01-files/01-nav/01-where.md")

    assert 'src="/lessons/files/01-files/01-nav/images/tree.png"' in html


@pytest.mark.parametrize(
    "src", ["../../../etc/passwd.png", "/etc/x.png", "https://evil.test/x.png"]
)
def test_outside_images_dropped(db, src):
    html = render_markdown(f"![x]({src})", source_path="01-a/01-b/01-c.md")

    assert "src=" not in html


def test_heading_ids_keep_cyrillic_letters():
    html = render_markdown("[TOC]\n\n## Права доступа\n\n## Fayl huquqlari\n")

    assert '<h2 id="права-доступа">Права доступа</h2>' in html
    assert '<a href="#права-доступа"' in html
    assert '<h2 id="fayl-huquqlari">Fayl huquqlari</h2>' in html
