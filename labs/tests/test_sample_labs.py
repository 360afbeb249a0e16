"""The sample labs in examples/labs: load_demo loads them and each passes validate_lab."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from containers import checks
from containers import services as container_services
from containers.models import Kind
from labs.loading import read_lab_file
from labs.models import Laboratory

pytestmark = [pytest.mark.lxd, pytest.mark.usefixtures("lxd_cleanup"), pytest.mark.django_db]

SAMPLES = sorted((Path(settings.BASE_DIR) / "examples" / "labs").glob("*.yaml"))
CYRILLIC = re.compile("[\u0400-\u04ff]")


def test_sample_labs_load_and_validate(capsys, settings, tmp_path):
    settings.STATE_DIR = tmp_path
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "lessons")
    call_command("load_demo")
    labs = list(Laboratory.objects.all())

    call_command("validate_lab")

    output = capsys.readouterr().out
    assert len(labs) >= 3
    assert all(lab.tasks.count() >= 3 for lab in labs)
    assert all(lab.module is not None for lab in labs)
    assert output.count(": valid") == len(labs)
    assert "warning" not in output


def feedback_in_each_language(container, scripts):
    """Run the scripts in en, uz, ru and with LABSITE_LANG unset, and return their feedback."""
    feedback = {
        language: [
            result.feedback for result in checks.run_checks(container, scripts, language=language)
        ]
        for language in ["en", "uz", "ru"]
    }
    unset = [f"unset LABSITE_LANG\n{script}" for script in scripts]
    feedback["unset"] = [result.feedback for result in checks.run_checks(container, unset)]
    return feedback


def fail_lines(feedback):
    return {line for line in feedback.splitlines() if line.startswith("FAIL")}


def assert_feedback_translated(feedback, where):
    """Assert that each failing check words its FAIL lines in the language it was given."""
    for number, english in enumerate(feedback["en"], start=1):
        task = f"{where} task {number}"
        uzbek = feedback["uz"][number - 1]
        russian = feedback["ru"][number - 1]
        assert english.startswith("FAIL: "), (task, english)
        assert feedback["unset"][number - 1] == english, task
        assert uzbek.startswith("FAIL: "), (task, uzbek)
        assert not fail_lines(uzbek) & fail_lines(english), (task, uzbek)
        assert not CYRILLIC.search(uzbek), (task, uzbek)
        assert russian.startswith("FAIL: "), (task, russian)
        assert not fail_lines(russian) & fail_lines(english), (task, russian)
        assert CYRILLIC.search(russian.splitlines()[0]), (task, russian)


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_sample_feedback_follows_language(path, student):
    data = read_lab_file(path)
    scripts = [task["check"] for task in data["tasks"]]
    container = container_services.create_prepared_container(
        owner=student, kind=Kind.LAB, setup_script=data.get("setup", "")
    )
    try:
        feedback = feedback_in_each_language(container, scripts)
    finally:
        container_services.delete_container(container)

    assert_feedback_translated(feedback, path.name)
