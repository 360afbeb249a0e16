from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"
PASSWORD_CHANGE = "/api/auth/password"


def registration(**overrides):
    data = {
        "username": "newcomer",
        "email": "newcomer@example.test",
        "password": "a-long-unusual-passphrase",
        "full_name": "Aziz Rahimov",
    }
    data.update(overrides)
    return data


def login(api, username="student", password=PASSWORD):
    return api.post(LOGIN, {"username": username, "password": password}, format="json")


def test_register_creates_student(api):
    response = api.post(REGISTER, registration(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "newcomer"
    assert body["email"] == "newcomer@example.test"
    assert body["full_name"] == "Aziz Rahimov"
    assert body["role"] == "student"
    assert "password" not in body
    assert not any("pbkdf2" in str(value) or "md5" in str(value) for value in body.values())
    user = User.objects.get(username="newcomer")
    assert user.check_password("a-long-unusual-passphrase")
    assert not user.is_staff


def test_register_full_name_optional(api):
    data = registration()
    del data["full_name"]

    response = api.post(REGISTER, data, format="json")

    assert response.status_code == 201
    assert response.json()["full_name"] == ""


def test_register_ignores_role_field(api):
    response = api.post(REGISTER, registration(role="admin"), format="json")

    assert response.status_code == 201
    assert response.json()["role"] == "student"
    assert not User.objects.get(username="newcomer").is_superuser


def test_register_duplicate_username(api, student):
    response = api.post(REGISTER, registration(username="student"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["username"] == ["A user with that username already exists."]
    assert User.objects.count() == 1


def test_register_duplicate_email_any_case(api, student):
    response = api.post(REGISTER, registration(email="STUDENT@Example.Test"), format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["email"] == ["A user with that email address already exists."]


def test_register_invalid_email(api):
    response = api.post(REGISTER, registration(email="not-an-email"), format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["email"] == ["Enter a valid email address."]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1x", "This password is too short. It must contain at least 8 characters."),
        ("password", "This password is too common."),
        ("4839201746", "This password is entirely numeric."),
        ("newcomer1", "The password is too similar to the username."),
    ],
)
def test_register_rejects_weak_password(api, password, message):
    response = api.post(REGISTER, registration(password=password), format="json")

    assert response.status_code == 400
    assert message in response.json()["fields"]["password"]
    assert not User.objects.exists()


def test_register_missing_fields(api):
    response = api.post(REGISTER, {}, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"username", "email", "password"}
    assert fields["username"] == ["This field is required."]


def test_login_returns_token_pair(api, student):
    response = login(api)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type"}
    assert body["token_type"] == "bearer"
    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["username"] == "student"


def test_login_by_email(api, student):
    response = login(api, username="Student@Example.test")

    assert response.status_code == 200
    assert "access" in response.json()


def test_login_bad_password(api, student):
    response = login(api, password="wrong")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }


def test_login_unknown_user(api, db):
    response = login(api, username="nobody")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_deactivated_user(api, student):
    student.is_active = False
    student.save()

    response = login(api)

    assert response.status_code == 401


def test_me_requires_token(api, db):
    response = api.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_rejects_garbage_token(api, db):
    response = api.get(ME, HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_me_shows_role(student, instructor, admin_user):
    for user, role in [(student, "student"), (instructor, "instructor"), (admin_user, "admin")]:
        response = bearer(user).get(ME)

        assert response.status_code == 200
        assert response.json()["role"] == role


def test_access_token_expires(api, student):
    tokens = login(api).json()

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_gives_working_access_token(api, student):
    tokens = login(api).json()

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
        me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert me.status_code == 200


def test_refresh_token_expires(api, student):
    tokens = login(api).json()

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_rejects_access_token(api, student):
    tokens = login(api).json()

    response = api.post(REFRESH, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_access_token_not_accepted_as_refresh_in_header(api, student):
    tokens = login(api).json()

    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}")

    assert response.status_code == 401


def test_deactivated_after_issue_is_forbidden(api, student):
    tokens = login(api).json()
    student.is_active = False
    student.save()

    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    refreshed = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert me.status_code == 403
    assert me.json()["code"] == "account_deactivated"
    assert refreshed.status_code == 403
    assert "access" not in refreshed.json()


def test_deleted_user_token_rejected(api, student):
    tokens = login(api).json()
    student.delete()

    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_password_change_revokes_old_tokens(api, student):
    old = login(api).json()
    client = bearer(student)

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password": "a-different-long-passphrase"},
        format="json",
    )

    assert response.status_code == 200
    new = response.json()
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {old['access']}").status_code == 401
    refreshed = api.post(REFRESH, {"refresh": old["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "token_revoked"
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {new['access']}").status_code == 200
    assert api.post(REFRESH, {"refresh": new["refresh"]}, format="json").status_code == 200


def test_password_change_wrong_old_password(student):
    response = bearer(student).post(
        PASSWORD_CHANGE,
        {"old_password": "wrong", "new_password": "a-different-long-passphrase"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["old_password"] == ["The old password is wrong."]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_password_change_weak_new_password(student):
    response = bearer(student).post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert "This password is entirely numeric." in response.json()["fields"]["new_password"]


def test_schema_and_docs_served(api, db):
    schema = api.get("/api/schema/")
    docs = api.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/auth/login" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()
