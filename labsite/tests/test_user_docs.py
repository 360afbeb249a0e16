"""The READMEs and the user guides exist in English, Uzbek and Russian and match in shape.

A translation that is missing, lacks a section or changes a command fails
here. The wording itself is for people to review.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GUIDE = ROOT / "docs" / "guide"
LANGUAGES = ["en", "uz", "ru"]
READMES = {"en": ROOT / "README.md", "uz": ROOT / "README.uz.md", "ru": ROOT / "README.ru.md"}
GUIDE_PAGES = {"content-authoring.md", "running-a-lab.md", "taking-an-exam.md"}
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FENCE = re.compile(r"^( *)```[^`\n]*\n.*?^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def headings(text):
    """Return the level of each Markdown heading outside code blocks, in order."""
    return [len(line) - len(line.lstrip("#")) for line in FENCE.sub("", text).splitlines()
            if re.match(r"#{1,6} ", line)]  # fmt: skip


def code_blocks(text):
    return [block.group(0) for block in FENCE.finditer(text)]


def local_links(path):
    text = path.read_text(encoding="utf-8")
    return [target for target in LINK.findall(text) if "://" not in target]


def all_documents():
    return [*READMES.values(), *(GUIDE / language / page for language in LANGUAGES
                                 for page in sorted(GUIDE_PAGES))]  # fmt: skip


def test_guides_have_same_pages_in_every_language():
    for language in LANGUAGES:
        pages = {path.name for path in (GUIDE / language).glob("*.md")}
        assert pages == GUIDE_PAGES, language


def test_readme_exists_in_every_language():
    for language, path in READMES.items():
        assert path.is_file(), language
        assert path.read_text(encoding="utf-8").startswith("# Labsite\n"), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_readme_links_other_readmes_and_guides(language):
    links = set(local_links(READMES[language]))

    for other, path in READMES.items():
        if other != language:
            assert path.name in links, other
    for guide_language in LANGUAGES:
        for page in GUIDE_PAGES:
            assert f"docs/guide/{guide_language}/{page}" in links, (guide_language, page)


@pytest.mark.parametrize("path", all_documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_local_links_resolve(path):
    for target in local_links(path):
        assert (path.parent / target).resolve().exists(), target


@pytest.mark.parametrize("language", ["uz", "ru"])
def test_translations_match_english_shape(language):
    pairs = [(READMES["en"], READMES[language])] + [
        (GUIDE / "en" / page, GUIDE / language / page) for page in sorted(GUIDE_PAGES)
    ]
    for english_path, translated_path in pairs:
        english = english_path.read_text(encoding="utf-8")
        translated = translated_path.read_text(encoding="utf-8")

        assert headings(translated) == headings(english), translated_path.name
        assert code_blocks(translated) == code_blocks(english), translated_path.name


def test_uzbek_uses_modifier_letter_turned_comma():
    """Uzbek oʻ and gʻ are written with U+02BB, not an apostrophe or a backtick."""
    for path in [READMES["uz"], *(GUIDE / "uz").glob("*.md")]:
        prose = INLINE_CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
        assert not re.search(r"[oOgG]['`\u2018\u2019]", prose), path.name
