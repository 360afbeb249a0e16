"""Lesson sync end to end, from real git repositories made in temporary folders."""

import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.models import LessonSync, Module, Section, Theme
from courses.sync import sync_lessons

pytestmark = pytest.mark.django_db

THEME = """---
title: {title}
description: About {title}.
---
# {title}

```{{.bash .run}}
pwd
```
"""


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.test", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def write(repo, path, text):
    file = Path(repo) / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)


def commit(repo, message="change"):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def lessons(tmp_path, settings):
    """A lessons repository with one module, one section and two themes."""
    repo = tmp_path / "lessons"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "01-files/module.yaml", "title: Files\ndescription: Working with files.\n")
    write(repo, "01-files/01-basics/section.yaml", "title: Basics\n")
    write(repo, "01-files/01-basics/01-where-am-i.md", THEME.format(title="Where am I"))
    write(repo, "01-files/01-basics/02-listing.md", THEME.format(title="Listing"))
    commit(repo, "first")
    settings.LESSONS_REPO_URL = str(repo)
    settings.LESSONS_BRANCH = "main"
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "checkout")
    return repo


def test_first_sync_creates_everything(lessons):
    record = sync_lessons()

    assert record.result == LessonSync.Result.OK
    assert record.problems == []
    assert record.changed == 2
    module = Module.objects.get()
    assert (module.title, module.slug, module.order) == ("Files", "files", 1)
    assert module.description == "Working with files."
    section = Section.objects.get()
    assert (section.module, section.slug) == (module, "basics")
    themes = list(Theme.objects.order_by("order"))
    assert [theme.slug for theme in themes] == ["where-am-i", "listing"]
    assert themes[0].source_path == "01-files/01-basics/01-where-am-i.md"
    assert themes[0].commit == record.commit
    assert '<div class="run highlight">' in themes[0].html


def test_changed_file_resynced_alone(lessons):
    first = sync_lessons()
    write(lessons, "01-files/01-basics/02-listing.md", THEME.format(title="Listing files"))
    commit(lessons)

    second = sync_lessons()

    assert second.result == LessonSync.Result.OK
    assert second.changed == 1
    assert second.commit != first.commit
    listing = Theme.objects.get(slug="listing")
    assert listing.title == "Listing files"
    assert listing.commit == second.commit
    assert Theme.objects.get(slug="where-am-i").commit == first.commit


def test_deleted_file_removes_theme(lessons):
    sync_lessons()
    (lessons / "01-files/01-basics/02-listing.md").unlink()
    commit(lessons)

    record = sync_lessons()

    assert record.removed == 1
    assert list(Theme.objects.values_list("slug", flat=True)) == ["where-am-i"]


def test_deleted_folder_removes_module(lessons):
    sync_lessons()
    write(lessons, "02-users/module.yaml", "title: Users\n")
    write(lessons, "02-users/01-who/section.yaml", "title: Who\n")
    write(lessons, "02-users/01-who/01-id.md", THEME.format(title="id"))
    commit(lessons)
    sync_lessons()
    subprocess.run(["rm", "-r", str(lessons / "01-files")], check=True)
    commit(lessons)

    sync_lessons()

    assert list(Module.objects.values_list("slug", flat=True)) == ["users"]
    assert Section.objects.count() == 1


def test_invalid_file_keeps_last_good_version(lessons):
    sync_lessons()
    write(lessons, "01-files/01-basics/02-listing.md", "no front matter here\n")
    write(lessons, "01-files/01-basics/03-new.md", THEME.format(title="New"))
    commit(lessons)

    record = sync_lessons()

    assert record.result == LessonSync.Result.PARTIAL
    assert record.problems == [
        {
            "path": "01-files/01-basics/02-listing.md",
            "message": "The front matter is missing: start the file with a '---' block.",
        }
    ]
    assert Theme.objects.get(slug="listing").title == "Listing"
    assert Theme.objects.filter(slug="new").exists()


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        (
            "01-files/01-basics/03-bad.md",
            b"---\ntitle: [unclosed\n---\nx",
            "The front matter is invalid YAML",
        ),
        (
            "01-files/01-basics/03-bad.md",
            b"---\ndescription: no title\n---\nx",
            "A title is missing",
        ),
        (
            "01-files/01-basics/03-bad.md",
            "---\ntitle: x\n---\ncaf\xe9".encode("latin-1"),
            "The file is not UTF-8 text",
        ),
        ("01-files/01-basics/Bad Name.md", b"---\ntitle: x\n---\n", "The name must be two digits"),
        (
            "01-files/01-basics/03-listing.md",
            b"---\ntitle: x\n---\n",
            "Another theme in this section has the slug listing",
        ),
    ],
)
def test_invalid_file_reported(lessons, path, content, message):
    (lessons / path).write_bytes(content)
    commit(lessons)

    record = sync_lessons()

    assert record.result == LessonSync.Result.PARTIAL
    assert [problem["path"] for problem in record.problems] == [path]
    assert record.problems[0]["message"].startswith(message)
    assert Theme.objects.count() == 2


def test_file_above_size_limit_rejected(lessons, settings):
    settings.LESSONS_MAX_FILE_BYTES = 1000
    write(lessons, "01-files/01-basics/03-big.md", THEME.format(title="Big") + "x" * 2000)
    commit(lessons)

    record = sync_lessons()

    assert record.problems[0]["path"] == "01-files/01-basics/03-big.md"
    assert "more than the limit of 1000 (LESSONS_MAX_FILE_BYTES)" in record.problems[0]["message"]
    assert not Theme.objects.filter(slug="big").exists()


def test_symlink_outside_repository_rejected(lessons, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(THEME.format(title="Secret"))
    (lessons / "01-files/01-basics/03-secret.md").symlink_to(secret)
    (lessons / "01-files/02-escape").symlink_to(tmp_path)
    commit(lessons)

    record = sync_lessons()

    paths = sorted(problem["path"] for problem in record.problems)
    assert paths == ["01-files/01-basics/03-secret.md", "01-files/02-escape"]
    assert all("leads outside the repository" in p["message"] for p in record.problems)
    assert not Theme.objects.filter(slug="secret").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("--upload-pack=touch /tmp/pwned", "starts with '-', which git would read as an option"),
        ("ext::sh -c touch% /tmp/pwned", "uses the ext:: transport"),
        ("EXT::sh -c id", "uses the ext:: transport"),
        ("fd::3", "uses the fd:: transport"),
    ],
)
def test_dangerous_urls_rejected(lessons, url, message):
    record = sync_lessons(url=url)

    assert record.result == LessonSync.Result.FAILED
    assert message in record.problems[0]["message"]
    assert not Module.objects.exists()
    assert not Path("/tmp/pwned").exists()


def test_unreachable_repository_fails_cleanly(lessons, tmp_path):
    sync_lessons()

    record = sync_lessons(url=str(tmp_path / "missing"))

    assert record.result == LessonSync.Result.FAILED
    assert record.problems[0]["message"].startswith("git could not fetch branch main of")
    assert Theme.objects.count() == 2


def test_sync_command_reports(lessons, capsys):
    call_command("sync_lessons")

    assert "2 themes rendered, 0 removed, 0 problems" in capsys.readouterr().out


def test_sync_command_fails_on_bad_url(lessons):
    with pytest.raises(CommandError, match="Lesson sync failed"):
        call_command("sync_lessons", "--repo=-x")


def test_admin_sync_button(client, instructor, lessons):
    client.force_login(instructor)

    page = client.get("/admin/courses/lessonsync/")
    response = client.post("/admin/courses/lessonsync/sync/", follow=True)

    assert "Sync lessons now" in page.text
    assert response.status_code == 200
    assert "Lesson sync: Synced, 2 themes rendered" in response.text
    assert Theme.objects.count() == 2


def test_admin_sync_forbidden_for_students(client, student, lessons):
    client.force_login(student)

    response = client.post("/admin/courses/lessonsync/sync/")

    assert response.status_code == 302
    assert not Theme.objects.exists()
