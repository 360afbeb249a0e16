"""Lessons served in the reader's language: pages, API and the admin's outdated mark."""

# Russian test texts use Cyrillic letters on purpose.
# ruff: noqa: RUF001

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from conftest import bearer
from courses.models import Module, Section, Theme, ThemeTranslation

pytestmark = pytest.mark.django_db

MISSING_NOTE = (
    "This lesson is not translated into your language yet, so it is shown in the original."
)
OUTDATED_NOTE = (
    "The original of this lesson changed after this translation was last updated, "
    "so the translation may be outdated."
)
MARCH_1 = datetime(2026, 3, 1, tzinfo=UTC)
MARCH_2 = datetime(2026, 3, 2, tzinfo=UTC)


def note_in(language, message):
    """Return the note as a page in language shows it, whether or not the catalogue has it yet."""
    with translation.override(language):
        return escape(gettext(message))


def add_theme(section, number, *, committed_at=MARCH_1):
    return Theme.objects.create(
        section=section, title=f"Theme {number}", slug=f"theme-{number}", order=number,
        source=f"English text {number}.", source_path=f"01-files/01-basics/0{number}-theme.md",
        source_committed_at=committed_at,
    )  # fmt: skip


def translate(theme, language, *, committed_at=MARCH_1):
    return ThemeTranslation.objects.create(
        theme=theme, language=language, title=f"Тема {theme.order}",
        description=f"Описание {theme.order}", source=f"Русский текст {theme.order}.",
        source_path=theme.source_path.replace(".md", f".{language}.md"),
        commit="c" * 40, source_committed_at=committed_at,
    )  # fmt: skip


@pytest.fixture
def course():
    """One module with three themes: the first and third translated into Russian."""
    module = Module.objects.create(
        title="Files", slug="files", order=1, description="About files.",
        translations={"ru": {"title": "Файлы", "description": "О файлах."}},
    )  # fmt: skip
    section = Section.objects.create(
        module=module, title="Basics", slug="basics", order=1,
        translations={"ru": {"title": "Основы", "description": ""}},
    )  # fmt: skip
    themes = [add_theme(section, number) for number in (1, 2, 3)]
    translate(themes[0], "ru")
    translate(themes[2], "ru")
    return module, themes


def test_page_shows_original_in_english(client, student, course):
    _module, themes = course
    client.force_login(student)

    page = client.get(f"/lessons/themes/{themes[0].pk}/", HTTP_ACCEPT_LANGUAGE="en").text

    assert '<h1 lang="en">Theme 1</h1>' in page
    assert "English text 1." in page
    assert "Русский текст" not in page
    assert 'class="translation-note"' not in page


def test_page_shows_translation_in_russian(client, student, course):
    _module, themes = course
    client.force_login(student)

    page = client.get(f"/lessons/themes/{themes[0].pk}/", HTTP_ACCEPT_LANGUAGE="ru").text

    assert '<h1 lang="ru">Тема 1</h1>' in page
    assert '<div class="lesson-body" lang="ru"' in page
    assert "Русский текст 1." in page
    assert "English text 1." not in page
    assert ">Файлы</a>" in page
    assert "› Основы" in page
    assert 'class="translation-note"' not in page


def test_page_without_translation_shows_original_and_note(client, student, course):
    _module, themes = course
    client.force_login(student)

    russian = client.get(f"/lessons/themes/{themes[1].pk}/", HTTP_ACCEPT_LANGUAGE="ru").text
    uzbek = client.get(f"/lessons/themes/{themes[0].pk}/", HTTP_ACCEPT_LANGUAGE="uz").text

    assert '<h1 lang="en">Theme 2</h1>' in russian
    assert "English text 2." in russian
    assert note_in("ru", MISSING_NOTE) in russian
    assert '<h1 lang="en">Theme 1</h1>' in uzbek
    assert "English text 1." in uzbek
    assert note_in("uz", MISSING_NOTE) in uzbek
    assert ">Files</a>" in uzbek


def test_page_marks_outdated_translation(client, student, course):
    _module, themes = course
    Theme.objects.filter(pk=themes[0].pk).update(source_committed_at=MARCH_2)
    client.force_login(student)

    page = client.get(f"/lessons/themes/{themes[0].pk}/", HTTP_ACCEPT_LANGUAGE="ru").text

    assert '<h1 lang="ru">Тема 1</h1>' in page
    assert note_in("ru", OUTDATED_NOTE) in page
    assert note_in("ru", MISSING_NOTE) not in page


def test_navigation_titles_translated(client, student, course):
    _module, themes = course
    client.force_login(student)

    page = client.get(f"/lessons/themes/{themes[1].pk}/", HTTP_ACCEPT_LANGUAGE="ru").text

    assert f'href="/lessons/themes/{themes[0].pk}/" rel="prev">← Тема 1</a>' in page
    assert f'href="/lessons/themes/{themes[2].pk}/" rel="next">Тема 3 →</a>' in page


def test_module_pages_translated(client, student, course):
    module, _themes = course
    client.force_login(student)

    modules = client.get("/lessons/", HTTP_ACCEPT_LANGUAGE="ru").text
    detail = client.get(f"/lessons/modules/{module.pk}/", HTTP_ACCEPT_LANGUAGE="ru").text
    english = client.get(f"/lessons/modules/{module.pk}/", HTTP_ACCEPT_LANGUAGE="en").text

    assert "Файлы" in modules
    assert "О файлах." in modules
    assert "<h1>Файлы</h1>" in detail
    assert "<h2>Основы</h2>" in detail
    assert detail.index("Тема 1") < detail.index("Theme 2") < detail.index("Тема 3")
    assert "Описание 1" in detail
    assert "<h1>Files</h1>" in english
    assert "Тема 1" not in english


def test_api_lesson_follows_accept_language(student, course):
    _module, themes = course
    api = bearer(student)
    url = f"/api/lessons/{themes[0].pk}"

    russian = api.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    uzbek = api.get(url, HTTP_ACCEPT_LANGUAGE="uz")
    english = api.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert russian.json()["title"] == "Тема 1"
    assert russian.json()["description"] == "Описание 1"
    assert russian.json()["html"] == "<p>Русский текст 1.</p>"
    assert russian.json()["commit"] == "c" * 40
    assert russian.json()["language"] == "ru"
    assert russian.json()["translation_status"] == "translated"
    assert russian["Content-Language"] == "ru"
    assert uzbek.json()["title"] == "Theme 1"
    assert uzbek.json()["language"] == "en"
    assert uzbek.json()["translation_status"] == "missing"
    assert uzbek["Content-Language"] == "en"
    assert english.json()["title"] == "Theme 1"
    assert english.json()["language"] == "en"
    assert english.json()["translation_status"] == "original"


def test_api_lesson_reports_outdated(student, course):
    _module, themes = course
    Theme.objects.filter(pk=themes[0].pk).update(source_committed_at=MARCH_2)

    lesson = bearer(student).get(f"/api/lessons/{themes[0].pk}", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert lesson["title"] == "Тема 1"
    assert lesson["language"] == "ru"
    assert lesson["translation_status"] == "outdated"


def test_api_modules_translated(student, course):
    module, _themes = course
    api = bearer(student)

    modules = api.get("/api/modules", HTTP_ACCEPT_LANGUAGE="ru").json()
    detail = api.get(f"/api/modules/{module.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert (modules[0]["title"], modules[0]["description"]) == ("Файлы", "О файлах.")
    assert detail["title"] == "Файлы"
    assert detail["sections"][0]["title"] == "Основы"
    assert [theme["title"] for theme in detail["sections"][0]["themes"]] == [
        "Тема 1",
        "Theme 2",
        "Тема 3",
    ]


def test_translated_pages_query_count_constant(client, student, course):
    module, themes = course
    client.force_login(student)
    urls = ["/lessons/", f"/lessons/modules/{module.pk}/", f"/lessons/themes/{themes[1].pk}/"]

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, HTTP_ACCEPT_LANGUAGE="ru").status_code == 200
        return len(queries)

    before = [count(url) for url in urls]
    for number in range(4, 9):
        translate(add_theme(themes[0].section, number), "ru")

    assert [count(url) for url in urls] == before


def test_admin_list_marks_outdated_translations(client, instructor, course):
    _module, themes = course
    Theme.objects.filter(pk=themes[0].pk).update(source_committed_at=MARCH_2)
    client.force_login(instructor)

    page = client.get("/admin/courses/theme/").text

    assert page.count("<strong>ru: Translation may be outdated</strong>") == 1
    assert page.count("ru: Translated") == 1
    assert page.count("ru: Not translated") == 1
    assert page.count("uz: Not translated") == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [("outdated", ["Theme 1"]), ("missing", ["Theme 1", "Theme 2", "Theme 3"]), ("translated", [])],
)
def test_admin_filters_by_translation_state(client, instructor, course, value, expected):
    _module, themes = course
    Theme.objects.filter(pk=themes[0].pk).update(source_committed_at=MARCH_2)
    client.force_login(instructor)

    page = client.get(f"/admin/courses/theme/?translations={value}").text

    shown = [
        theme.title for theme in Theme.objects.order_by("order") if f">{theme.title}</a>" in page
    ]
    assert shown == expected


def test_admin_filter_finds_fully_translated(client, instructor, course):
    _module, themes = course
    translate(themes[2], "uz")
    client.force_login(instructor)

    page = client.get("/admin/courses/theme/?translations=translated").text
    missing = client.get("/admin/courses/theme/?translations=missing").text

    assert ">Theme 3</a>" in page
    assert ">Theme 1</a>" not in page
    assert ">Theme 3</a>" not in missing


def test_admin_detail_shows_translation_status(client, instructor, course):
    _module, themes = course
    Theme.objects.filter(pk=themes[0].pk).update(source_committed_at=MARCH_2)
    client.force_login(instructor)

    outdated = client.get(f"/admin/courses/theme/{themes[0].pk}/change/").text
    current = client.get(f"/admin/courses/theme/{themes[2].pk}/change/").text

    assert "01-files/01-basics/01-theme.ru.md" in outdated
    assert "<strong>Translation may be outdated</strong>" in outdated
    assert "01-files/01-basics/03-theme.ru.md" in current
    assert "Translation may be outdated" not in current
