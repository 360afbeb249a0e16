"""LABSITE_LANG in exam grading against the real local LXD: submit, deadline and regrade."""

import pytest
from django.conf import settings
from django.utils import timezone

from exams import services, upkeep
from exams.models import Exam, ExamAttempt, ExamTask

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def exam():
    exam = Exam.objects.create(title="Language", slug="language", duration_minutes=30)
    ExamTask.objects.create(
        exam=exam, order=1, title="Say the language", check_script='echo "lang=$LABSITE_LANG"'
    )
    return exam


def feedback(attempt):
    attempt.refresh_from_db()
    return [result.feedback for result in attempt.current_results()]


def test_submit_and_regrade_languages(client, student, instructor, exam):
    student.preferred_language = "uz"
    student.save()
    client.force_login(student)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    client.post("/exams/language/start/")
    attempt = ExamAttempt.objects.get(user=student)

    client.post(f"/exams/attempts/{attempt.pk}/submit/")
    submitted = feedback(attempt)
    services.regrade_attempt(attempt=attempt, requested_by=instructor)
    regraded = feedback(attempt)

    assert submitted == ["lang=ru"]
    assert regraded == ["lang=uz"]


def test_deadline_grading_uses_preferred_language(student, exam):
    student.preferred_language = "ru"
    student.save()
    attempt = services.start_exam(user=student, exam=exam)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now())

    upkeep.run()

    assert feedback(attempt) == ["lang=ru"]
