"""Lesson sync of translation files, from real git repositories made in temporary folders."""

# Russian and Uzbek test texts use Cyrillic letters and the Uzbek turned comma on purpose.
# ruff: noqa: RUF001

import os
import subprocess

import pytest

from courses.models import LessonSync, Module, Section, Theme, ThemeTranslation
from courses.sync import sync_lessons
from courses.tests.test_sync import THEME, commit, git, write

pytestmark = pytest.mark.django_db

BASICS = "01-files/01-basics"


def commit_at(repo, when, message="change"):
    """Commit everything with both git dates set to when, an ISO 8601 time with offset."""
    git(repo, "add", "-A")
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.test",
         "commit", "-q", "-m", message],
        cwd=repo, check=True, capture_output=True,
        env={**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
    )  # fmt: skip


@pytest.fixture
def lessons(tmp_path, settings):
    """A repository with one theme in English, its Russian translation and translated metadata."""
    repo = tmp_path / "lessons"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "01-files/module.yaml", "title: Files\ndescription: Working with files.\n")
    write(repo, "01-files/module.ru.yaml", "title: Файлы\ndescription: Работа с файлами.\n")
    write(repo, "01-files/module.uz.yaml", "title: Fayllar\n")
    write(repo, f"{BASICS}/section.yaml", "title: Basics\n")
    write(repo, f"{BASICS}/section.ru.yaml", "title: Основы\n")
    write(repo, f"{BASICS}/01-where-am-i.md", THEME.format(title="Where am I"))
    write(repo, f"{BASICS}/01-where-am-i.ru.md", THEME.format(title="Где я"))
    write(repo, f"{BASICS}/02-listing.md", THEME.format(title="Listing"))
    commit_at(repo, "2026-03-01T10:00:00+05:00", "first")
    settings.LESSONS_REPO_URL = str(repo)
    settings.LESSONS_BRANCH = "main"
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "checkout")
    return repo


def test_sync_stores_translations(lessons):
    record = sync_lessons()

    assert record.result == LessonSync.Result.OK
    assert record.problems == []
    assert record.changed == 2
    assert Module.objects.get().translations == {
        "ru": {"title": "Файлы", "description": "Работа с файлами."},
        "uz": {"title": "Fayllar", "description": ""},
    }
    assert Section.objects.get().translations == {"ru": {"title": "Основы", "description": ""}}
    translation = ThemeTranslation.objects.get()
    assert translation.theme == Theme.objects.get(slug="where-am-i")
    assert translation.language == "ru"
    assert translation.title == "Где я"
    assert translation.description == "About Где я."
    assert translation.source_path == f"{BASICS}/01-where-am-i.ru.md"
    assert translation.commit == record.commit
    assert '<div class="run highlight">' in translation.html
    assert not Theme.objects.filter(slug__contains="ru").exists()


def test_changed_translation_resynced_alone(lessons):
    first = sync_lessons()
    write(lessons, f"{BASICS}/01-where-am-i.ru.md", THEME.format(title="Где я сейчас"))
    commit(lessons)

    second = sync_lessons()

    assert second.result == LessonSync.Result.OK
    assert second.changed == 0
    translation = ThemeTranslation.objects.get()
    assert translation.title == "Где я сейчас"
    assert translation.commit == second.commit
    assert Theme.objects.get(slug="where-am-i").commit == first.commit


def test_translation_added_later_to_unchanged_theme(lessons):
    sync_lessons()
    write(lessons, f"{BASICS}/02-listing.uz.md", THEME.format(title="Roʻyxat"))
    commit(lessons)

    sync_lessons()

    listing = Theme.objects.get(slug="listing")
    assert list(listing.translations.values_list("language", "title")) == [("uz", "Roʻyxat")]


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        (
            f"{BASICS}/01-where-am-i.de.md",
            THEME.format(title="Wo bin ich"),
            "de is not a language that lessons are translated into; use one of uz, ru, or "
            "remove the language code from the name; it was skipped.",
        ),
        (
            f"{BASICS}/01-where-am-i.en.md",
            THEME.format(title="Where am I"),
            "en is not a language that lessons are translated into; use one of uz, ru, or "
            "remove the language code from the name; it was skipped.",
        ),
        (
            f"{BASICS}/03-nothing.ru.md",
            THEME.format(title="Ничего"),
            "The original 03-nothing.md of this translation is missing: add it, or rename the "
            "translation to match its original; it was skipped.",
        ),
        (
            f"{BASICS}/Where.ru.md",
            THEME.format(title="Где"),
            "The name must be two digits, a dash and a slug of lowercase letters, digits and "
            "dashes, such as 01-first-steps; it was skipped.",
        ),
        (
            f"{BASICS}/02-listing.uz.md",
            "---\ndescription: no title\n---\ntext",
            "A title is missing: add a line 'title: ...'.",
        ),
        (
            f"{BASICS}/02-listing.uz.md",
            "no front matter",
            "The front matter is missing: start the file with a '---' block.",
        ),
        (
            "01-files/module.kk.yaml",
            "title: Файлдар\n",
            "kk is not a language that lessons are translated into; use one of uz, ru, or "
            "remove the language code from the name; it was skipped.",
        ),
        (
            f"{BASICS}/section.uz.yaml",
            "description: no title\n",
            "A title is missing: add a line 'title: ...'.",
        ),
    ],
)
def test_invalid_translation_reported(lessons, path, content, message):
    write(lessons, path, content)
    commit(lessons)

    record = sync_lessons()

    assert record.result == LessonSync.Result.PARTIAL
    assert record.problems == [{"path": path, "message": message}]
    assert Theme.objects.count() == 2
    assert list(ThemeTranslation.objects.values_list("language", flat=True)) == ["ru"]
    assert sorted(Module.objects.get().translations) == ["ru", "uz"]
    assert sorted(Section.objects.get().translations) == ["ru"]


def test_invalid_translation_keeps_last_good_version(lessons):
    sync_lessons()
    write(lessons, f"{BASICS}/01-where-am-i.ru.md", "---\ntitle: [unclosed\n---\n")
    write(lessons, "01-files/module.ru.yaml", "title: [unclosed\n")
    commit(lessons)

    record = sync_lessons()

    assert [problem["path"] for problem in record.problems] == [
        "01-files/module.ru.yaml",
        f"{BASICS}/01-where-am-i.ru.md",
    ]
    assert ThemeTranslation.objects.get().title == "Где я"
    assert Module.objects.get().translations["ru"]["title"] == "Файлы"


def test_deleted_translation_removed(lessons):
    sync_lessons()
    (lessons / BASICS / "01-where-am-i.ru.md").unlink()
    (lessons / "01-files/module.ru.yaml").unlink()
    (lessons / BASICS / "section.ru.yaml").unlink()
    commit(lessons)

    record = sync_lessons()

    assert record.result == LessonSync.Result.OK
    assert record.removed == 0
    assert not ThemeTranslation.objects.exists()
    assert list(Module.objects.get().translations) == ["uz"]
    assert Section.objects.get().translations == {}
    assert Theme.objects.count() == 2


def test_deleted_original_removes_its_translations(lessons):
    sync_lessons()
    (lessons / BASICS / "01-where-am-i.md").unlink()
    commit(lessons)

    record = sync_lessons()

    assert record.removed == 1
    assert record.problems == [
        {
            "path": f"{BASICS}/01-where-am-i.ru.md",
            "message": "The original 01-where-am-i.md of this translation is missing: add it, "
            "or rename the translation to match its original; it was skipped.",
        }
    ]
    assert not ThemeTranslation.objects.exists()


def test_original_committed_later_marks_outdated(lessons):
    sync_lessons()
    translation = ThemeTranslation.objects.get()
    assert not translation.is_outdated

    write(lessons, f"{BASICS}/01-where-am-i.md", THEME.format(title="Where am I now"))
    commit_at(lessons, "2026-03-02T09:30:00+05:00")
    sync_lessons()

    translation = ThemeTranslation.objects.select_related("theme").get()
    assert translation.theme.source_committed_at.isoformat() == "2026-03-02T04:30:00+00:00"
    assert translation.source_committed_at.isoformat() == "2026-03-01T05:00:00+00:00"
    assert translation.is_outdated

    write(lessons, f"{BASICS}/01-where-am-i.ru.md", THEME.format(title="Где я сейчас"))
    commit_at(lessons, "2026-03-03T09:30:00+05:00")
    sync_lessons()

    translation = ThemeTranslation.objects.select_related("theme").get()
    assert translation.source_committed_at.isoformat() == "2026-03-03T04:30:00+00:00"
    assert not translation.is_outdated


def test_commit_of_other_files_keeps_times(lessons):
    sync_lessons()
    write(lessons, f"{BASICS}/02-listing.md", THEME.format(title="Listing files"))
    commit_at(lessons, "2026-03-05T12:00:00+05:00")

    sync_lessons()

    where = Theme.objects.get(slug="where-am-i")
    assert where.source_committed_at.isoformat() == "2026-03-01T05:00:00+00:00"
    assert Theme.objects.get(slug="listing").source_committed_at.isoformat() == (
        "2026-03-05T07:00:00+00:00"
    )
    assert not ThemeTranslation.objects.get().is_outdated


def test_full_sync_fills_commit_times_of_old_rows(lessons):
    sync_lessons()
    Theme.objects.update(source_committed_at=None)
    ThemeTranslation.objects.update(source_committed_at=None)
    write(lessons, "README.md", "Lessons.\n")
    commit(lessons)

    sync_lessons()

    assert not Theme.objects.filter(source_committed_at=None).exists()
    assert not ThemeTranslation.objects.filter(source_committed_at=None).exists()
