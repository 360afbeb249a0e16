"""Exams in headless Chromium: a whole attempt against LXD, and the countdown without one."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from containers.tests.test_terminal_browser import (
    LXD_TIMEOUT,
    PROMPT,
    run,
    wait_for_line,
    wait_for_state,
)
from exams.loading import load_exam, read_exam_file
from exams.models import AttemptStatus, Exam, ExamAttempt, ExamTask
from exams.tests.test_exam_pages import SCRIPT_MARKER, add_results
from exams.tests.test_sample_exam import SAMPLE, SLUG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECK_DONE = f"""# {SCRIPT_MARKER}
test -f /home/student/done.txt || {{ echo "FAIL: /home/student/done.txt is missing"; exit 1; }}
"""
CHECK_BOB = f"""# {SCRIPT_MARKER}
id bob >/dev/null 2>&1 || {{ echo "FAIL: user bob is missing"; exit 1; }}
"""


@pytest.fixture
def exam():
    exam = Exam.objects.create(
        title="Linux basics", slug="linux-basics", description="Work **alone**.",
        duration_minutes=60, passing_score=70,
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=1, title="Make done.txt", points=3,
        description="Create `/home/student/done.txt`.", check_script=CHECK_DONE,
        solution_script=f"# {SCRIPT_MARKER}\nrunuser -u student -- touch /home/student/done.txt",
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=2, title="Add bob", points=2, description="Create the user `bob`.",
        check_script=CHECK_BOB, solution_script=f"# {SCRIPT_MARKER}\nuseradd bob",
    )  # fmt: skip
    return exam


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_student_takes_exam_in_browser(page, log_in, screenshots, student, exam):
    log_in(student)
    page.goto("/exams/")
    screenshots.take("exam-list")

    page.click("text=Linux basics")
    assert "Work alone." in page.locator("main").inner_text()
    screenshots.take("exam-rules")
    page.click("button:has-text('Start the exam')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    attempt = ExamAttempt.objects.get(user=student)
    wait_for_line(page, attempt.container_id, PROMPT)
    assert page.url.endswith(f"/exams/attempts/{attempt.pk}/")
    assert re.fullmatch(r"(60:00|59:\d\d)", page.locator("[data-exam-clock]").inner_text())
    screenshots.take("exam-started")

    run(page, "touch ~/done.txt && echo done-created")
    wait_for_line(page, attempt.container_id, r"^done-created$")
    screenshots.take("task-solved")

    page.click("button:has-text('Submit the exam')")
    page.wait_for_selector("dialog#exam-confirm[open]")
    screenshots.take("confirm-submit")
    results_url = f"**/exams/attempts/{attempt.pk}/results/"
    with page.expect_navigation(url=results_url, timeout=LXD_TIMEOUT):
        page.click("dialog button:has-text('Submit and grade')")
    screenshots.take("results")

    results = page.locator("#exam-results")
    assert "3 of 5 points (60%)" in results.inner_text()
    assert "Not passed" in results.inner_text()
    done, bob = exam.tasks.all()
    assert results.locator(f"#task-{done.pk}").get_attribute("data-passed") == "yes"
    assert "3 of 3 points" in results.locator(f"#task-{done.pk}").inner_text()
    assert results.locator(f"#task-{bob.pk}").get_attribute("data-passed") == "no"
    assert "0 of 2 points" in results.locator(f"#task-{bob.pk}").inner_text()
    assert "FAIL: user bob is missing" in results.locator(f"#task-{bob.pk}").inner_text()
    assert SCRIPT_MARKER not in page.content()
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score) == (AttemptStatus.GRADED, 3, 5)
    assert attempt.auto_submitted is False


def test_countdown_warns_then_ends_in_results(page, log_in, screenshots, student, exam):
    # No container: the attempt is made in the database and graded by the test,
    # as the platform's upkeep process would grade it after the deadline.
    attempt = ExamAttempt.objects.create(
        user=student, exam=exam, deadline=timezone.now() + timedelta(seconds=302)
    )
    log_in(student)
    page.goto(f"/exams/attempts/{attempt.pk}/")

    assert re.fullmatch(r"(5:0[0-2]|4:5\d)", page.locator("[data-exam-clock]").inner_text())
    assert page.locator("[data-exam-warning='900']").is_visible()
    page.wait_for_selector("[data-exam-warning='300']", state="visible", timeout=10_000)
    assert not page.locator("[data-exam-warning='900']").is_visible()
    assert "Less than 5 minutes left." in page.locator("main").inner_text()
    screenshots.take("five-minutes-left")

    page.click("button:has-text('Submit the exam')")
    page.click("dialog button:has-text('Keep working')")
    page.wait_for_selector("dialog#exam-confirm", state="hidden")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS

    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    page.wait_for_selector("#exam-time-over[role=status]", timeout=10_000)
    assert page.locator("[data-exam-clock]").inner_text() == "0:00"
    assert "The time is over." in page.locator("#exam-time-over").inner_text()
    screenshots.take("time-over")

    attempt.refresh_from_db()
    add_results(attempt, ["Add bob"])
    page.wait_for_url(f"**/exams/attempts/{attempt.pk}/results/", timeout=10_000)
    assert "2 of 5 points (40%)" in page.locator("#exam-results").inner_text()
    screenshots.take("results-after-time-over")


def box_of(page, selector):
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
def test_tasks_column_stays_beside_terminal(page, log_in, screenshots, student):
    # The sample exam's second task has a wide permissions table.
    load_exam(SLUG, read_exam_file(SAMPLE))
    log_in(student)
    page.goto(f"/exams/{SLUG}/")
    page.click("button:has-text('Start the exam')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)

    for width, height in [(1400, 900), (1024, 768)]:
        page.set_viewport_size({"width": width, "height": height})
        page.locator(".exam-tasks table").first.scroll_into_view_if_needed()
        screenshots.take(f"tasks-{width}x{height}")
        tasks = box_of(page, ".exam-tasks")
        terminal = box_of(page, ".lesson-terminal")
        table = box_of(page, ".exam-tasks table")

        assert tasks["x"] + tasks["width"] <= terminal["x"], (width, tasks, terminal)
        assert table["x"] + table["width"] <= tasks["x"] + tasks["width"], (width, table, tasks)
        assert tasks["height"] <= height, (width, tasks)
