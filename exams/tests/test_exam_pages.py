"""Exam pages through the Django test client, across the shared cast of users.

Attempts and results are made in the database, except in the tests marked
lxd: those start an exam against the real local LXD. Starting runs the
service in a worker thread with its own database connection, so those
tests and the start refusals commit their rows (transaction=True).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from containers import lxd
from containers.models import Container, Kind, Status, name_prefix
from exams.models import AttemptStatus, Exam, ExamAttempt, ExamTask, ExamTaskResult, percent_of

# In every check and solution script: no page may show it.
SCRIPT_MARKER = "script-marker-7c1e9a"
NOW = datetime(2030, 1, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
def exam(db):
    exam = Exam.objects.create(
        title="Linux basics", slug="linux-basics", description="Work **alone**.",
        duration_minutes=60, passing_score=70, max_attempts=2,
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=1, title="Make done.txt", points=3,
        description="Create `/home/student/done.txt`.",
        check_script=f"# {SCRIPT_MARKER}\ntest -f /home/student/done.txt",
        solution_script=f"# {SCRIPT_MARKER}\ntouch /home/student/done.txt",
    )  # fmt: skip
    ExamTask.objects.create(
        exam=exam, order=2, title="Add bob", points=2, description="Create the user `bob`.",
        check_script=f"# {SCRIPT_MARKER}\nid bob",
        solution_script=f"# {SCRIPT_MARKER}\nuseradd bob",
    )  # fmt: skip
    return exam


def add_attempt(user, exam, *, minutes_left=30, **fields):
    now = timezone.now()
    fields.setdefault("deadline", now + timedelta(minutes=minutes_left))
    return ExamAttempt.objects.create(
        user=user, exam=exam, started_at=now - timedelta(minutes=10), **fields
    )


def add_results(attempt, passed_titles, *, round_number=1, feedback="FAIL: not done"):
    """Store one grading round in which the tasks titled passed_titles passed."""
    tasks = list(attempt.exam.tasks.all())
    for task in tasks:
        passed = task.title in passed_titles
        ExamTaskResult.objects.create(
            attempt=attempt, task=task, round=round_number, passed=passed,
            points_awarded=task.points if passed else 0, feedback="" if passed else feedback,
        )  # fmt: skip
    attempt.score = sum(task.points for task in tasks if task.title in passed_titles)
    attempt.max_score = sum(task.points for task in tasks)
    attempt.percent = percent_of(attempt.score, attempt.max_score)
    attempt.passed = attempt.percent >= attempt.exam.passing_score
    attempt.round = round_number
    attempt.status = AttemptStatus.GRADED
    attempt.graded_at = timezone.now()
    attempt.save()
    return attempt


def add_graded_attempt(user, exam, passed_titles, **fields):
    attempt = add_attempt(
        user, exam, minutes_left=-5, submitted_at=timezone.now(), status=AttemptStatus.GRADED,
        **fields,
    )  # fmt: skip
    return add_results(attempt, passed_titles)


def running_container(user):
    """Return a container row that the pages treat as running; no LXD instance is behind it."""
    return Container.objects.create(
        owner=user, kind=Kind.EXAM, image="test-image", status=Status.RUNNING
    )


def attempt_url(attempt):
    return f"/exams/attempts/{attempt.pk}/"


def results_url(attempt):
    return f"/exams/attempts/{attempt.pk}/results/"


def submit_url(attempt):
    return f"/exams/attempts/{attempt.pk}/submit/"


def test_pages_require_login(client, student, exam):
    attempt = add_attempt(student, exam)

    for url in ["/exams/", "/exams/linux-basics/", attempt_url(attempt), results_url(attempt)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_exam_list_shows_facts_and_links(client, student, other_student, exam):
    network = Exam.objects.create(
        title="Networking", slug="networking", duration_minutes=1,
        available_from=NOW, available_until=NOW + timedelta(hours=2),
    )  # fmt: skip
    Exam.objects.create(title="Draft exam", slug="draft", duration_minutes=30, is_active=False)
    running = add_attempt(student, exam)
    graded = add_graded_attempt(student, network, [])
    add_attempt(other_student, network)
    client.force_login(student)

    page = client.get("/exams/").text

    assert "Draft exam" not in page
    assert page.index("Linux basics") < page.index("Networking")
    assert "60 minutes" in page
    assert "1 minute<" in page
    assert "70%" in page
    assert "at any time" in page
    assert "from Jan. 5, 2030, 2:30 p.m. until Jan. 5, 2030, 4:30 p.m." in page
    assert "1 of 2 used, 1 left" in page
    assert "1 of 1 used, 0 left" in page
    assert f'href="{attempt_url(running)}">Continue your attempt<' in page
    assert f'href="{results_url(graded)}">Results of your latest attempt<' in page


def test_exam_list_when_empty(client, student):
    client.force_login(student)

    page = client.get("/exams/").text

    assert "No exams are open yet." in page


def test_navigation_links_exams(client, student):
    client.force_login(student)

    page = client.get("/").text

    assert 'href="/exams/">Exams<' in page


def test_detail_shows_rules_and_start(client, student, exam):
    client.force_login(student)

    page = client.get("/exams/linux-basics/").text

    assert "Work <strong>alone</strong>." in page
    assert "This exam has 2 tasks." in page
    assert "0 of 2 used, 2 left" in page
    assert "You then have 60 minutes to solve the tasks" in page
    assert 'action="/exams/linux-basics/start/"' in page
    assert ">Start the exam<" in page
    # The task texts wait for the exam page.
    assert "Make done.txt" not in page


def test_inactive_exam_is_404(client, student, exam):
    exam.is_active = False
    exam.save()
    client.force_login(student)

    assert client.get("/exams/linux-basics/").status_code == 404
    assert client.get("/exams/no-such-exam/").status_code == 404
    assert client.post("/exams/linux-basics/start/").status_code == 404


def test_detail_shows_why_start_is_refused(client, student, exam):
    cases = [
        (
            {"available_from": NOW + timedelta(days=1)},
            "This exam opens at Jan. 6, 2030, 2:30 p.m., so it cannot be started yet.",
        ),
        (
            {"available_from": NOW - timedelta(days=2), "available_until": NOW - timedelta(days=1)},
            "This exam has closed.",
        ),
    ]

    with time_machine.travel(NOW, tick=False):
        client.force_login(student)
        for window, reason in cases:
            Exam.objects.filter(pk=exam.pk).update(**window)
            page = client.get("/exams/linux-basics/").text

            assert f'<p class="errors" data-start-refused>{reason}</p>' in page
            assert ">Start the exam<" not in page


def test_detail_hides_tasks_before_window_opens(client, student, exam):
    exam.available_from = timezone.now() + timedelta(hours=1)
    exam.save()
    client.force_login(student)

    page = client.get("/exams/linux-basics/").text

    assert "This exam has" not in page


def test_detail_refuses_start_without_attempts_left(client, student, exam):
    add_graded_attempt(student, exam, ["Make done.txt"])
    add_graded_attempt(student, exam, ["Make done.txt", "Add bob"])
    client.force_login(student)

    page = client.get("/exams/linux-basics/").text

    assert "You have used all 2 attempts at this exam." in page
    assert ">Start the exam<" not in page
    assert "2 of 2 used, 0 left" in page


def test_detail_refuses_exam_without_tasks(client, student):
    Exam.objects.create(title="Empty", slug="empty", duration_minutes=30)
    client.force_login(student)

    page = client.get("/exams/empty/").text

    assert "This exam has no tasks yet." in page
    assert ">Start the exam<" not in page


def test_detail_lists_past_attempts_newest_first(client, student, exam):
    first = add_graded_attempt(student, exam, ["Make done.txt"])
    second = add_graded_attempt(student, exam, ["Make done.txt", "Add bob"])
    later = first.started_at + timedelta(hours=1)
    ExamAttempt.objects.filter(pk=second.pk).update(started_at=later)
    client.force_login(student)

    page = client.get("/exams/linux-basics/").text

    assert page.index(results_url(second)) < page.index(results_url(first))
    assert "3 / 5 (60%)" in page
    assert "5 / 5 (100%)" in page


def test_detail_links_running_attempt(client, student, exam):
    running = add_attempt(student, exam)
    client.force_login(student)

    page = client.get("/exams/linux-basics/").text

    assert "You have an attempt at this exam in progress." in page
    assert f'href="{attempt_url(running)}"' in page
    assert ">Start the exam<" not in page
    assert "Your attempts" not in page


@pytest.mark.django_db(transaction=True)
def test_start_refused_without_container(client, student, exam):
    exam.available_from = timezone.now() - timedelta(days=2)
    exam.available_until = timezone.now() - timedelta(days=1)
    exam.save()
    client.force_login(student)

    response = client.post("/exams/linux-basics/start/")

    assert response.status_code == 200
    assert response.text.count("This exam has closed.") == 1
    assert '<p class="errors" data-start-refused>This exam has closed.</p>' in response.text
    assert not ExamAttempt.objects.exists()
    assert not Container.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_start_with_running_attempt_redirects(client, student, exam):
    running = add_attempt(student, exam)
    client.force_login(student)

    response = client.post("/exams/linux-basics/start/")

    assert response.status_code == 302
    assert response["Location"] == attempt_url(running)
    assert ExamAttempt.objects.count() == 1
    assert not Container.objects.exists()


def test_start_needs_post(client, student, exam):
    client.force_login(student)

    assert client.get("/exams/linux-basics/start/").status_code == 405


@pytest.mark.lxd
@pytest.mark.usefixtures("lxd_cleanup")
@pytest.mark.django_db(transaction=True)
def test_failed_start_leaves_nothing(client, student, exam):
    exam.setup_script = "echo 'no space left on /srv' >&2; exit 4"
    exam.save()
    instances_before = set(lxd.list_instances(name_prefix()))
    client.force_login(student)

    response = client.post("/exams/linux-basics/start/")

    assert response.status_code == 200
    assert "The setup script failed, so the container cannot be used." in response.text
    assert "no space left on /srv" in response.text
    assert '<p class="errors" role="alert">The setup script failed' in response.text
    assert ">Start the exam<" in response.text
    assert not ExamAttempt.objects.exists()
    assert not Container.objects.live().exists()
    assert set(lxd.list_instances(name_prefix())) == instances_before


def test_attempt_page_shows_countdown(client, student, exam):
    with time_machine.travel(NOW, tick=False):
        container = running_container(student)
        attempt = add_attempt(
            student, exam, container=container, deadline=NOW + timedelta(minutes=45, seconds=30)
        )
        client.force_login(student)
        page = client.get(attempt_url(attempt)).text

    assert 'data-seconds-left="2730"' in page
    assert "data-exam-clock>45:30</span>" in page
    assert '(ends at <time datetime="2030-01-05T15:15:30+00:00">3:15 p.m.</time>)' in page
    for seconds in [1800, 900, 300]:
        assert f'data-exam-warning="{seconds}" hidden>' in page
    assert "Less than 5 minutes left." in page
    assert f'data-container-id="{container.pk}"' in page
    assert page.index("Make done.txt") < page.index("Add bob")
    assert "Create <code>/home/student/done.txt</code>." in page
    assert "3 points" in page
    assert "2 points" in page
    assert page.count(f'action="{submit_url(attempt)}"') == 2
    assert "<dialog" in page
    assert 'hx-trigger="exam-time-over from:body"' in page


def test_attempt_page_clock_over_an_hour(client, student, exam):
    with time_machine.travel(NOW, tick=False):
        attempt = add_attempt(student, exam, deadline=NOW + timedelta(hours=2, seconds=5))
        client.force_login(student)
        page = client.get(attempt_url(attempt)).text

    assert "data-exam-clock>2:00:05</span>" in page
    assert "Your exam machine is not running." in page


def test_attempt_page_after_deadline_polls(client, student, exam):
    attempt = add_attempt(student, exam, container=running_container(student), minutes_left=-1)
    client.force_login(student)

    page = client.get(attempt_url(attempt)).text
    poll = client.get(attempt_url(attempt), HTTP_HX_REQUEST="true")

    assert 'data-seconds-left="0"' in page
    assert "The terminal is closed because the time is over." in page
    assert "data-container-id" not in page
    assert poll.status_code == 200
    assert poll.text.lstrip().startswith('<div id="exam-time-over"')
    assert 'role="status" hx-trigger="every 3s"' in poll.text
    assert "The time is over." in poll.text


def test_time_over_poll_reloads_after_extension(client, student, exam):
    attempt = add_attempt(student, exam, minutes_left=10)
    client.force_login(student)

    poll = client.get(attempt_url(attempt), HTTP_HX_REQUEST="true")

    assert poll.status_code == 200
    assert poll["HX-Refresh"] == "true"


def test_submitted_attempt_goes_to_results(client, student, exam):
    graded = add_graded_attempt(student, exam, ["Add bob"])
    grading = add_attempt(student, exam, minutes_left=-1, status=AttemptStatus.GRADING)
    client.force_login(student)

    response = client.get(attempt_url(graded))
    poll = client.get(attempt_url(grading), HTTP_HX_REQUEST="true")

    assert response.status_code == 302
    assert response["Location"] == results_url(graded)
    assert poll.status_code == 200
    assert poll["HX-Redirect"] == results_url(grading)


def test_attempt_pages_hidden_from_others(client, student, other_student, instructor, exam):
    running = add_attempt(student, exam)
    graded = add_graded_attempt(student, exam, ["Add bob"])

    for user in [other_student, instructor]:
        client.force_login(user)
        assert client.get(attempt_url(running)).status_code == 404, user
        assert client.get(results_url(graded)).status_code == 404, user
        assert client.post(submit_url(running)).status_code == 404, user
    client.force_login(student)
    assert client.get("/exams/attempts/999999/").status_code == 404
    assert client.get("/exams/attempts/999999/results/").status_code == 404


def test_admin_sees_attempt_read_only(client, student, admin_user, exam):
    running = add_attempt(student, exam, container=running_container(student))
    graded = add_graded_attempt(student, exam, ["Add bob"])
    client.force_login(admin_user)

    page = client.get(attempt_url(running)).text
    results = client.get(results_url(graded))
    submitted = client.post(submit_url(running))

    assert "This attempt belongs to student." in page
    assert "The terminal is shown to the student only." in page
    assert "data-container-id" not in page
    assert f'action="{submit_url(running)}"' not in page
    assert results.status_code == 200
    assert "2 of 5 points (40%)" in results.text
    assert submitted.status_code == 404
    assert ExamAttempt.objects.get(pk=running.pk).status == AttemptStatus.IN_PROGRESS


def test_results_show_current_round(client, student, exam):
    attempt = add_graded_attempt(student, exam, [], auto_submitted=True)
    add_results(attempt, ["Make done.txt"], round_number=2, feedback="FAIL: bob is missing")
    client.force_login(student)

    page = client.get(results_url(attempt)).text

    assert "3 of 5 points (60%)" in page
    assert 'data-passed="no">Not passed<' in page
    assert "The passing score is 70%." in page
    assert "the platform submitted your work as it was at the deadline" in page
    assert "An instructor had this attempt graded again" in page
    done, bob = exam.tasks.all()
    assert f'id="task-{done.pk}" data-passed="yes"' in page
    assert f'id="task-{bob.pk}" data-passed="no"' in page
    assert "3 of 3 points" in page
    assert "0 of 2 points" in page
    assert '<pre class="feedback">FAIL: bob is missing</pre>' in page
    assert "FAIL: not done" not in page
    assert "hx-trigger" not in page


def test_results_of_passed_attempt(client, student, exam):
    attempt = add_graded_attempt(student, exam, ["Make done.txt", "Add bob"])
    client.force_login(student)

    page = client.get(results_url(attempt)).text

    assert "5 of 5 points (100%)" in page
    assert 'data-passed="yes">Passed<' in page
    assert "data-auto-submitted" not in page
    assert "graded again" not in page


def test_results_poll_while_grading(client, student, exam, settings):
    settings.EXAM_GRADING_MAX_FAILURES = 3
    grading = add_attempt(student, exam, minutes_left=-1, status=AttemptStatus.GRADING)
    failed = add_attempt(
        student, exam, minutes_left=-1, status=AttemptStatus.ERROR, grading_failures=1
    )
    given_up = add_attempt(
        student, exam, minutes_left=-1, status=AttemptStatus.ERROR, grading_failures=3
    )
    client.force_login(student)

    grading_page = client.get(results_url(grading)).text
    grading_poll = client.get(results_url(grading), HTTP_HX_REQUEST="true").text
    failed_page = client.get(results_url(failed)).text
    given_up_page = client.get(results_url(given_up)).text

    assert "Your work is being graded." in grading_page
    assert 'hx-trigger="every 3s"' in grading_page
    assert grading_poll.lstrip().startswith('<section id="exam-results"')
    assert "<html" not in grading_poll
    assert "The platform tries again shortly" in failed_page
    assert 'hx-trigger="every 3s"' in failed_page
    assert "Grading your attempt failed 3 times, and the platform does not try again." in (
        given_up_page
    )
    assert "hx-trigger" not in given_up_page


def test_results_poll_shows_grade(client, student, exam):
    attempt = add_attempt(student, exam, minutes_left=-1, status=AttemptStatus.GRADING)
    client.force_login(student)
    add_results(attempt, ["Add bob"])

    poll = client.get(results_url(attempt), HTTP_HX_REQUEST="true").text

    assert 'data-attempt-status="graded"' in poll
    assert "2 of 5 points (40%)" in poll
    assert "hx-trigger" not in poll


def test_results_of_running_attempt(client, student, exam):
    running = add_attempt(student, exam)
    client.force_login(student)

    response = client.get(results_url(running))
    poll = client.get(results_url(running), HTTP_HX_REQUEST="true")

    assert response.status_code == 302
    assert response["Location"] == attempt_url(running)
    assert poll["HX-Redirect"] == attempt_url(running)


def test_overdue_attempt_results_wait(client, student, exam):
    overdue = add_attempt(student, exam, minutes_left=-1)
    client.force_login(student)

    page = client.get(results_url(overdue)).text

    assert "The time is over. The platform submits and grades your work" in page
    assert 'hx-trigger="every 3s"' in page


def test_no_page_shows_scripts(client, student, admin_user, exam):
    running = add_attempt(student, exam, container=running_container(student))
    graded = add_graded_attempt(student, exam, ["Add bob"])
    urls = [
        "/exams/",
        "/exams/linux-basics/",
        attempt_url(running),
        results_url(graded),
    ]

    for user in [student, admin_user]:
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert SCRIPT_MARKER not in response.text, url
            assert "useradd bob" not in response.text, url
