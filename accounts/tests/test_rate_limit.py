from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_PAGE = "/accounts/login/"
LOGIN_API = "/api/auth/login"


def fail_page_login(client, username, ip="10.0.0.1"):
    return client.post(LOGIN_PAGE, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_page_locks_username_after_failures(client, student):
    for _ in range(2):
        assert fail_page_login(client, "student").status_code == 200

    locked = fail_page_login(client, "student")
    correct = client.post(
        LOGIN_PAGE, {"username": "student", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )

    assert locked.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes" in locked.text
    assert locked["Retry-After"] == "900"
    # Another address with the right password is still locked out: the lock
    # is on the username as well as on the address.
    assert correct.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_page_locks_ip_across_usernames(client, student, other_student):
    for username in ["a", "b", "c"]:
        fail_page_login(client, username, ip="10.0.0.7")

    same_ip = client.post(
        LOGIN_PAGE, {"username": "other", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    other_ip = client.post(
        LOGIN_PAGE, {"username": "other", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8"
    )

    assert same_ip.status_code == 429
    assert other_ip.status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_api_login_locked_out(api, student):
    for _ in range(3):
        api.post(
            LOGIN_API,
            {"username": "student", "password": "wrong"},
            format="json",
            REMOTE_ADDR="10.0.0.2",
        )

    response = api.post(
        LOGIN_API,
        {"username": "student", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.0.3",
    )

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["retry_after"] == 900
    assert body["detail"].startswith("Too many failed logins. Try again in 15 minutes")
    assert "access" not in body


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_ends_after_cool_off(api, student):
    for _ in range(3):
        api.post(LOGIN_API, {"username": "student", "password": "wrong"}, format="json")

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = api.post(LOGIN_API, {"username": "student", "password": PASSWORD}, format="json")

    assert response.status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_success_resets_failure_count(api, student):
    for _ in range(2):
        api.post(LOGIN_API, {"username": "student", "password": "wrong"}, format="json")
    api.post(LOGIN_API, {"username": "student", "password": PASSWORD}, format="json")
    for _ in range(2):
        api.post(LOGIN_API, {"username": "student", "password": "wrong"}, format="json")

    response = api.post(LOGIN_API, {"username": "student", "password": PASSWORD}, format="json")

    assert response.status_code == 200
