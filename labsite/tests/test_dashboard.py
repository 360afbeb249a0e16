"""The student dashboard: the home page and GET /api/dashboard, read from database rows only."""

import re
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from conftest import bearer
from containers.models import Container, Kind, Status
from courses.models import Module, Section, Theme, ThemeProgress
from exams.models import AttemptStatus as ExamStatus
from exams.models import Exam, ExamAttempt, percent_of
from labs.models import AttemptStatus as LabStatus
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult
from labsite.dashboard import ACTIVITY_LIMIT, dashboard_for

pytestmark = pytest.mark.django_db

# Session and user, then one query per dashboard list (modules, labs in
# progress, labs completed, exams, sandbox, lessons done, tasks passed).
PAGE_MAX_QUERIES = 9
# The token carries the user id, so no session read.
API_MAX_QUERIES = 8

NOW = timezone.now().replace(microsecond=0)


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def iso(moment):
    """Return the moment as the API writes it: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_module(number, themes):
    module = Module.objects.create(title=f"Module {number}", slug=f"module-{number}", order=number)
    section = Section.objects.create(module=module, title="Basics", slug="basics")
    return module, [
        Theme.objects.create(section=section, title=f"Lesson {number}.{index}", slug=f"l{index}")
        for index in range(1, themes + 1)
    ]


def make_lab(number, tasks=2, active=True):
    lab = Laboratory.objects.create(
        title=f"Lab {number}", slug=f"lab-{number}", order=number, is_active=active
    )
    for index in range(1, tasks + 1):
        LaboratoryTask.objects.create(
            lab=lab, order=index, title=f"Task {number}.{index}", check_script="true"
        )
    return lab


def make_exam(number):
    return Exam.objects.create(title=f"Exam {number}", slug=f"exam-{number}", duration_minutes=30)


def pass_tasks(attempt, tasks, at):
    for task in tasks:
        LaboratoryTaskResult.objects.create(attempt=attempt, task=task, passed=True, checked_at=at)


def graded_attempt(user, exam, *, score, max_score, passed, submitted):
    return ExamAttempt.objects.create(
        user=user, exam=exam, status=ExamStatus.GRADED,
        started_at=submitted - timedelta(minutes=20),
        deadline=submitted + timedelta(minutes=10), submitted_at=submitted, graded_at=submitted,
        score=score, max_score=max_score, percent=percent_of(score, max_score), passed=passed,
    )  # fmt: skip


@pytest.fixture
def history(student):
    """Give the student a little of everything: lessons, labs, exams and a sandbox."""
    module, themes = make_module(1, themes=4)
    ThemeProgress.objects.create(user=student, theme=themes[0], completed_at=ago(50))

    finished_lab = make_lab(1)
    done = LaboratoryAttempt.objects.create(
        user=student, lab=finished_lab, status=LabStatus.COMPLETED, started_at=ago(45),
        finished_at=ago(40),
    )  # fmt: skip
    pass_tasks(done, finished_lab.tasks.all(), at=ago(41))

    open_lab = make_lab(2, tasks=3)
    running = LaboratoryAttempt.objects.create(user=student, lab=open_lab, started_at=ago(30))
    pass_tasks(running, open_lab.tasks.all()[:1], at=ago(25))

    exam = make_exam(1)
    graded = graded_attempt(student, exam, score=5, max_score=6, passed=True, submitted=ago(10))
    in_progress = ExamAttempt.objects.create(
        user=student, exam=make_exam(2), started_at=ago(5), deadline=ago(-25)
    )

    sandbox = Container.objects.create(
        owner=student, kind=Kind.SANDBOX, image="ubuntu/24.04", status=Status.RUNNING
    )
    return {
        "module": module,
        "themes": themes,
        "finished_lab": finished_lab,
        "open_lab": open_lab,
        "running": running,
        "exam": exam,
        "graded": graded,
        "in_progress": in_progress,
        "sandbox": sandbox,
    }


def add_long_history(user, size):
    """Give the user many lessons done, lab attempts, passed tasks and exam attempts."""
    _module, themes = make_module(99, themes=size)
    for index, theme in enumerate(themes):
        ThemeProgress.objects.create(user=user, theme=theme, completed_at=ago(1000 + index))
    for number in range(100, 100 + size):
        lab = make_lab(number)
        attempt = LaboratoryAttempt.objects.create(
            user=user, lab=lab, status=LabStatus.COMPLETED, started_at=ago(2000 + number),
            finished_at=ago(1900 + number),
        )  # fmt: skip
        pass_tasks(attempt, lab.tasks.all(), at=ago(1950 + number))
        LaboratoryAttempt.objects.create(user=user, lab=lab, started_at=ago(1800 + number))
        exam = make_exam(number)
        graded_attempt(user, exam, score=1, max_score=2, passed=False, submitted=ago(3000 + number))


def test_visitor_sees_landing_page(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert "Learn Linux by doing it" in response.text
    assert 'href="/accounts/register/"' in response.text
    assert 'href="/accounts/login/"' in response.text
    assert "dashboard-modules" not in response.text


@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_pages_link_served_icon(client, db, path):
    page = client.get(path)
    match = re.search(r'<link rel="icon" href="([^"]+)"', page.text)

    assert match is not None, page.text[:2000]
    icon = client.get(match.group(1))
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


def test_home_rejects_post(client, student):
    client.force_login(student)

    assert client.post("/").status_code == 405


def test_page_shows_progress_labs_exams_sandbox(client, student, history):
    client.force_login(student)

    page = client.get("/").text

    assert "Welcome, Dilnoza Karimova" in page
    assert f'<a href="/lessons/modules/{history["module"].pk}/">Module 1</a>' in page
    assert '<progress class="module-progress" max="100" value="25">' in page
    assert "1 of 4 lessons done (25%)" in page
    assert '<a href="/labs/lab-2/">Lab 2</a>' in page
    assert "1 of 3 tasks passed" in page
    assert "You completed 1 lab." in page
    assert '<a href="/labs/lab-1/">Lab 1</a>' in page
    assert "5 of 6 (83.33%)" in page
    assert '<span class="badge done">Passed</span>' in page
    assert f'<a href="/exams/attempts/{history["graded"].pk}/results/">Results</a>' in page
    assert f"/exams/attempts/{history['in_progress'].pk}/results/" not in page
    assert 'data-status="running">Running</span>' in page
    assert '<a class="button" href="/sandbox/">Open my sandbox</a>' in page


def test_page_shows_whole_percent(client, student):
    exam = make_exam(1)
    attempt = graded_attempt(student, exam, score=3, max_score=5, passed=True, submitted=ago(10))
    client.force_login(student)

    page = client.get("/").text
    results = client.get(f"/exams/attempts/{attempt.pk}/results/").text

    assert "3 of 5 (60%)" in page
    assert "60.00" not in page
    assert "3 of 5 points (60%)" in results


def test_russian_sandbox_status_is_feminine(client, student, history):
    client.force_login(student)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    home = client.get("/").text
    sandbox = client.get("/sandbox/").text

    # "Состояние: Запущена" agrees with песочница and машина, which are feminine.
    assert 'data-status="running">Запущена</span>' in home
    assert 'data-status="running">Запущена</span>' in sandbox


def test_page_for_new_student(client, other_student):
    client.force_login(other_student)

    page = client.get("/").text

    assert "Welcome, other" in page
    assert '<a class="button" href="/sandbox/">Get a sandbox</a>' in page
    assert "You have not completed a lab yet." in page
    assert "You have not taken an exam yet." in page
    assert "Nothing yet." in page


def test_page_lists_activity_newest_first(client, student, history):
    client.force_login(student)

    page = client.get("/").text

    submitted = page.index("Submitted the exam Exam 1")
    task = page.index("Passed the task “Task 2.1” in the lab Lab 2")
    lesson = page.index("Finished the lesson “Lesson 1.1” in Module 1")
    assert submitted < task < lesson


def test_api_returns_dashboard(student, history):
    response = bearer(student).get("/api/dashboard")

    assert response.status_code == 200
    body = response.json()
    assert body["modules"] == [
        {"id": history["module"].pk, "title": "Module 1", "done": 1, "total": 4, "percent": 25,
         "url": f"/lessons/modules/{history['module'].pk}/"},
    ]  # fmt: skip
    assert body["labs_in_progress"] == [
        {"attempt_id": history["running"].pk, "lab_id": history["open_lab"].pk, "title": "Lab 2",
         "started_at": iso(ago(30)), "tasks_passed": 1, "tasks_total": 3,
         "url": "/labs/lab-2/"},
    ]  # fmt: skip
    assert body["labs_completed"] == [
        {"lab_id": history["finished_lab"].pk, "title": "Lab 1",
         "completed_at": iso(ago(40)), "url": "/labs/lab-1/"},
    ]  # fmt: skip
    assert body["exams"] == [
        {"attempt_id": history["in_progress"].pk, "exam_id": history["in_progress"].exam_id,
         "exam_title": "Exam 2", "status": "in_progress", "status_label": "In progress",
         "started_at": iso(ago(5)), "submitted_at": None, "graded_at": None,
         "score": None, "max_score": None, "percent": None, "passed": None, "results_url": None},
        {"attempt_id": history["graded"].pk, "exam_id": history["exam"].pk,
         "exam_title": "Exam 1", "status": "graded", "status_label": "Graded",
         "started_at": iso(ago(30)), "submitted_at": iso(ago(10)),
         "graded_at": iso(ago(10)), "score": 5, "max_score": 6, "percent": "83.33",
         "passed": True, "results_url": f"/exams/attempts/{history['graded'].pk}/results/"},
    ]  # fmt: skip
    assert body["sandbox"] == {
        "id": history["sandbox"].pk, "status": "running", "status_label": "Running",
        "created_at": iso(history["sandbox"].created_at), "expires_at": None,
        "url": "/sandbox/",
    }  # fmt: skip
    assert [(item["kind"], item["title"], item["parent_title"]) for item in body["activity"]] == [
        ("exam", "Exam 1", ""),
        ("lab_task", "Task 2.1", "Lab 2"),
        ("lab_task", "Task 1.2", "Lab 1"),
        ("lab_task", "Task 1.1", "Lab 1"),
        ("lesson", "Lesson 1.1", "Module 1"),
    ]
    assert body["activity"][0]["at"] == iso(ago(10))


def test_api_matches_page_data(client, student, history):
    client.force_login(student)

    page_dashboard = client.get("/").context["dashboard"]
    api_body = bearer(student).get("/api/dashboard").json()

    assert page_dashboard == dashboard_for(student)
    assert [exam.attempt_id for exam in page_dashboard.exams] == [
        exam["attempt_id"] for exam in api_body["exams"]
    ]
    assert len(page_dashboard.activity) == len(api_body["activity"])


def test_api_needs_token(api, db):
    response = api.get("/api/dashboard")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("fixture", ["other_student", "instructor", "admin_user"])
def test_shows_only_own_history(request, student, history, fixture):
    user = request.getfixturevalue(fixture)

    body = bearer(user).get("/api/dashboard").json()

    assert body["modules"][0]["done"] == 0
    assert body["labs_in_progress"] == []
    assert body["labs_completed"] == []
    assert body["exams"] == []
    assert body["sandbox"] is None
    assert body["activity"] == []


def test_other_kinds_of_container_are_not_the_sandbox(student):
    Container.objects.create(owner=student, kind=Kind.LAB, image="ubuntu/24.04")
    Container.objects.create(
        owner=student, kind=Kind.SANDBOX, image="ubuntu/24.04", status=Status.DELETED
    )

    assert dashboard_for(student).sandbox is None


def test_deactivated_lab_has_no_link(client, student):
    lab = make_lab(1, active=False)
    LaboratoryAttempt.objects.create(
        user=student, lab=lab, status=LabStatus.COMPLETED, finished_at=ago(1)
    )
    client.force_login(student)

    page = client.get("/").text

    assert dashboard_for(student).labs_completed[0].url is None
    assert "Lab 1" in page
    assert "/labs/lab-1/" not in page


def test_completed_lab_listed_once(student):
    lab = make_lab(1)
    for minutes in (30, 10, 20):
        LaboratoryAttempt.objects.create(
            user=student, lab=lab, status=LabStatus.COMPLETED, finished_at=ago(minutes)
        )
    LaboratoryAttempt.objects.create(user=student, lab=lab, status=LabStatus.LEFT)

    completed = dashboard_for(student).labs_completed

    assert [(row.title, row.completed_at) for row in completed] == [("Lab 1", ago(10))]


def test_failed_task_not_in_activity(student):
    lab = make_lab(1)
    attempt = LaboratoryAttempt.objects.create(user=student, lab=lab)
    first, second = lab.tasks.all()
    LaboratoryTaskResult.objects.create(attempt=attempt, task=first, passed=False, checked_at=NOW)
    LaboratoryTaskResult.objects.create(attempt=attempt, task=second, passed=True, checked_at=NOW)

    activity = dashboard_for(student).activity

    assert [item.title for item in activity] == ["Task 1.2"]


def test_activity_limited_to_newest(student, history):
    add_long_history(student, size=15)

    activity = dashboard_for(student).activity

    assert len(activity) == ACTIVITY_LIMIT
    assert [item.title for item in activity] == [
        "Exam 1", "Task 2.1", "Task 1.2", "Task 1.1", "Lesson 1.1",
        "Lesson 99.1", "Lesson 99.2", "Lesson 99.3", "Lesson 99.4", "Lesson 99.5",
    ]  # fmt: skip
    assert activity[-1].at == ago(1004)


@pytest.mark.parametrize("size", [0, 40])
def test_page_queries_bounded(client, student, history, size, django_assert_max_num_queries):
    add_long_history(student, size)
    client.force_login(student)

    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        response = client.get("/")

    assert response.status_code == 200
    assert len(response.context["dashboard"].exams) == 2 + size


@pytest.mark.parametrize("size", [0, 40])
def test_api_queries_bounded(student, history, size, django_assert_max_num_queries):
    add_long_history(student, size)
    api = bearer(student)

    with django_assert_max_num_queries(API_MAX_QUERIES):
        response = api.get("/api/dashboard")

    assert response.status_code == 200
    assert len(response.json()["labs_completed"]) == 1 + size


def test_schema_describes_dashboard(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    response = schema["paths"]["/api/dashboard"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Dashboard"
    }
    assert set(schema["components"]["schemas"]["Dashboard"]["properties"]) == {
        "modules", "labs_in_progress", "labs_completed", "exams", "sandbox", "activity",
    }  # fmt: skip
    assert schema["components"]["schemas"]["DashboardActivityKindEnum"]["enum"] == [
        "lesson", "lab_task", "exam",
    ]  # fmt: skip


def test_api_shows_lab_and_exam_translations(student, history):
    Laboratory.objects.filter(pk=history["open_lab"].pk).update(title_uz="2-laboratoriya")
    Laboratory.objects.filter(pk=history["finished_lab"].pk).update(title_uz="1-laboratoriya")
    LaboratoryTask.objects.filter(title="Task 2.1").update(title_uz="2.1-topshiriq")
    Exam.objects.filter(pk=history["exam"].pk).update(title_uz="1-imtihon", title_ru="Экзамен 1")
    client = bearer(student)

    uzbek = client.get("/api/dashboard", HTTP_ACCEPT_LANGUAGE="uz").json()
    russian = client.get("/api/dashboard", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert [lab["title"] for lab in uzbek["labs_in_progress"]] == ["2-laboratoriya"]
    assert [lab["title"] for lab in uzbek["labs_completed"]] == ["1-laboratoriya"]
    assert [exam["exam_title"] for exam in uzbek["exams"]] == ["Exam 2", "1-imtihon"]
    assert [(item["title"], item["parent_title"]) for item in uzbek["activity"][:3]] == [
        ("1-imtihon", ""),
        ("2.1-topshiriq", "2-laboratoriya"),
        ("Task 1.2", "1-laboratoriya"),
    ]
    assert [lab["title"] for lab in russian["labs_completed"]] == ["Lab 1"]
    assert [exam["exam_title"] for exam in russian["exams"]] == ["Exam 2", "Экзамен 1"]
