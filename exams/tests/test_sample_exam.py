"""The sample exam in examples/exams and the loader of exam files."""

import copy
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from containers import checks
from containers import services as container_services
from containers.models import Kind
from exams.loading import ExamFileInvalid, load_exam, load_exam_folder, read_exam_file
from exams.models import Exam, ExamAttempt, ExamTaskResult
from labs.tests.test_sample_labs import assert_feedback_translated, feedback_in_each_language
from labs.validation import lint_check_script

pytestmark = pytest.mark.django_db

SAMPLE = Path(settings.BASE_DIR) / "examples" / "exams" / "01-server-handover.yaml"
SLUG = "server-handover"


@pytest.fixture
def sample():
    return read_exam_file(SAMPLE)


def add_attempt(exam, user):
    now = timezone.now()
    return ExamAttempt.objects.create(user=user, exam=exam, started_at=now, deadline=now)


def test_sample_exam_fits_the_course(sample):
    assert load_exam_folder(SAMPLE.parent) == [SLUG]

    exam = Exam.objects.get(slug=SLUG)
    tasks = list(exam.tasks.all())
    assert 30 <= exam.duration_minutes <= 60
    assert exam.passing_score == 60
    assert exam.setup_script.startswith("set -e\n")
    assert 4 <= len(tasks) <= 5
    assert [task.order for task in tasks] == list(range(1, len(tasks) + 1))
    for task in tasks:
        assert task.solution_script.strip(), task.title
        assert task.description_html.strip(), task.title
        assert lint_check_script(task.check_script) == [], task.title


def test_second_load_changes_nothing(sample):
    load_exam(SLUG, sample)
    exam = Exam.objects.get(slug=SLUG)
    before = list(exam.tasks.values())

    changed = load_exam(SLUG, sample)

    assert changed is False
    assert list(exam.tasks.values()) == before


def test_changed_task_is_updated_in_place(sample, student):
    load_exam(SLUG, sample)
    exam = Exam.objects.get(slug=SLUG)
    first = exam.tasks.get(order=1)
    result = ExamTaskResult.objects.create(attempt=add_attempt(exam, student), task=first)
    edited = copy.deepcopy(sample)
    edited["tasks"][0]["title"] = "Collect every backup"
    edited["tasks"].append({"title": "Extra", "check": "test -d /srv/extra", "points": 3})

    changed = load_exam(SLUG, edited)

    assert changed is True
    first.refresh_from_db()
    assert first.title == "Collect every backup"
    assert ExamTaskResult.objects.get(pk=result.pk).task == first
    extra = exam.tasks.last()
    assert (extra.order, extra.title, extra.points, extra.solution_script) == (
        len(sample["tasks"]) + 1,
        "Extra",
        3,
        "",
    )


def test_loader_keeps_active_flag_and_window(sample):
    load_exam(SLUG, sample)
    opens = timezone.now()
    Exam.objects.filter(slug=SLUG).update(is_active=False, available_from=opens)
    edited = {**sample, "duration": 50}

    load_exam(SLUG, edited)

    exam = Exam.objects.get(slug=SLUG)
    assert (exam.duration_minutes, exam.is_active, exam.available_from) == (50, False, opens)


def test_removing_task_of_exam_with_attempts_is_refused(sample, student):
    load_exam(SLUG, sample)
    exam = Exam.objects.get(slug=SLUG)
    add_attempt(exam, student)
    count = len(sample["tasks"])
    shorter = {**sample, "title": "Shorter", "tasks": sample["tasks"][:-1]}

    with pytest.raises(ExamFileInvalid) as refusal:
        load_exam(SLUG, shorter)

    assert str(refusal.value) == (
        f"exam {SLUG}: the file has {count - 1} tasks, but the exam has {count} and attempts "
        "whose results would be lost. Load the new version under a new slug and deactivate "
        "this exam in the admin."
    )
    exam.refresh_from_db()
    assert exam.title == sample["title"]  # the whole load was rolled back
    assert exam.tasks.count() == count


def test_removing_task_without_attempts(sample):
    load_exam(SLUG, sample)

    changed = load_exam(SLUG, {**sample, "tasks": sample["tasks"][:2]})

    assert changed is True
    assert Exam.objects.get(slug=SLUG).tasks.count() == 2


def test_invalid_values_are_rejected(sample, tmp_path):
    with pytest.raises(ExamFileInvalid) as too_short:
        load_exam(SLUG, {**sample, "duration": 0})
    path = tmp_path / "01-broken.yaml"
    path.write_text("title: Broken\nduration: soon\ntasks:\n  - title: A\n    check: 'true'\n")
    with pytest.raises(ExamFileInvalid) as not_a_number:
        read_exam_file(path)

    assert str(too_short.value) == (
        f"exam {SLUG}: duration_minutes: Ensure this value is greater than or equal to 1."
    )
    assert str(not_a_number.value) == f"{path}: duration must be a whole number, not 'soon'."
    assert not Exam.objects.exists()


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_sample_checks_fail_then_pass_after_solutions(sample, student):
    load_exam(SLUG, sample)
    exam = Exam.objects.get(slug=SLUG)
    tasks = list(exam.tasks.all())
    container = container_services.create_prepared_container(
        owner=student, kind=Kind.EXAM, image=exam.image or None, setup_script=exam.setup_script
    )
    try:
        before = checks.run_checks(container, [task.check_script for task in tasks])
        solutions = checks.run_checks(container, [task.solution_script for task in tasks])
        after = checks.run_checks(container, [task.check_script for task in tasks])
        # Grading ends the student's processes first, and a regrade boots a
        # copy of the container: the solutions must survive both.
        container_services.end_student_processes(container)
        container_services.stop_container(container)
        container_services.start_container(container)
        after_restart = checks.run_checks(container, [task.check_script for task in tasks])
    finally:
        container_services.delete_container(container)

    for task, result in zip(tasks, before, strict=True):
        assert not result.passed, f"{task.title} passes before its solution ran"
        assert result.feedback.startswith("FAIL: "), (task.title, result.feedback)
    for task, result in zip(tasks, solutions, strict=True):
        assert result.passed, (task.title, result.feedback)
    for task, result in zip(tasks, after, strict=True):
        assert result.passed, (task.title, result.feedback)
    for task, result in zip(tasks, after_restart, strict=True):
        assert result.passed, (task.title, result.feedback)


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_sample_feedback_follows_language(sample, student):
    scripts = [task["check"] for task in sample["tasks"]]
    container = container_services.create_prepared_container(
        owner=student, kind=Kind.EXAM, setup_script=sample["setup"]
    )
    try:
        feedback = feedback_in_each_language(container, scripts)
    finally:
        container_services.delete_container(container)

    assert_feedback_translated(feedback, SAMPLE.name)
