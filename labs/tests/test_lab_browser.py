"""A student does a lab in headless Chromium: start, solve in the terminal, Check, passed."""

import pytest

from containers.tests.test_terminal_browser import (
    LXD_TIMEOUT,
    PROMPT,
    run,
    wait_for_line,
    wait_for_state,
)
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.browser,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]


CHECK = 'test -d /home/student/first-steps || { echo "FAIL: ~/first-steps is missing"; exit 1; }'


@pytest.fixture
def lab():
    lab = Laboratory.objects.create(
        title="First steps", slug="first-steps", description="Make a folder."
    )
    LaboratoryTask.objects.create(
        lab=lab, order=1, title="Make the folder",
        description="Create the directory `~/first-steps`.",
        check_script=CHECK,
        solution_script="install -d -o student -g student /home/student/first-steps",
    )  # fmt: skip
    return lab


def test_student_solves_lab_in_browser(page, log_in, screenshots, student, lab):
    log_in(student)
    page.goto("/labs/")
    screenshots.take("lab-list")

    page.click("text=First steps")
    page.click("button:has-text('Start the lab')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    container_id = LaboratoryAttempt.objects.get(user=student).container_id
    wait_for_line(page, container_id, PROMPT)
    screenshots.take("lab-started")

    page.click("#lab-tasks button:has-text('Check')")
    page.wait_for_selector("#lab-tasks [data-passed=no]")
    assert "FAIL: ~/first-steps is missing" in page.locator("#lab-tasks").inner_text()
    screenshots.take("check-fails")

    run(page, "mkdir ~/first-steps")
    wait_for_line(page, container_id, PROMPT)
    page.click("#lab-tasks button:has-text('Check')")
    page.wait_for_selector("#lab-tasks [data-passed=yes]")
    screenshots.take("check-passes")

    assert "every task of this lab has passed" in page.locator("#lab-tasks").inner_text()
    assert LaboratoryAttempt.objects.get(user=student).status == "completed"


def test_restart_asks_before_deleting_work(page, log_in, screenshots, student, lab):
    log_in(student)
    page.goto("/labs/first-steps/")
    page.click("button:has-text('Start the lab')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    attempt = LaboratoryAttempt.objects.get(user=student)
    first_container = attempt.container
    dialog = page.locator("#lab-restart-confirm")

    page.click("button:has-text('Restart with a fresh machine')")
    dialog.wait_for(state="visible")
    screenshots.take("restart-confirm")
    page.click("#lab-restart-confirm button:has-text('Keep working')")
    dialog.wait_for(state="hidden")
    attempt.refresh_from_db()

    assert attempt.container_id == first_container.pk

    page.click("button:has-text('Restart with a fresh machine')")
    with page.expect_navigation(timeout=LXD_TIMEOUT):
        page.click("#lab-restart-confirm button:has-text('Delete my work and restart')")
    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    attempt.refresh_from_db()
    first_container.refresh_from_db()

    assert attempt.container_id != first_container.pk
    assert first_container.status == "deleted"
    assert attempt.status == "in_progress"
