"""Exam admin pages, actions and the admin exams API, tried across the cast of users."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.utils import timezone

from conftest import bearer
from containers import checks
from containers import services as container_services
from containers.models import Container, Kind, Status, TerminalRecording
from exams.models import AttemptStatus, Exam, ExamAttempt, ExamRegrade, ExamTask, ExamTaskResult

pytestmark = pytest.mark.django_db

ATTEMPTS_URL = "/admin/exams/examattempt/"


@pytest.fixture
def exam():
    exam = Exam.objects.create(title="Shell basics", slug="shell-basics", duration_minutes=30)
    ExamTask.objects.create(
        exam=exam, order=1, title="Make notes", points=2,
        check_script="test -f /root/notes", solution_script="touch /root/notes",
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=2, title="Add bob", points=3,
        check_script="id bob", solution_script="useradd bob",
    )  # fmt: skip
    return exam


@pytest.fixture
def graded_attempt(student, exam):
    """A graded attempt in its second round, regraded once, with a recording and a snapshot."""
    container = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="labsite/debian-12", status=Status.DELETED
    )
    snapshot = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="labsite/debian-12", status=Status.STOPPED
    )
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, container=container, snapshot=snapshot,
        started_at=now - timedelta(minutes=40), deadline=now - timedelta(minutes=10),
        submitted_at=now - timedelta(minutes=20), graded_at=now, status=AttemptStatus.GRADED,
        score=5, max_score=5, percent=Decimal("100.00"), passed=True, round=2,
    )  # fmt: skip
    notes, bob = exam.tasks.all()
    for task, first_round in [(notes, "FAIL: old check of notes"), (bob, "round one: no bob")]:
        ExamTaskResult.objects.create(
            attempt=attempt, task=task, round=1, passed=False, feedback=first_round
        )
    for task in (notes, bob):
        ExamTaskResult.objects.create(
            attempt=attempt, task=task, round=2, passed=True, points_awarded=task.points,
            feedback=f"round two: {task.title} done",
        )  # fmt: skip
    ExamRegrade.objects.create(
        attempt=attempt, round=2, old_score=0, new_score=5,
        old_percent=Decimal("0.00"), new_percent=Decimal("100.00"),
    )  # fmt: skip
    TerminalRecording.objects.create(container=container, path=f"{container.name}/one.cast")
    return attempt


@pytest.fixture
def running_attempt(other_student, exam):
    now = timezone.now()
    return ExamAttempt.objects.create(
        user=other_student, exam=exam, started_at=now, deadline=now + timedelta(minutes=30)
    )


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, url, action, objects):
    return client.post(
        url, {"action": action, "_selected_action": [str(item.pk) for item in objects]}
    )


# Exams


def exam_form(**fields):
    """Return the POST data of the exam add form with one task inline."""
    data = {
        "title": "Permissions",
        "slug": "permissions",
        "description": "",
        "duration_minutes": "45",
        "passing_score": "60",
        "max_attempts": "1",
        "is_active": "on",
        "available_from_0": "",
        "available_from_1": "",
        "available_until_0": "",
        "available_until_1": "",
        "image": "",
        "setup_script": "",
        "tasks-TOTAL_FORMS": "1",
        "tasks-INITIAL_FORMS": "0",
        "tasks-MIN_NUM_FORMS": "0",
        "tasks-MAX_NUM_FORMS": "1000",
        "tasks-0-order": "1",
        "tasks-0-title": "Lock the notes",
        "tasks-0-points": "2",
        "tasks-0-description": "Make `~/notes` private.",
        "tasks-0-check_script": 'test "$(stat -c %a /home/student/notes)" = 600',
        "tasks-0-solution_script": "chmod 600 /home/student/notes",
    }
    data.update(fields)
    return data


def test_instructor_lists_exams_with_window(client, instructor, exam):
    exam.available_from = timezone.now()
    exam.available_until = exam.available_from + timedelta(days=2)
    exam.save()
    client.force_login(instructor)

    response = client.get("/admin/exams/exam/")

    assert response.status_code == 200
    assert "Shell basics" in response.text
    assert "column-available_from" in response.text
    assert "column-available_until" in response.text
    assert 'name="form-0-is_active"' in response.text
    assert "validate_exams" in response.text


def test_instructor_adds_exam_with_task(client, instructor):
    client.force_login(instructor)

    response = client.post("/admin/exams/exam/add/", exam_form())

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    exam = Exam.objects.get(slug="permissions")
    [task] = exam.tasks.all()
    assert (task.order, task.title, task.points) == (1, "Lock the notes", 2)
    assert task.solution_script == "chmod 600 /home/student/notes"
    assert "<code>~/notes</code>" in task.description_html
    assert not any("exit status is always 0" in text for text in message_texts(response))


def test_saving_task_that_cannot_fail_warns(client, instructor):
    client.force_login(instructor)

    response = client.post(
        "/admin/exams/exam/add/",
        exam_form(**{"tasks-0-check_script": "test -f /home/student/notes || true"}),
    )

    assert response.status_code == 302
    assert (
        "Lock the notes: The check script ends with 'test -f /home/student/notes || true', so "
        "its exit status is always 0. End it with the test whose status decides the verdict."
    ) in message_texts(response)


def test_tasks_of_attempted_exam_cannot_be_deleted(client, instructor, exam, running_attempt):
    other = Exam.objects.create(title="Networking", slug="networking", duration_minutes=20)
    ExamTask.objects.create(exam=other, order=1, title="Ping", check_script="true")
    client.force_login(instructor)

    attempted = client.get(f"/admin/exams/exam/{exam.pk}/change/")
    fresh = client.get(f"/admin/exams/exam/{other.pk}/change/")

    assert 'name="tasks-0-title"' in attempted.text
    assert 'name="tasks-0-DELETE"' not in attempted.text
    assert 'name="tasks-0-DELETE"' in fresh.text


def test_student_cannot_open_exam_admin(client, student, exam):
    client.force_login(student)

    response = client.get("/admin/exams/exam/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Attempts: list and detail


def test_instructor_lists_attempts(client, instructor, graded_attempt, running_attempt):
    client.force_login(instructor)

    response = client.get(ATTEMPTS_URL)

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert {attempt.pk for attempt in rows} == {graded_attempt.pk, running_attempt.pk}
    for column in ("exam", "user", "status", "score", "percent", "passed", "started_at"):
        assert f"column-{column}" in response.text
    assert "column-deadline" in response.text
    assert "regrade_attempts" in response.text


def test_attempt_page_shows_rounds_and_links(client, instructor, graded_attempt):
    client.force_login(instructor)
    recording = TerminalRecording.objects.get()

    response = client.get(f"{ATTEMPTS_URL}{graded_attempt.pk}/change/")

    assert response.status_code == 200
    page = response.text
    formsets = {
        formset.opts.verbose_name_plural: [form.instance for form in formset.formset]
        for formset in response.context["inline_admin_formsets"]
    }
    current = formsets["results of the current grading round"]
    earlier = formsets["results of earlier grading rounds"]
    assert [(result.round, result.task.title) for result in current] == [
        (2, "Make notes"),
        (2, "Add bob"),
    ]
    assert [(result.round, result.task.title) for result in earlier] == [
        (1, "Make notes"),
        (1, "Add bob"),
    ]
    assert [regrade.new_score for regrade in formsets["regrades"]] == [5]
    assert "round one: no bob" in page
    assert f'href="/admin/containers/terminalrecording/{recording.pk}/replay/"' in page
    assert f'href="/admin/containers/container/{graded_attempt.snapshot_id}/change/"' in page
    assert f"{graded_attempt.snapshot.name}</a> (Stopped)" in page
    # The page is read-only, and a graded attempt offers no extension.
    assert 'name="_save"' not in page
    assert "/extend/" not in page


def test_running_attempt_offers_more_time(client, instructor, running_attempt):
    client.force_login(instructor)

    response = client.get(f"{ATTEMPTS_URL}{running_attempt.pk}/change/")

    assert response.status_code == 200
    assert f'href="{ATTEMPTS_URL}{running_attempt.pk}/extend/"' in response.text
    assert "Give more time" in response.text


def test_attempt_page_cannot_be_saved(client, admin_user, graded_attempt):
    client.force_login(admin_user)

    response = client.post(
        f"{ATTEMPTS_URL}{graded_attempt.pk}/change/", {"score": "0", "status": "in_progress"}
    )

    graded_attempt.refresh_from_db()
    assert response.status_code == 403
    assert (graded_attempt.score, graded_attempt.status) == (5, AttemptStatus.GRADED)


def test_student_cannot_see_attempts(client, student, graded_attempt):
    client.force_login(student)

    for url in (ATTEMPTS_URL, f"{ATTEMPTS_URL}{graded_attempt.pk}/extend/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


# Attempts: regrade action


def test_regrade_refuses_attempt_in_progress(client, instructor, running_attempt):
    client.force_login(instructor)

    response = run_action(client, ATTEMPTS_URL, "regrade_attempts", [running_attempt])

    assert response.status_code == 302
    assert message_texts(response) == [f"{running_attempt}: Only a graded attempt can be regraded."]
    assert not ExamRegrade.objects.filter(attempt=running_attempt).exists()


def test_regrade_without_snapshot_is_message(client, instructor, graded_attempt, settings):
    settings.EXAM_SNAPSHOT_DAYS = 14
    Container.objects.filter(pk=graded_attempt.snapshot_id).update(status=Status.DELETED)
    client.force_login(instructor)

    response = run_action(client, ATTEMPTS_URL, "regrade_attempts", [graded_attempt])

    assert response.status_code == 302
    assert message_texts(response) == [
        f"{graded_attempt}: This attempt has no snapshot any more (snapshots are kept 14 days)."
    ]
    assert ExamRegrade.objects.filter(attempt=graded_attempt).count() == 1


# Attempts: more time


def test_instructor_extends_running_attempt(client, instructor, running_attempt):
    deadline = running_attempt.deadline
    client.force_login(instructor)
    url = f"{ATTEMPTS_URL}{running_attempt.pk}/extend/"

    form_page = client.get(url)
    response = client.post(url, {"minutes": "15"})

    assert form_page.status_code == 200
    assert 'name="minutes"' in form_page.text
    assert response.status_code == 302
    assert response["Location"] == f"{ATTEMPTS_URL}{running_attempt.pk}/change/"
    running_attempt.refresh_from_db()
    assert running_attempt.deadline == deadline + timedelta(minutes=15)
    assert running_attempt.extra_minutes == 15
    local = timezone.localtime(running_attempt.deadline).strftime("%Y-%m-%d %H:%M")
    assert message_texts(response) == [
        f"{running_attempt}: 15 more minutes, the deadline is now {local}."
    ]


def test_extension_rejects_invalid_minutes(client, instructor, running_attempt):
    deadline = running_attempt.deadline
    client.force_login(instructor)
    url = f"{ATTEMPTS_URL}{running_attempt.pk}/extend/"

    too_few = client.post(url, {"minutes": "0"})
    too_many = client.post(url, {"minutes": str(24 * 60 + 1)})

    assert too_few.status_code == 200
    assert too_few.context["form"].errors == {
        "minutes": ["Ensure this value is greater than or equal to 1."]
    }
    assert too_many.context["form"].errors == {
        "minutes": ["Ensure this value is less than or equal to 1440."]
    }
    running_attempt.refresh_from_db()
    assert (running_attempt.deadline, running_attempt.extra_minutes) == (deadline, 0)


def test_extension_of_graded_attempt_is_refused(client, instructor, graded_attempt):
    deadline = graded_attempt.deadline
    client.force_login(instructor)

    response = client.post(f"{ATTEMPTS_URL}{graded_attempt.pk}/extend/", {"minutes": "10"})

    assert response.status_code == 302
    assert message_texts(response) == [
        f"{graded_attempt} is not in progress, so its time cannot be extended."
    ]
    graded_attempt.refresh_from_db()
    assert graded_attempt.deadline == deadline


# Admin exams API

NEW_EXAM = {
    "title": "Processes",
    "slug": "processes",
    "description": "Find and stop processes.",
    "duration_minutes": 30,
    "tasks": [
        {"title": "Stop sleeper", "check_script": "! pgrep -x sleeper", "points": 2},
        {
            "title": "Start cron",
            "check_script": "systemctl is-active --quiet cron",
            "solution_script": "systemctl start cron",
        },
    ],
}


def test_admin_lists_exams_with_scripts(admin_user, exam):
    response = bearer(admin_user).get("/api/admin/exams")

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert listed["slug"] == "shell-basics"
    assert listed["duration_minutes"] == 30
    assert [
        (task["order"], task["title"], task["check_script"], task["solution_script"])
        for task in listed["tasks"]
    ] == [
        (1, "Make notes", "test -f /root/notes", "touch /root/notes"),
        (2, "Add bob", "id bob", "useradd bob"),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_exams_api_is_admin_only(method, api, student, instructor):
    for user in (student, instructor):
        response = getattr(bearer(user), method)("/api/admin/exams", NEW_EXAM, format="json")
        assert response.status_code == 403, user
        assert response.json() == {
            "detail": "Only administrators may use this endpoint.",
            "code": "permission_denied",
        }
    anonymous = getattr(api, method)("/api/admin/exams", NEW_EXAM, format="json")
    assert anonymous.status_code == 401
    assert not Exam.objects.exists()


def test_admin_creates_exam_with_tasks(admin_user):
    response = bearer(admin_user).post("/api/admin/exams", NEW_EXAM, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    exam = Exam.objects.get(slug="processes")
    assert body["id"] == exam.pk
    assert (exam.passing_score, exam.max_attempts, exam.is_active) == (60, 1, True)
    assert [(task.order, task.title, task.points) for task in exam.tasks.all()] == [
        (1, "Stop sleeper", 2),
        (2, "Start cron", 1),
    ]
    assert [task["order"] for task in body["tasks"]] == [1, 2]
    assert body["tasks"][1]["solution_script"] == "systemctl start cron"


def test_invalid_task_writes_nothing(admin_user):
    data = json.loads(json.dumps(NEW_EXAM))
    data["tasks"][1]["check_script"] = ""
    data["tasks"][0]["points"] = 0

    response = bearer(admin_user).post("/api/admin/exams", data, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields. Correct them and send it again.",
        "code": "invalid",
        "fields": {
            "tasks": {
                "0": {"points": ["Ensure this value is greater than or equal to 1."]},
                "1": {"check_script": ["This field may not be blank."]},
            }
        },
    }
    assert not Exam.objects.exists()
    assert not ExamTask.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"tasks": []}, {"tasks": {"non_field_errors": ["This list may not be empty."]}}),
        ({"slug": "shell-basics"}, {"slug": ["exam with this slug already exists."]}),
        (
            {"passing_score": 101},
            {"passing_score": ["Ensure this value is less than or equal to 100."]},
        ),
        (
            {"available_from": "2030-01-02T10:00:00Z", "available_until": "2030-01-02T09:00:00Z"},
            {"available_until": ["The window must end after it starts."]},
        ),
    ],
)  # fmt: skip
def test_invalid_exam_rejected(admin_user, exam, fields, errors):
    response = bearer(admin_user).post("/api/admin/exams", {**NEW_EXAM, **fields}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == errors
    assert list(Exam.objects.values_list("slug", flat=True)) == ["shell-basics"]


def test_failure_while_writing_tasks_writes_nothing(admin_user, monkeypatch):
    save = ExamTask.save

    def save_failing_on_second_task(task, *args, **kwargs):
        if task.order == 2:
            raise IntegrityError("simulated failure after the exam and its first task")
        save(task, *args, **kwargs)

    monkeypatch.setattr(ExamTask, "save", save_failing_on_second_task)

    with pytest.raises(IntegrityError):
        bearer(admin_user).post("/api/admin/exams", NEW_EXAM, format="json")

    assert not Exam.objects.exists()
    assert not ExamTask.objects.exists()


# Against the real LXD. The tests stay in the test transaction: a flush would
# remove the permissions that a migration gives to the Instructors group.


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_validate_action_runs_exam_in_container(client, instructor, exam):
    client.force_login(instructor)

    response = run_action(client, "/admin/exams/exam/", "validate_exams", [exam])

    texts = message_texts(response)
    assert texts[0] == "Shell basics: valid", texts
    assert texts[1].startswith("OK Make notes: ok: fails before the solution")
    assert texts[2].startswith("OK Add bob: ok: fails before the solution")
    made = Container.objects.filter(kind=Kind.EXAM, owner__username="lab-validator")
    assert made.count() == 1
    assert made.get().status == Status.DELETED


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_regrade_action_grades_snapshot_copy(client, instructor, student, exam):
    # The snapshot contains the solution of the first task only. The stored
    # grade of 0 points is what older check scripts gave.
    snapshot = container_services.create_container(owner=student, kind=Kind.EXAM)
    [touched] = checks.run_checks(snapshot, ["touch /root/notes"])
    container_services.stop_container(snapshot)
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, snapshot=snapshot, started_at=now - timedelta(minutes=30),
        deadline=now, status=AttemptStatus.GRADED, score=0, max_score=5,
        percent=Decimal("0.00"), passed=False, round=1,
    )  # fmt: skip
    client.force_login(instructor)

    response = run_action(client, ATTEMPTS_URL, "regrade_attempts", [attempt])

    assert touched.passed
    assert message_texts(response) == [
        f"{attempt}: regraded in round 2, score 0 → 2 of 5 (40.00 %)."
    ]
    attempt.refresh_from_db()
    assert (attempt.round, attempt.score, attempt.passed) == (2, 2, False)
    regrade = ExamRegrade.objects.get(attempt=attempt)
    assert (regrade.requested_by, regrade.old_score, regrade.new_score) == (instructor, 0, 2)
    assert Container.objects.live().filter(owner=student).get() == snapshot  # the copy is gone


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_regrade_lxd_failure_is_message(client, instructor, graded_attempt):
    # The snapshot's row has status stopped, but LXD has no such instance.
    client.force_login(instructor)

    response = run_action(client, ATTEMPTS_URL, "regrade_attempts", [graded_attempt])

    assert response.status_code == 302
    [text] = message_texts(response)
    assert text.startswith(f"{graded_attempt}: the regrade failed and nothing changed: ")
    graded_attempt.refresh_from_db()
    assert (graded_attempt.round, graded_attempt.score) == (2, 5)
    assert ExamRegrade.objects.filter(attempt=graded_attempt).count() == 1
