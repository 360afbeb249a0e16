"""Labs against the real local LXD: start, check, hint, restart, leave, and the API."""

import threading
import time

import pytest
from django.db import connections

from conftest import bearer
from containers import lxd, ssh
from containers import services as container_services
from containers.models import Container, Status
from containers.services import SetupFailed
from labs import services
from labs.models import AttemptStatus, Laboratory, LaboratoryAttempt, LaboratoryTask
from labs.validation import lint_check_script, validate_lab

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]

CHECK_NOTES = 'test -f /home/student/notes.txt || { echo "FAIL: notes.txt is missing"; exit 1; }'
CHECK_SETUP = "grep -qx ready /opt/lab/state"


@pytest.fixture
def lab():
    lab = Laboratory.objects.create(
        title="Notes",
        slug="notes",
        description="Write **notes**.",
        setup_script="mkdir -p /opt/lab && echo ready > /opt/lab/state",
    )
    LaboratoryTask.objects.create(
        lab=lab, order=1, title="Write notes", check_script=CHECK_NOTES,
        hint="Use touch.", solution_script="runuser -u student -- touch /home/student/notes.txt",
    )  # fmt: skip
    LaboratoryTask.objects.create(
        lab=lab, order=2, title="Setup ran", check_script=CHECK_SETUP, solution_script="true"
    )
    return lab


def run_as_student(container, command):
    with container_services.connect(container, user="student") as connection:
        return connection.run(command, timeout=15, max_output=10_000)


def test_task_fails_then_passes_after_student_acts(student, lab):
    attempt = services.start_lab(user=student, lab=lab)
    notes, setup = lab.tasks.all()

    services.check_tasks(attempt=attempt, tasks=[notes])
    first = attempt.results.get(task=notes)
    run_as_student(attempt.container, "touch ~/notes.txt")
    services.check_tasks(attempt=attempt)

    assert (first.passed, first.feedback) == (False, "FAIL: notes.txt is missing")
    assert attempt.results.get(task=notes).passed is True
    assert attempt.results.get(task=setup).passed is True
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED
    assert attempt.finished_at is not None


def test_start_twice_returns_same_attempt(student, lab):
    first = services.start_lab(user=student, lab=lab)
    second = services.start_lab(user=student, lab=lab)

    assert first.pk == second.pk
    assert Container.objects.filter(owner=student).count() == 1


def test_failing_setup_shown_and_container_removed(student, lab):
    lab.setup_script = "echo 'disk full' >&2; exit 4"
    lab.save()

    with pytest.raises(SetupFailed) as failure:
        services.start_lab(user=student, lab=lab)

    assert "The setup script failed" in str(failure.value.message)
    assert "disk full" in str(failure.value.message)
    assert not LaboratoryAttempt.objects.exists()
    assert not Container.objects.live().exists()


def test_ssh_failure_mid_check_keeps_attempt(student, lab):
    attempt = services.start_lab(user=student, lab=lab)
    lxd.stop_instance(attempt.container.name, force=True)

    with pytest.raises(Exception) as failure:
        services.check_tasks(attempt=attempt)
    lxd.start_instance(attempt.container.name)
    ssh.wait_for_ssh(attempt.container.ip_address, timeout=60)
    run_as_student(attempt.container, "touch ~/notes.txt")
    services.check_tasks(attempt=attempt)

    assert type(failure.value).__name__ in {"SSHError", "SSHTimeout"}
    assert attempt.results.filter(passed=True).count() == 2


def test_hint_recorded(student, lab):
    attempt = services.start_lab(user=student, lab=lab)
    notes = lab.tasks.first()

    services.use_hint(attempt=attempt, task=notes)

    assert attempt.results.get(task=notes).hint_used is True


def test_restart_gives_fresh_container(student, lab):
    attempt = services.start_lab(user=student, lab=lab)
    old = attempt.container
    run_as_student(old, "touch ~/notes.txt")
    services.check_tasks(attempt=attempt)

    services.restart_lab(attempt=attempt)

    old.refresh_from_db()
    assert old.status == Status.DELETED
    assert attempt.container.pk != old.pk
    assert not attempt.results.exists()
    assert run_as_student(attempt.container, "test -e ~/notes.txt; echo $?").stdout == b"1\n"


def test_leave_removes_container(student, lab):
    attempt = services.start_lab(user=student, lab=lab)

    services.leave_lab(attempt=attempt)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.LEFT
    assert not lxd.instance_exists(attempt.container.name)


def test_validate_lab_reports_each_step(admin_user, lab):
    broken = LaboratoryTask.objects.create(
        lab=lab, order=3, title="Always passes", check_script="test -d /tmp || true",
        solution_script="true",
    )  # fmt: skip

    report = validate_lab(lab, owner=admin_user)

    notes_report, setup_report, broken_report = report.tasks
    assert notes_report.ok is True
    assert setup_report.failed_before is False  # the setup already made it pass
    assert broken_report.task == broken
    assert broken_report.failed_before is False
    assert broken_report.warnings
    assert report.ok is False
    assert not Container.objects.live().exists()


@pytest.mark.parametrize(
    ("script", "warns"),
    [
        ("test -f /x || true", True),
        ("test -f /x\necho checked", True),
        ("test -f /x\nexit 0", True),
        ("test -f /x", False),
        ("grep -q a /x && test -d /y", False),
        ("", True),
    ],
)
def test_lint_check_script(script, warns):
    assert bool(lint_check_script(script)) is warns


def test_api_flow_and_ownership(student, other_student, lab):
    client = bearer(student)

    listing = client.get("/api/labs").json()
    detail = client.get(f"/api/labs/{lab.pk}").json()
    started = client.post(f"/api/labs/{lab.pk}/start")
    attempt_id = started.json()["id"]
    checked = client.post(
        f"/api/labs/attempts/{attempt_id}/check", {"task": detail["tasks"][1]["id"]}, format="json"
    )
    bad_task = client.post(
        f"/api/labs/attempts/{attempt_id}/check", {"task": 999999}, format="json"
    )

    assert [item["slug"] for item in listing] == ["notes"]
    assert "check_script" not in str(detail)
    assert "solution" not in str(detail)
    assert started.status_code == 201
    assert checked.status_code == 200
    assert [result["passed"] for result in checked.json()["results"]] == [True]
    assert bad_task.status_code == 400
    for method, url in [
        ("get", f"/api/labs/attempts/{attempt_id}"),
        ("post", f"/api/labs/attempts/{attempt_id}/check"),
    ]:
        response = getattr(bearer(other_student), method)(url)
        assert response.status_code == 404


def test_lab_pages(client, student, lab):
    client.force_login(student)

    before = client.get("/labs/notes/")
    client.post("/labs/notes/start/")
    attempt = LaboratoryAttempt.objects.get(user=student)
    page = client.get("/labs/notes/")
    checked = client.post(f"/labs/attempts/{attempt.pk}/check/", HTTP_HX_REQUEST="true")
    hint = client.post(
        f"/labs/attempts/{attempt.pk}/tasks/{lab.tasks.first().pk}/hint/", HTTP_HX_REQUEST="true"
    )

    assert "Start the lab" in before.text
    assert f'data-container-id="{attempt.container_id}"' in page.text
    assert checked.text.lstrip().startswith('<div id="lab-tasks">')
    assert "FAIL: notes.txt is missing" in checked.text
    assert 'data-passed="yes"' in checked.text
    assert "Hint:</strong> <p>Use touch.</p>" in hint.text
    assert "grep -qx ready" not in page.text  # check scripts never reach the page


def test_two_checks_never_overlap(student, lab):
    # The first check takes a lock directory and holds it for a second: a
    # check running at the same time would find it taken and fail. The
    # second task keeps failing, so the attempt stays open for both clicks.
    locking, other = lab.tasks.all()
    locking.check_script = (
        "mkdir /tmp/check-lock || { echo FAIL: overlap; exit 1; }; sleep 1; rmdir /tmp/check-lock"
    )
    locking.save()
    other.check_script = "false"
    other.save()
    attempt = services.start_lab(user=student, lab=lab)
    outcomes = []

    def click_check():
        try:
            services.check_tasks(attempt=attempt)
            outcomes.append(attempt.results.get(task=locking).passed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click_check) for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [True, True]
    assert time.monotonic() - started >= 2  # the two checks ran one after the other
