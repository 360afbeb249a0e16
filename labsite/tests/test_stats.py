"""Platform statistics: the numbers on constructed data, the query count, the page and the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import bearer, make_user
from containers.models import Container, Kind, Status
from exams.models import AttemptStatus, Exam, ExamAttempt
from labs.models import AttemptStatus as LabAttemptStatus
from labs.models import Laboratory, LaboratoryAttempt
from labsite.stats import platform_statistics

pytestmark = pytest.mark.django_db


def add_attempt(exam, user, status, percent=None):
    """Add an attempt; a graded one scores percent points of 100."""
    now = timezone.now()
    attempt = ExamAttempt(
        exam=exam, user=user, status=status, started_at=now, deadline=now + timedelta(hours=1)
    )
    if percent is not None:
        attempt.percent = Decimal(percent)
        attempt.score, attempt.max_score = int(attempt.percent), 100
        attempt.passed = attempt.percent >= exam.passing_score
    attempt.save()
    return attempt


def add_exam(slug):
    return Exam.objects.create(title=slug.title(), slug=slug, duration_minutes=30)


@pytest.fixture
def platform(student, other_student, instructor, admin_user):
    """Users of every role, containers, exam attempts and lab attempts with known counts."""
    make_user("left-school", is_active=False)
    third = make_user("third")

    for owner, kind, status in [
        (student, Kind.SANDBOX, Status.RUNNING),
        (other_student, Kind.SANDBOX, Status.STOPPED),
        (student, Kind.LAB, Status.CREATING),
        (student, Kind.EXAM, Status.ERROR),
        (other_student, Kind.SANDBOX, Status.DELETED),
        (third, Kind.EXAM, Status.DELETED),
    ]:
        Container.objects.create(owner=owner, kind=kind, image="labsite/debian-12", status=status)

    # Graded 80 % and 100 % pass, 40 % fails: pass rate 66.67 %, average 73.33 %.
    shell = add_exam("shell")
    add_attempt(shell, student, AttemptStatus.GRADED, "80.00")
    add_attempt(shell, other_student, AttemptStatus.GRADED, "40.00")
    add_attempt(shell, third, AttemptStatus.GRADED, "100.00")
    add_attempt(shell, student, AttemptStatus.IN_PROGRESS)
    add_attempt(shell, other_student, AttemptStatus.ERROR)
    # Attempts that are not graded count as attempts, but not for the rates.
    files = add_exam("files")
    add_attempt(files, student, AttemptStatus.GRADING)
    add_exam("networking")

    lab = Laboratory.objects.create(title="Payroll", slug="payroll")
    for user, status in [
        (student, LabAttemptStatus.COMPLETED),
        (other_student, LabAttemptStatus.COMPLETED),
        (third, LabAttemptStatus.IN_PROGRESS),
        (student, LabAttemptStatus.LEFT),
    ]:
        LaboratoryAttempt.objects.create(user=user, lab=lab, status=status)


@pytest.mark.usefixtures("platform")
def test_statistics_count_constructed_data():
    statistics = platform_statistics()

    assert statistics.active_users_by_role == {"student": 3, "instructor": 1, "admin": 1}
    assert statistics.inactive_users == 1
    assert statistics.live_containers_by_kind == {"sandbox": 2, "lab": 1, "exam": 1}
    assert statistics.exam_attempts_by_status == {
        "in_progress": 1,
        "grading": 1,
        "graded": 3,
        "error": 1,
    }
    assert statistics.exam_attempts == 6
    assert statistics.lab_attempts_completed == 2
    rows = [
        (row.exam.slug, row.attempts, row.graded, row.passed, row.pass_rate, row.average_percent)
        for row in statistics.exams
    ]
    assert rows == [
        ("files", 1, 0, 0, None, None),
        ("networking", 0, 0, 0, None, None),
        ("shell", 5, 3, 2, Decimal("66.67"), Decimal("73.33")),
    ]


def test_statistics_of_empty_platform():
    statistics = platform_statistics()

    assert statistics.active_users_by_role == {"student": 0, "instructor": 0, "admin": 0}
    assert statistics.live_containers_by_kind == {"sandbox": 0, "lab": 0, "exam": 0}
    assert statistics.exam_attempts == 0
    assert statistics.exams == []
    assert statistics.lab_attempts_completed == 0


@pytest.mark.usefixtures("platform")
def test_statistics_query_count_is_constant(django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        platform_statistics()

    for number in range(10):
        exam = add_exam(f"extra-{number}")
        user = make_user(f"extra-{number}")
        add_attempt(exam, user, AttemptStatus.GRADED, "50.00")
        Container.objects.create(owner=user, kind=Kind.SANDBOX, image="labsite/debian-12")

    with django_assert_max_num_queries(5):
        statistics = platform_statistics()
    assert len(statistics.exams) == 13


@pytest.mark.usefixtures("platform")
def test_admin_reads_statistics_api(admin_user):
    response = bearer(admin_user).get("/api/admin/stats")

    assert response.status_code == 200
    body = response.json()
    assert body["active_users_by_role"] == {"student": 3, "instructor": 1, "admin": 1}
    assert body["live_containers_by_kind"] == {"sandbox": 2, "lab": 1, "exam": 1}
    assert body["exam_attempts"] == 6
    assert body["exam_attempts_by_status"]["graded"] == 3
    assert body["lab_attempts_completed"] == 2
    shell = next(row for row in body["exams"] if row["slug"] == "shell")
    assert shell == {
        "id": Exam.objects.get(slug="shell").pk,
        "title": "Shell",
        "slug": "shell",
        "attempts": 5,
        "graded": 3,
        "passed": 2,
        "pass_rate": "66.67",
        "average_percent": "73.33",
    }
    assert body["exams"][0]["pass_rate"] is None


def test_statistics_api_is_admin_only(api, student, instructor):
    for user in (student, instructor):
        response = bearer(user).get("/api/admin/stats")
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"

    assert api.get("/api/admin/stats").status_code == 401


@pytest.mark.usefixtures("platform")
def test_admin_opens_statistics_page(client, admin_user):
    client.force_login(admin_user)

    index = client.get("/admin/")
    page = client.get("/admin/statistics/")

    assert 'href="/admin/statistics/"' in index.text
    assert page.status_code == 200
    assert '<th scope="row">Student</th><td>3</td>' in page.text
    assert '<th scope="row">Sandbox</th><td>2</td>' in page.text
    assert '<th scope="row">All exam attempts</th><td>6</td>' in page.text
    assert "<td>66.67</td>" in page.text
    assert '<th scope="row">Completed lab attempts</th><td>2</td>' in page.text


def test_statistics_page_is_admin_only(client, student, instructor):
    client.force_login(instructor)
    index = client.get("/admin/")
    refused = client.get("/admin/statistics/")
    client.force_login(student)
    student_response = client.get("/admin/statistics/")

    assert index.status_code == 200
    assert "/admin/statistics/" not in index.text
    assert refused.status_code == 403
    assert student_response.status_code == 302
    assert student_response["Location"].startswith("/admin/login/")
