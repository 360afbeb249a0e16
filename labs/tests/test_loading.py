"""Loading labs from YAML: changes update tasks in place and keep students' results."""

import pytest
from django.utils import timezone

from labs.loading import load_lab
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTaskResult

pytestmark = pytest.mark.django_db


def lab_data(*checks):
    return {
        "title": "Files",
        "tasks": [{"title": f"Task {n}", "check": check} for n, check in enumerate(checks, 1)],
    }


def test_changed_check_keeps_results(student):
    load_lab("files", lab_data("test -f /a", "test -f /b"))
    task = Laboratory.objects.get(slug="files").tasks.first()
    attempt = LaboratoryAttempt.objects.create(user=student, lab=task.lab)
    LaboratoryTaskResult.objects.create(
        attempt=attempt, task=task, passed=True, checked_at=timezone.now()
    )

    changed = load_lab("files", lab_data("test -s /a", "test -f /b"))

    task.refresh_from_db()
    assert changed is True
    assert task.check_script == "test -s /a"
    assert LaboratoryTaskResult.objects.filter(task=task, passed=True).count() == 1


def test_second_load_changes_nothing():
    load_lab("files", lab_data("test -f /a"))

    assert load_lab("files", lab_data("test -f /a")) is False


def test_removed_task_deleted():
    load_lab("files", lab_data("test -f /a", "test -f /b"))

    changed = load_lab("files", lab_data("test -f /a"))

    lab = Laboratory.objects.get(slug="files")
    assert changed is True
    assert [task.check_script for task in lab.tasks.all()] == ["test -f /a"]
