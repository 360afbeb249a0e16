"""An exam with Uzbek and Russian texts: pages, API, admin API and YAML files in each language.

The exam's Russian description and the second task's Uzbek texts are left
empty, so those readers see the English original there.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from conftest import bearer
from exams.loading import ExamFileInvalid, load_exam, read_exam_file
from exams.models import AttemptStatus, Exam, ExamAttempt, ExamTask, ExamTaskResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam():
    exam = Exam.objects.create(
        title="Users", slug="users", description="Work **alone**.", duration_minutes=20,
        title_uz="Foydalanuvchilar", description_uz="**Yolgʻiz** ishlang.",
        title_ru="Пользователи",
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=1, title="Add bob", description="Create **bob**.", check_script="id bob",
        title_uz="bob qoʻshing", description_uz="**bob** foydalanuvchisini yarating.",
        title_ru="Добавьте bob", description_ru="Создайте пользователя **bob**.",
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=2, title="Start cron", description="Start the **cron** service.",
        check_script="systemctl is-active --quiet cron", title_ru="Запустите cron",
    )  # fmt: skip
    return exam


def read_in(client, language, url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.text


def graded_attempt(user, exam):
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        user=user, exam=exam, started_at=now - timedelta(minutes=10), deadline=now,
        submitted_at=now, graded_at=now, status=AttemptStatus.GRADED, round=1,
        score=1, max_score=2, percent=50, passed=False,
    )  # fmt: skip
    for task in exam.tasks.all():
        ExamTaskResult.objects.create(
            attempt=attempt, task=task, round=1, passed=task.order == 1,
            points_awarded=1 if task.order == 1 else 0,
        )  # fmt: skip
    return attempt


def test_list_page_in_each_language(client, student, exam):
    client.force_login(student)

    assert ">Foydalanuvchilar</a>" in read_in(client, "uz", "/exams/")
    assert ">Пользователи</a>" in read_in(client, "ru", "/exams/")
    assert ">Users</a>" in read_in(client, "en", "/exams/")


def test_detail_page_in_each_language(client, student, exam):
    client.force_login(student)

    uzbek = read_in(client, "uz", "/exams/users/")
    russian = read_in(client, "ru", "/exams/users/")

    assert "<h1>Foydalanuvchilar</h1>" in uzbek
    assert "<p><strong>Yolgʻiz</strong> ishlang.</p>" in uzbek
    assert "<h1>Пользователи</h1>" in russian
    assert "<p>Work <strong>alone</strong>.</p>" in russian


def test_attempt_page_in_each_language(client, student, exam):
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, deadline=timezone.now() + timedelta(minutes=15)
    )
    client.force_login(student)

    uzbek = read_in(client, "uz", f"/exams/attempts/{attempt.pk}/")
    russian = read_in(client, "ru", f"/exams/attempts/{attempt.pk}/")

    assert "<h1>Foydalanuvchilar</h1>" in uzbek
    assert "<h3>bob qoʻshing " in uzbek
    assert "<p><strong>bob</strong> foydalanuvchisini yarating.</p>" in uzbek
    assert "<h3>Start cron " in uzbek
    assert "<p>Start the <strong>cron</strong> service.</p>" in uzbek
    assert "<h3>Добавьте bob " in russian
    assert "<p>Создайте пользователя <strong>bob</strong>.</p>" in russian
    assert "<h3>Запустите cron " in russian
    assert "<p>Start the <strong>cron</strong> service.</p>" in russian


def test_results_page_in_each_language(client, student, exam):
    attempt = graded_attempt(student, exam)
    client.force_login(student)

    uzbek = read_in(client, "uz", f"/exams/attempts/{attempt.pk}/results/")
    russian = read_in(client, "ru", f"/exams/attempts/{attempt.pk}/results/")
    english = read_in(client, "en", f"/exams/attempts/{attempt.pk}/results/")

    assert "bob qoʻshing" in uzbek
    assert "Start cron" in uzbek
    assert "Добавьте bob" in russian
    assert "Запустите cron" in russian
    assert "Add bob" in english
    assert "Foydalanuvchilar" not in english


def test_api_in_each_language(student, exam):
    client = bearer(student)

    uzbek = client.get(f"/api/exams/{exam.pk}", HTTP_ACCEPT_LANGUAGE="uz").json()
    russian = client.get(f"/api/exams/{exam.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()
    listed = client.get("/api/exams", HTTP_ACCEPT_LANGUAGE="uz").json()

    assert uzbek["title"] == "Foydalanuvchilar"
    assert uzbek["description_html"] == "<p><strong>Yolgʻiz</strong> ishlang.</p>"
    assert [task["title"] for task in uzbek["tasks"]] == ["bob qoʻshing", "Start cron"]
    assert (
        uzbek["tasks"][1]["description_html"] == "<p>Start the <strong>cron</strong> service.</p>"
    )
    assert russian["title"] == "Пользователи"
    assert russian["description_html"] == "<p>Work <strong>alone</strong>.</p>"
    assert [task["title"] for task in russian["tasks"]] == ["Добавьте bob", "Запустите cron"]
    assert [exam["title"] for exam in listed] == ["Foydalanuvchilar"]


def test_api_results_in_each_language(student, exam):
    attempt = graded_attempt(student, exam)
    client = bearer(student)
    url = f"/api/exams/attempts/{attempt.pk}/results"

    uzbek = client.get(url, HTTP_ACCEPT_LANGUAGE="uz").json()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    assert [task["title"] for task in uzbek["tasks"]] == ["bob qoʻshing", "Start cron"]
    assert [task["title"] for task in english["tasks"]] == ["Add bob", "Start cron"]


def test_admin_api_writes_translations(admin_user):
    data = {
        "title": "Processes", "title_uz": "Jarayonlar", "slug": "processes",
        "description_ru": "Работайте **одни**.", "duration_minutes": 30,
        "tasks": [{"title": "Stop sleeper", "title_ru": "Остановите sleeper",
                   "check_script": "! pgrep -x sleeper"}],
    }  # fmt: skip

    response = bearer(admin_user).post("/api/admin/exams", data, format="json")

    assert response.status_code == 201, response.json()
    exam = Exam.objects.get(slug="processes")
    assert (exam.title_uz, exam.title_ru) == ("Jarayonlar", "")
    assert exam.description_html_ru == "<p>Работайте <strong>одни</strong>.</p>"
    assert exam.tasks.get().title_ru == "Остановите sleeper"
    assert response.json()["tasks"][0]["title_ru"] == "Остановите sleeper"


def test_admin_form_groups_translations(client, instructor, exam):
    client.force_login(instructor)

    page = client.get(f"/admin/exams/exam/{exam.pk}/change/").text

    # One fieldset each for the exam, its two tasks and the inline's blank form.
    assert page.count("Uzbek translation") == 4
    assert page.count("Russian translation") == 4
    assert 'name="title_uz" value="Foydalanuvchilar"' in page
    assert 'name="tasks-1-title_ru" value="Запустите cron"' in page


EXAM_FILE = """\
title: Users
title_uz: Foydalanuvchilar
description: Work alone.
description_ru: Работайте одни.
duration: 20
tasks:
  - title: Add bob
    title_ru: Добавьте bob
    description_uz: "**bob** foydalanuvchisini yarating."
    check: id bob
"""


def write_exam(tmp_path, text):
    path = tmp_path / "01-users.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_reads_translation_keys(tmp_path):
    load_exam("users", read_exam_file(write_exam(tmp_path, EXAM_FILE)))

    exam = Exam.objects.get(slug="users")
    task = exam.tasks.get()
    assert (exam.title, exam.title_uz, exam.title_ru) == ("Users", "Foydalanuvchilar", "")
    assert exam.description_html_ru == "<p>Работайте одни.</p>"
    assert task.title_ru == "Добавьте bob"
    assert task.description_html_uz == "<p><strong>bob</strong> foydalanuvchisini yarating.</p>"


def test_loader_updates_translations_in_place(tmp_path, student):
    load_exam("users", read_exam_file(write_exam(tmp_path, EXAM_FILE)))
    task = Exam.objects.get(slug="users").tasks.get()

    unchanged = load_exam("users", read_exam_file(write_exam(tmp_path, EXAM_FILE)))
    changed = load_exam(
        "users",
        read_exam_file(write_exam(tmp_path, EXAM_FILE.replace("Добавьте bob", "Создайте bob"))),
    )

    assert unchanged is False
    assert changed is True
    assert Exam.objects.get(slug="users").tasks.get().pk == task.pk
    task.refresh_from_db()
    assert task.title_ru == "Создайте bob"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "description_ru:",
            "description_en:",
            "description_en is not a valid key because en is not a translation language. "
            "Use description_uz or description_ru.",
        ),
        (
            "title_ru: Добавьте bob",
            "title_ru: [a, b]",
            "task 1: title_ru must be text, not ['a', 'b'].",
        ),
    ],
)
def test_loader_rejects_bad_translation_keys(tmp_path, old, new, message):
    path = write_exam(tmp_path, EXAM_FILE.replace(old, new))

    with pytest.raises(ExamFileInvalid) as error:
        read_exam_file(path)

    assert str(error.value) == f"{path}: {message}"
