"""LABSITE_LANG in lab checks against the real local LXD: pages, API and an admin's check."""

import pytest
from django.conf import settings

from conftest import bearer
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def lab():
    lab = Laboratory.objects.create(title="Language", slug="language")
    # The check fails, so the lab never completes and can be checked again.
    LaboratoryTask.objects.create(
        lab=lab, order=1, title="Say the language", check_script='echo "lang=$LABSITE_LANG"; false'
    )
    return lab


def feedback(attempt):
    return LaboratoryTaskResult.objects.get(attempt=attempt).feedback


def test_check_gets_student_language(client, student, admin_user, lab):
    student.preferred_language = "ru"
    student.save()
    client.force_login(student)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uz"
    client.post("/labs/language/start/")
    attempt = LaboratoryAttempt.objects.get(user=student)

    client.post(f"/labs/attempts/{attempt.pk}/check/")
    from_page = feedback(attempt)
    bearer(student).post(
        f"/api/labs/attempts/{attempt.pk}/check", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    from_api = feedback(attempt)
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(f"/labs/attempts/{attempt.pk}/check/")
    from_admin = feedback(attempt)

    assert from_page == "lang=uz"
    assert from_api == "lang=en"
    assert from_admin == "lang=ru"
