"""Markdown to safe HTML for lesson pages.

Python-Markdown renders fenced code (with Pygments), tables, a table of
contents and admonitions; nh3 then removes everything that could run in the
reader's browser. Lesson text comes from a repository that instructors
edit, so it is treated as untrusted.
"""

import posixpath

import markdown
import nh3
from django.urls import reverse
from markdown.extensions.toc import slugify_unicode

EXTENSIONS = ["fenced_code", "attr_list", "tables", "toc", "admonition", "codehilite", "sane_lists"]
EXTENSION_CONFIGS = {
    "codehilite": {"css_class": "highlight", "guess_lang": False},
    # Keep Cyrillic and Uzbek letters in heading ids; the default slugify drops
    # them, leaving Russian headings with ids such as "_1".
    "toc": {"permalink": False, "slugify": slugify_unicode},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source, *, source_path=""):
    """Return sanitized HTML for Markdown source.

    source_path is the file's path in the lessons repository: relative image
    paths resolve against its folder and point at the repository file view.
    Images from anywhere else are dropped.
    """
    html = markdown.markdown(source, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    folder = posixpath.dirname(source_path)

    def filter_attribute(tag, attribute, value):
        if tag == "img" and attribute == "src":
            return repository_image_url(folder, value)
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=filter_attribute,
        link_rel="noopener noreferrer nofollow",
    )


def repository_image_url(folder, src):
    """Return the URL of a repository image referenced from a file in folder, or None."""
    if not src or "://" in src or src.startswith(("/", "//", "data:")) or ":" in src.split("/")[0]:
        return None
    path = posixpath.normpath(posixpath.join(folder, src))
    if path.startswith("../") or path == "..":
        return None
    return reverse("courses:repository_file", args=[path])
