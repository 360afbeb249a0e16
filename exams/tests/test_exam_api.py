"""The exams API without containers: refusals, the window, visibility and ownership."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conftest import bearer
from containers.checks import CheckResult
from containers.models import Container, Kind, Status
from exams import services, upkeep
from exams.models import (
    AttemptStatus,
    Exam,
    ExamAttempt,
    ExamRegrade,
    ExamTask,
    ExamTaskResult,
)

pytestmark = pytest.mark.django_db

SECRET = "SECRET-CHECK-91c2"


@pytest.fixture
def exam():
    exam = Exam.objects.create(
        title="Users", slug="users", duration_minutes=20, passing_score=50, max_attempts=1
    )
    ExamTask.objects.create(
        exam=exam, order=1, title="Add bob", description="Create **bob**.", points=2,
        check_script=f"# {SECRET}\nid bob", solution_script=f"# {SECRET}\nuseradd bob",
    )  # fmt: skip
    return exam


def graded_attempt(user, exam, *, passed=True):
    attempt = ExamAttempt.objects.create(
        user=user, exam=exam, deadline=timezone.now(), status=AttemptStatus.GRADED, round=1,
        score=2 if passed else 0, max_score=2, percent=100 if passed else 0, passed=passed,
        submitted_at=timezone.now(), graded_at=timezone.now(),
    )  # fmt: skip
    ExamTaskResult.objects.create(
        attempt=attempt, task=exam.tasks.get(), round=1, passed=passed,
        points_awarded=2 if passed else 0, feedback="uid=1001(bob)",
    )  # fmt: skip
    return attempt


def test_list_shows_attempts_used_and_left(student, exam):
    graded_attempt(student, exam)
    Exam.objects.create(title="Hidden", slug="hidden", duration_minutes=5, is_active=False)

    response = bearer(student).get("/api/exams")

    assert response.status_code == 200
    [item] = response.json()
    assert (item["slug"], item["attempts_used"], item["attempts_left"]) == ("users", 1, 0)
    assert item["is_open"] is True


def test_detail_has_tasks_but_no_scripts(student, exam):
    response = bearer(student).get(f"/api/exams/{exam.pk}")

    assert response.status_code == 200
    assert [task["title"] for task in response.json()["tasks"]] == ["Add bob"]
    assert "<strong>bob</strong>" in response.json()["tasks"][0]["description_html"]
    assert SECRET not in response.content.decode()


def test_results_have_no_scripts(student, exam):
    attempt = graded_attempt(student, exam)

    response = bearer(student).get(f"/api/exams/attempts/{attempt.pk}/results")

    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["max_score"], body["percent"], body["passed"]) == (
        2,
        2,
        "100.00",
        True,
    )
    assert body["tasks"] == [
        {
            "task": exam.tasks.get().pk,
            "title": "Add bob",
            "passed": True,
            "points_awarded": 2,
            "max_points": 2,
            "feedback": "uid=1001(bob)",
        }
    ]
    assert SECRET not in response.content.decode()


def test_results_of_other_student_not_found(student, other_student, admin_user, exam):
    attempt = graded_attempt(student, exam)
    url = f"/api/exams/attempts/{attempt.pk}/results"

    assert bearer(other_student).get(url).status_code == 404
    assert bearer(admin_user).get(url).status_code == 200
    assert bearer(student).get(url).status_code == 200


# Start and submit run their service in a worker thread with its own connection.
@pytest.mark.django_db(transaction=True)
def test_start_refused_when_no_attempts_left(student, exam):
    graded_attempt(student, exam)

    response = bearer(student).post(f"/api/exams/{exam.pk}/start")

    assert response.status_code == 403
    assert response.json()["code"] == "no_attempts_left"
    assert response.json()["detail"] == "You have used the only attempt at this exam."
    assert not Container.objects.filter(owner=student).exists()


# Start and submit run their service in a worker thread with its own connection.
@pytest.mark.django_db(transaction=True)
def test_tasks_hidden_and_start_refused_before_window(student, exam):
    exam.available_from = timezone.now() + timedelta(days=1)
    exam.save()
    client = bearer(student)

    detail = client.get(f"/api/exams/{exam.pk}")
    start = client.post(f"/api/exams/{exam.pk}/start")

    assert detail.json()["tasks"] == []
    assert detail.json()["is_open"] is False
    assert start.status_code == 403
    assert start.json()["code"] == "exam_not_open_yet"
    assert not ExamAttempt.objects.exists()


# Start and submit run their service in a worker thread with its own connection.
@pytest.mark.django_db(transaction=True)
def test_start_refused_after_window(student, exam):
    exam.available_from = timezone.now() - timedelta(days=2)
    exam.available_until = timezone.now() - timedelta(days=1)
    exam.save()

    response = bearer(student).post(f"/api/exams/{exam.pk}/start")

    assert response.status_code == 403
    assert response.json()["code"] == "exam_closed"


def test_inactive_exam_not_found(student, exam):
    exam.is_active = False
    exam.save()

    assert bearer(student).get(f"/api/exams/{exam.pk}").status_code == 404
    assert bearer(student).post(f"/api/exams/{exam.pk}/start").status_code == 404


def test_submit_without_attempt_not_found(student, exam):
    response = bearer(student).post(f"/api/exams/{exam.pk}/submit")

    assert response.status_code == 404
    assert response.json()["code"] == "no_attempt"


# Start and submit run their service in a worker thread with its own connection.
@pytest.mark.django_db(transaction=True)
def test_submit_of_graded_attempt_returns_results(student, exam):
    attempt = graded_attempt(student, exam, passed=False)

    response = bearer(student).post(f"/api/exams/{exam.pk}/submit")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["score"]) == (attempt.pk, 0)
    assert ExamTaskResult.objects.filter(attempt=attempt).count() == 1


def test_window_must_end_after_start(exam):
    exam.available_from = timezone.now()
    exam.available_until = exam.available_from - timedelta(minutes=1)

    with pytest.raises(Exception, match="window must end after it starts"):
        exam.full_clean()


@pytest.mark.lxd
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.django_db(transaction=True)
async def test_terminal_refused_after_access_ends(shared_instance, student):
    from containers.tests.test_terminal import Client, session_cookie

    container = await Container.objects.acreate(
        owner=student, kind=Kind.EXAM, image="x", status=Status.RUNNING,
        ip_address=shared_instance.address, host_key=shared_instance.host_key,
        access_until=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    cookie = await sync_to_async(session_cookie)(student)

    client = await Client.open(f"/ws/terminal/{container.pk}/", cookie=cookie)
    code, status_message = await client.expect_close(timeout=5)

    assert code == 4410
    assert status_message["reason"] == "The exam's time is over."


@pytest.mark.lxd
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.django_db(transaction=True)
async def test_terminal_closed_when_access_ends(shared_instance, student, settings):
    from containers.tests.test_terminal import connect_as

    settings.TERMINAL_CHECK_SECONDS = 0.2
    container = await Container.objects.acreate(
        owner=student, kind=Kind.EXAM, image="x", status=Status.RUNNING,
        ip_address=shared_instance.address, host_key=shared_instance.host_key,
        access_until=timezone.now() + timedelta(seconds=2),
    )  # fmt: skip
    client = await connect_as(student, container)

    code, _status = await client.expect_close(timeout=10)

    assert code == 4410


def test_extension_of_overdue_attempt_counts_from_now(student, exam):
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, deadline=timezone.now() - timedelta(minutes=3)
    )

    extended = services.extend_attempt(attempt=attempt, minutes=10)

    assert extended.deadline > timezone.now() + timedelta(minutes=9)
    assert extended.extra_minutes == 10


def test_extension_refused_after_submission(student, exam):
    attempt = graded_attempt(student, exam)

    with pytest.raises(services.AttemptClosed):
        services.extend_attempt(attempt=attempt, minutes=10)


def test_concurrent_regrade_stores_one_round(student, instructor, exam, monkeypatch):
    # Unit test of the bookkeeping: the containers are stand-ins, and
    # another regrade stores its round while this one runs its checks.
    attempt = graded_attempt(student, exam)
    attempt.snapshot = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="x", status=Status.STOPPED
    )
    attempt.save()
    deleted = []

    def run_checks(container, scripts, **options):
        ExamAttempt.objects.filter(pk=attempt.pk).update(round=2)
        return [CheckResult(True, "", 0.1)]

    monkeypatch.setattr(services.container_services, "start_copy", lambda *a, **k: "copy")
    monkeypatch.setattr(services.container_services, "delete_container", deleted.append)
    monkeypatch.setattr(services.checks, "run_checks", run_checks)

    with pytest.raises(services.AttemptClosed, match="Another regrade"):
        services.regrade_attempt(attempt=attempt, requested_by=instructor)

    assert deleted == ["copy"]
    assert not ExamRegrade.objects.exists()
    assert ExamTaskResult.objects.filter(attempt=attempt).count() == 1


def test_upkeep_leaves_fresh_gradings_to_their_grader(student, exam, monkeypatch):
    container = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="x", status=Status.RUNNING
    )
    fresh = graded_attempt(student, exam)
    old = graded_attempt(student, exam)
    ExamAttempt.objects.filter(pk__in=[fresh.pk, old.pk]).update(container=container)
    ExamAttempt.objects.filter(pk=old.pk).update(graded_at=timezone.now() - timedelta(minutes=3))
    removed = []
    monkeypatch.setattr(
        upkeep.services, "finish_graded", lambda attempt: removed.append(attempt.pk)
    )

    upkeep.remove_graded_containers()

    assert removed == [old.pk]
