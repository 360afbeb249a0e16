"""Whole journeys through the platform in headless Chromium, with real LXD containers.

The student journey runs on the demo content of `manage.py load_demo`: the
sample course, the first sample lab and the sample exam. Each journey takes
a screenshot at every step (test-artifacts/screenshots/<test name>/).
"""

import importlib
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.template.defaultfilters import floatformat

from accounts.models import INSTRUCTORS_GROUP, Role, User
from conftest import PASSWORD
from containers.models import Container, Kind, Status
from containers.tests.test_terminal_browser import (
    LXD_TIMEOUT,
    PROMPT,
    run,
    wait_for_line,
    wait_for_state,
)
from exams.models import AttemptStatus, Exam, ExamAttempt
from labs.models import Laboratory, LaboratoryAttempt

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.browser,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]

SAMPLE_LAB = "field-trip-files"
SAMPLE_LAB_TASK = "Create the project directories"
SAMPLE_EXAM = "server-handover"
SAMPLE_EXAM_TASK = "Protect the handover files"
# Sample solutions run as root and take each of the student's steps through runuser.
AS_STUDENT = "runuser -u student -- "
# Milliseconds that the validation admin action may take: a container, four
# rounds of checks and a restart.
VALIDATION_TIMEOUT = 180_000


def student_command(solution):
    """Turn a solution script whose every step runs as student into one line that a student types.

    Fails the test when a step runs as root, because the student would need
    sudo for it and the file would not belong to them.
    """
    joined = re.sub(r"\\\n\s*", "", solution)
    steps = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(AS_STUDENT):
            pytest.fail(f"This solution step does not run as student: {line!r}")
        steps.append(line.removeprefix(AS_STUDENT))
    return " && ".join(steps)


def start_in_terminal(page, screenshots, *, section, title, button, step):
    """Open title from the section's list, press button and wait for the shell prompt.

    Returns the id of the container whose terminal the page shows.
    """
    page.click(f"nav a:has-text('{section}')")
    page.click(f"main a:has-text('{title}')")
    screenshots.take(f"{step}-description")
    page.click(f"button:has-text('{button}')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    container_id = int(page.get_attribute("[data-terminal]", "data-container-id"))
    wait_for_line(page, container_id, PROMPT)
    screenshots.take(f"{step}-started")
    return container_id


def solve_in_terminal(page, screenshots, container_id, task, *, step):
    """Type the student's command of the task's solution and wait until it printed the marker."""
    marker = f"{step}-task-done"
    run(page, f"{student_command(task.solution_script)} && echo {marker}")
    wait_for_line(page, container_id, rf"^{marker}$")
    screenshots.take(f"{step}-task-solved")


def score_text(exam, passed_tasks):
    """Return the score line of the results page when exactly passed_tasks pass."""
    score = sum(task.points for task in passed_tasks)
    max_score = sum(task.points for task in exam.tasks.all())
    percent = Decimal(100 * score) / max_score
    return f"{score} of {max_score} points ({floatformat(percent, '-2')}%)"


@pytest.fixture
def demo_content(settings, tmp_path):
    settings.STATE_DIR = tmp_path
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "lessons")
    call_command("load_demo", verbosity=0)


@pytest.fixture
def lab_instructor(instructor):
    """The instructor as a member of the Instructors group with its lab permissions.

    The group and its permissions come from data migrations, and the flush
    after each earlier transactional test empties them, so they are made
    again here with the codenames of the labs migration.
    """
    migration = importlib.import_module("labs.migrations.0002_instructors_edit_labs")
    permissions = Permission.objects.filter(
        content_type__app_label="labs", codename__in=migration.CODENAMES
    )
    assert permissions.count() == len(migration.CODENAMES)
    group, _created = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    group.permissions.add(*permissions)
    # Saving adds the user to the group, which exists now.
    instructor.save()
    assert instructor.groups.filter(name=INSTRUCTORS_GROUP).exists()
    return instructor


def test_student_journey(page, screenshots, demo_content):
    # Registers through the register page and lands on the dashboard.
    page.goto("/")
    page.click("main a:has-text('Create an account')")
    form = page.locator("main form")
    form.locator("input[name=username]").fill("nodira")
    form.locator("input[name=email]").fill("nodira@example.test")
    form.locator("input[name=full_name]").fill("Nodira Yusupova")
    form.locator("input[name=password1]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    screenshots.take("register")
    with page.expect_navigation(url="**/"):
        form.locator("button[type=submit]").click()
    screenshots.take("dashboard")

    assert page.locator("main h1").inner_text() == "Welcome, Nodira Yusupova"
    assert "Welcome to Labsite, Nodira Yusupova." in page.locator(".messages").inner_text()
    student = User.objects.get(username="nodira")
    assert student.role == Role.STUDENT
    assert "You have no sandbox." in page.locator("#dashboard-sandbox").inner_text()

    # Opens a lesson of the sample course, reads it and marks it as done.
    page.click("#dashboard-modules a:has-text('Files and directories')")
    page.click("main a:has-text('Where am I?')")
    assert page.locator("main h1").inner_text() == "Where am I?"
    lesson = page.locator("[data-lesson] .lesson-body")
    assert "Print the working directory" in lesson.inner_text()
    screenshots.take("lesson")
    page.click("#done-button button:has-text('Mark as done')")
    page.wait_for_selector("#done-button .badge:has-text('Done')")
    screenshots.take("lesson-done")

    # Opens the sandbox terminal beside the lesson and runs the lesson's first command.
    page.click("#terminal-panel button:has-text('Open terminal')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    sandbox = Container.objects.get(owner=student, kind=Kind.SANDBOX)
    wait_for_line(page, sandbox.pk, PROMPT)
    run(page, "pwd")
    wait_for_line(page, sandbox.pk, r"^/home/student$")
    screenshots.take("sandbox-command")

    # Starts the first sample lab and solves one task in its terminal.
    lab = Laboratory.objects.get(slug=SAMPLE_LAB)
    task = lab.tasks.get(title=SAMPLE_LAB_TASK)
    container_id = start_in_terminal(
        page, screenshots, section="Labs", title=lab.title, button="Start the lab", step="lab"
    )
    attempt = LaboratoryAttempt.objects.get(user=student, lab=lab)
    assert attempt.container_id == container_id

    solve_in_terminal(page, screenshots, container_id, task, step="lab")
    page.click(f"#task-{task.pk} button:has-text('Check')")
    page.wait_for_selector(f"#task-{task.pk}[data-passed=yes]", timeout=LXD_TIMEOUT)
    screenshots.take("lab-task-passed")

    others = page.locator("#lab-tasks li.task:not([data-passed=yes])")
    assert others.count() == lab.tasks.count() - 1
    for index in range(others.count()):
        assert others.nth(index).get_attribute("data-passed") == "unchecked"
    assert attempt.results.get(task=task).passed is True

    # Starts the sample exam, solves one task, submits it and reads the score.
    exam = Exam.objects.get(slug=SAMPLE_EXAM)
    exam_task = exam.tasks.get(title=SAMPLE_EXAM_TASK)
    container_id = start_in_terminal(
        page, screenshots, section="Exams", title=exam.title, button="Start the exam", step="exam"
    )
    exam_attempt = ExamAttempt.objects.get(user=student, exam=exam)
    assert exam_attempt.container_id == container_id

    solve_in_terminal(page, screenshots, container_id, exam_task, step="exam")
    page.click("button:has-text('Submit the exam')")
    page.wait_for_selector("dialog#exam-confirm[open]")
    screenshots.take("exam-confirm")
    with page.expect_navigation(
        url=f"**/exams/attempts/{exam_attempt.pk}/results/", timeout=LXD_TIMEOUT
    ):
        page.click("dialog button:has-text('Submit and grade')")
    screenshots.take("exam-results")

    results = page.locator("#exam-results")
    assert score_text(exam, [exam_task]) in results.inner_text()
    assert "Not passed" in results.inner_text()
    for other in exam.tasks.all():
        expected = "yes" if other == exam_task else "no"
        assert results.locator(f"#task-{other.pk}").get_attribute("data-passed") == expected
    exam_attempt.refresh_from_db()
    assert exam_attempt.status == AttemptStatus.GRADED
    max_score = sum(exam.tasks.values_list("points", flat=True))
    assert (exam_attempt.score, exam_attempt.max_score) == (exam_task.points, max_score)

    # Grading deleted the exam container and kept a stopped copy of its snapshot.
    containers = Container.objects.filter(owner=student).values_list("kind", "status")
    assert sorted(containers) == sorted(
        [
            (Kind.SANDBOX, Status.RUNNING),
            (Kind.LAB, Status.RUNNING),
            (Kind.EXAM, Status.DELETED),
            (Kind.EXAM, Status.STOPPED),
        ]
    )


def test_instructor_journey(page, screenshots, lab_instructor):
    # Signs in to the admin site.
    page.goto("/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", lab_instructor.username)
    page.fill("#id_password", PASSWORD)
    screenshots.take("admin-login")
    with page.expect_navigation(url="**/admin/"):
        page.click("input[type=submit]")
    screenshots.take("admin-index")

    # Creates a lab with one task through the admin forms.
    page.click("#content-main a[href='/admin/labs/laboratory/add/']")
    page.fill("#id_title", "Notes folder")
    # Leaving the title fires its change event, on which the admin's
    # prepopulate script fills the slug. Filling the slug before that races it.
    page.press("#id_title", "Tab")
    assert page.input_value("#id_slug") == "notes-folder"
    page.fill("#id_slug", "notes-folder-1")
    page.fill("#id_description", "Keep your notes in `~/notes`.")
    page.click(".add-row a")
    page.fill("#id_tasks-0-title", "Make the notes folder")
    page.fill("#id_tasks-0-description", "Create the directory `~/notes`.")
    page.fill(
        "#id_tasks-0-check_script",
        'test -d /home/student/notes || { echo "FAIL: ~/notes is missing"; exit 1; }',
    )
    page.fill("#id_tasks-0-solution_script", f"{AS_STUDENT}mkdir /home/student/notes")
    screenshots.take("lab-form")
    with page.expect_navigation(url="**/admin/labs/laboratory/"):
        page.click("input[name=_save]")
    screenshots.take("lab-saved")

    messages = page.locator("ul.messagelist")
    assert "was added successfully" in messages.inner_text()
    assert messages.locator("li.warning").count() == 0
    lab = Laboratory.objects.get(slug="notes-folder-1")
    assert list(lab.tasks.values_list("title", flat=True)) == ["Make the notes folder"]

    # Validates the lab in a throwaway container with the admin action.
    page.check(f"input[name=_selected_action][value='{lab.pk}']")
    page.select_option("select[name=action]", "validate_labs")
    with page.expect_navigation(url="**/admin/labs/laboratory/", timeout=VALIDATION_TIMEOUT):
        page.click("button[name=index]")
    screenshots.take("lab-validated")

    success = page.locator("ul.messagelist li.success")
    assert success.inner_text() == "Notes folder: valid"
    assert page.locator("ul.messagelist li.error").count() == 0
    info = page.locator("ul.messagelist li.info").all_inner_texts()
    assert info[0].startswith("OK Make the notes folder: ok: fails before the solution"), info
    validation = Container.objects.get(owner__username="lab-validator")
    assert (validation.kind, validation.status) == (Kind.LAB, Status.DELETED)
