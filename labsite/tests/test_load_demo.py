import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from courses.models import Module, Section, Theme
from exams.models import Exam

pytestmark = pytest.mark.django_db

SAMPLE_COURSE = Path(settings.BASE_DIR) / "examples" / "course"
FENCED_BLOCK = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)


@pytest.fixture
def state_dir(settings, tmp_path):
    settings.STATE_DIR = tmp_path
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "lessons")
    return tmp_path


def run_load_demo():
    output = StringIO()
    call_command("load_demo", stdout=output, stderr=output)
    return output.getvalue()


def test_load_demo_loads_course_and_student(state_dir):
    output = run_load_demo()

    assert "Sample course:" in output
    assert "Created the demo student 'demo'" in output
    assert Module.objects.count() >= 3
    assert Theme.objects.count() >= 9
    assert all("<script" not in theme.html for theme in Theme.objects.all())
    assert User.objects.get(username="demo").role == "student"


def test_load_demo_second_run_changes_nothing(state_dir):
    run_load_demo()
    themes = dict(Theme.objects.values_list("pk", "updated_at"))

    output = run_load_demo()

    assert output.strip() == "Demo content is up to date; nothing changed."
    assert dict(Theme.objects.values_list("pk", "updated_at")) == themes
    assert User.objects.filter(username="demo").count() == 1


def test_sample_course_has_no_problems(state_dir):
    output = run_load_demo()

    assert ": " not in output.split("Sample course:")[0]  # no problem lines before the summary
    assert "0 removed" in output
    for theme in Theme.objects.all():
        assert sorted(theme.translations.values_list("language", flat=True)) == ["ru", "uz"], theme
    for item in [*Module.objects.all(), *Section.objects.all()]:
        assert sorted(item.translations) == ["ru", "uz"], item


def code_blocks(path):
    """Return the fenced code blocks of a Markdown file, without translatable comment lines.

    A comment line ("# ...") in a block that is not runnable is an
    instruction to the reader, which docs/content.md allows translating.
    """
    blocks = []
    for block in FENCED_BLOCK.findall(path.read_text()):
        if ".run" not in block.splitlines()[0]:
            block = "\n".join(line for line in block.splitlines() if not line.startswith("# "))
        blocks.append(block)
    return blocks


def test_sample_translations_keep_code_blocks():
    translations = sorted(SAMPLE_COURSE.rglob("*.*.md"))
    originals = {path.with_name(path.name.split(".")[0] + ".md") for path in translations}

    assert len(translations) == 2 * len(originals)
    for translation in translations:
        original = translation.with_name(translation.name.split(".")[0] + ".md")
        assert code_blocks(translation) == code_blocks(original), translation


def test_load_demo_loads_sample_exam_once(state_dir):
    first_output = run_load_demo()
    exam = Exam.objects.get()
    tasks = list(exam.tasks.values_list("pk", "order", "title", "check_script"))

    second_output = run_load_demo()

    assert "Sample exams loaded or updated: server-handover." in first_output
    assert second_output.strip() == "Demo content is up to date; nothing changed."
    assert list(Exam.objects.values_list("pk", "slug")) == [(exam.pk, "server-handover")]
    assert list(exam.tasks.values_list("pk", "order", "title", "check_script")) == tasks
    assert 4 <= len(tasks) <= 5
