"""Exam attempts against the real local LXD: start, solve, submit, grade, and the API."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from conftest import bearer
from containers import lxd
from containers import services as container_services
from containers.models import Container, Status
from exams import services, upkeep
from exams.models import AttemptStatus, Exam, ExamAttempt, ExamRegrade, ExamTask, ExamTaskResult

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]

# Appears in every check and solution script, so a test can look for leaks.
SECRET = "SECRET-CHECK-7f3a"


@pytest.fixture
def exam():
    exam = Exam.objects.create(
        title="Files", slug="files", description="Rules: **no** internet.", duration_minutes=30,
        passing_score=60, max_attempts=2,
        setup_script="mkdir -p /srv/exam && echo ready > /srv/exam/state",
    )  # fmt: skip
    tasks = [
        ("Make done.txt", 2, "test -f /home/student/done.txt", "touch /home/student/done.txt"),
        ("Add user bob", 3, "id bob", "useradd bob"),
        ("Set-up ran", 1, "grep -qx ready /srv/exam/state", "true"),
    ]
    for order, (title, points, check, solution) in enumerate(tasks, start=1):
        ExamTask.objects.create(
            exam=exam, order=order, title=title, points=points,
            check_script=f"# {SECRET}\n{check}", solution_script=f"# {SECRET}\n{solution}",
        )  # fmt: skip
    return exam


def run_as_student(container, command):
    with container_services.connect(container, user="student") as connection:
        return connection.run(command, timeout=15, max_output=10_000)


def test_full_attempt_through_api(student, exam):
    client = bearer(student)

    started = client.post(f"/api/exams/{exam.pk}/start")
    attempt = ExamAttempt.objects.get(pk=started.json()["id"])
    run_as_student(attempt.container, "touch ~/done.txt && sudo true")
    submitted = client.post(f"/api/exams/{exam.pk}/submit")

    assert started.status_code == 201, started.content
    assert started.json()["status"] == "in_progress"
    assert 0 < started.json()["seconds_left"] <= 30 * 60
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert (body["status"], body["score"], body["max_score"]) == ("graded", 3, 6)
    assert body["percent"] == "50.00"
    assert body["passed"] is False
    assert [(task["title"], task["passed"], task["points_awarded"]) for task in body["tasks"]] == [
        ("Make done.txt", True, 2),
        ("Add user bob", False, 0),
        ("Set-up ran", True, 1),
    ]
    assert SECRET not in started.content.decode() + submitted.content.decode()


def test_graded_container_removed_and_snapshot_kept(student, exam):
    attempt = services.start_exam(user=student, exam=exam)
    run_as_student(attempt.container, "touch ~/done.txt")

    attempt = services.submit_attempt(attempt=attempt)

    attempt.refresh_from_db()
    assert attempt.container.status == Status.DELETED
    assert not lxd.instance_exists(attempt.container.name)
    assert attempt.snapshot.status == Status.STOPPED
    assert lxd.get_state(attempt.snapshot.name).status == "Stopped"
    assert attempt.snapshot.expires_at > timezone.now() + timedelta(days=29)


def test_regrade_from_snapshot_keeps_old_score(student, instructor, exam):
    attempt = services.start_exam(user=student, exam=exam)
    run_as_student(attempt.container, "touch ~/done.txt")
    attempt = services.submit_attempt(attempt=attempt)
    bob = exam.tasks.get(title="Add user bob")
    # The fixed check script accepts what the student did.
    bob.check_script = "test -f /home/student/done.txt"
    bob.save()

    regraded = services.regrade_attempt(attempt=attempt, requested_by=instructor)

    assert (regraded.round, regraded.score, regraded.percent) == (2, 6, 100)
    assert regraded.passed is True
    [record] = ExamRegrade.objects.filter(attempt=attempt)
    assert (record.old_score, record.new_score, record.requested_by) == (3, 6, instructor)
    assert ExamTaskResult.objects.filter(attempt=attempt, round=1).count() == 3
    assert ExamTaskResult.objects.filter(attempt=attempt, round=2, passed=True).count() == 3
    assert Container.objects.live().filter(owner=student, status=Status.RUNNING).count() == 0


def test_auto_submit_after_deadline_ends_processes(student, exam):
    ExamTask.objects.create(
        exam=exam, order=4, title="Nothing left running", points=1,
        check_script="! pgrep -a -U 1000 && ! pgrep -a -f 'sleep 424[23]'", solution_script="true",
    )  # fmt: skip
    attempt = services.start_exam(user=student, exam=exam)
    run_as_student(
        attempt.container,
        "nohup sleep 4243 >/dev/null 2>&1 & sudo setsid sleep 4242 >/dev/null 2>&1 < /dev/null &",
    )
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now())

    upkeep.run()

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED
    assert attempt.auto_submitted is True
    assert attempt.submitted_at >= attempt.deadline
    last = attempt.current_results()[-1]
    assert last.passed is True, last.feedback  # processes ended before the checks
    assert (attempt.score, attempt.max_score) == (2, 7)


def test_second_submit_grades_nothing_again(student, exam):
    attempt = services.start_exam(user=student, exam=exam)
    first = bearer(student).post(f"/api/exams/{exam.pk}/submit")

    second = bearer(student).post(f"/api/exams/{exam.pk}/submit")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert ExamTaskResult.objects.filter(attempt=attempt).count() == 3
    attempt.refresh_from_db()
    assert attempt.round == 1


def test_two_submits_at_once_grade_once(student, exam):
    attempt = services.start_exam(user=student, exam=exam)
    outcomes = []

    def submit():
        try:
            outcomes.append(services.submit_attempt(attempt=attempt))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [outcome.status for outcome in outcomes] == ["graded", "graded"]
    assert ExamTaskResult.objects.filter(attempt=attempt).count() == 3
    attempt.refresh_from_db()
    assert (attempt.round, attempt.score) == (1, 1)


def test_grading_failure_retried_by_upkeep(student, exam, settings):
    settings.EXAM_GRADING_RETRY_SECONDS = 0
    attempt = services.start_exam(user=student, exam=exam)
    lxd.stop_instance(attempt.container.name, force=True)

    failed = services.submit_attempt(attempt=attempt)
    assert failed.status == AttemptStatus.ERROR
    assert failed.grading_failures == 1
    assert failed.grading_error
    assert not ExamTaskResult.objects.filter(attempt=attempt).exists()
    failed.container.refresh_from_db()
    assert failed.container.expires_at > timezone.now() + timedelta(days=29)
    container_services.start_container(attempt.container)
    upkeep.run()

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED
    assert ExamTaskResult.objects.filter(attempt=attempt).count() == 3
    assert attempt.round == 1


def test_start_refused_while_attempt_runs(student, exam):
    client = bearer(student)
    first = client.post(f"/api/exams/{exam.pk}/start")

    second = client.post(f"/api/exams/{exam.pk}/start")

    assert second.status_code == 409
    assert second.json()["code"] == "attempt_in_progress"
    assert second.json()["attempt"]["id"] == first.json()["id"]
    assert Container.objects.live().filter(owner=student).count() == 1


@pytest.mark.parametrize("status", [AttemptStatus.ERROR, AttemptStatus.GRADED])
def test_retry_grading_only_after_failure(student, exam, status):
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, deadline=timezone.now(), status=status, grading_failures=20,
        grading_failed_at=timezone.now(),
    )  # fmt: skip

    if status == AttemptStatus.ERROR:
        services.retry_grading(attempt)
        attempt.refresh_from_db()
        assert (attempt.grading_failures, attempt.grading_failed_at) == (0, None)
    else:
        with pytest.raises(services.AttemptClosed):
            services.retry_grading(attempt)
