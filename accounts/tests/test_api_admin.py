import pytest

from accounts.models import User
from conftest import bearer, make_user

pytestmark = pytest.mark.django_db

USERS = "/api/admin/users"


def user_url(user_id):
    return f"{USERS}/{user_id}"


def new_user(**overrides):
    data = {
        "username": "teacher",
        "email": "teacher@example.test",
        "password": "a-long-unusual-passphrase",
        "full_name": "Kamola Yusupova",
        "role": "instructor",
    }
    data.update(overrides)
    return data


def test_list_users_paginated(admin_user, student, instructor):
    for number in range(55):
        make_user(f"learner{number:02d}")

    first = bearer(admin_user).get(USERS)
    second = bearer(admin_user).get(first.json()["next"])

    assert first.status_code == 200
    assert first.json()["count"] == 58
    assert len(first.json()["results"]) == 50
    assert len(second.json()["results"]) == 8
    assert "password" not in first.json()["results"][0]


def test_list_users_filters_by_role(admin_user, student, other_student, instructor):
    response = bearer(admin_user).get(USERS, {"role": "student"})

    assert response.status_code == 200
    assert [user["username"] for user in response.json()["results"]] == ["student", "other"]


def test_list_users_rejects_unknown_role(admin_user):
    response = bearer(admin_user).get(USERS, {"role": "wizard"})

    assert response.status_code == 400
    assert response.json()["fields"]["role"] == ['"wizard" is not a valid choice.']


@pytest.mark.parametrize("role_fixture", ["student", "instructor"])
def test_admin_endpoints_forbid_non_admins(request, role_fixture, other_student):
    client = bearer(request.getfixturevalue(role_fixture))

    responses = [
        client.get(USERS),
        client.post(USERS, new_user(), format="json"),
        client.delete(user_url(other_student.pk)),
    ]

    for response in responses:
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Only administrators may use this endpoint.",
            "code": "permission_denied",
        }
    assert User.objects.filter(pk=other_student.pk).exists()
    assert not User.objects.filter(username="teacher").exists()


def test_admin_endpoints_need_token(api, student):
    assert api.get(USERS).status_code == 401
    assert api.post(USERS, new_user(), format="json").status_code == 401
    assert api.delete(user_url(student.pk)).status_code == 401


def test_create_user_with_role(admin_user):
    response = bearer(admin_user).post(USERS, new_user(), format="json")

    assert response.status_code == 201
    assert response.json()["role"] == "instructor"
    teacher = User.objects.get(username="teacher")
    assert teacher.is_staff
    assert not teacher.is_superuser
    assert teacher.groups.filter(name="Instructors").exists()


def test_create_admin(admin_user):
    response = bearer(admin_user).post(
        USERS, new_user(username="boss", email="boss@example.test", role="admin"), format="json"
    )

    assert response.status_code == 201
    assert User.objects.get(username="boss").is_superuser


def test_create_user_validation(admin_user, student):
    response = bearer(admin_user).post(
        USERS, new_user(username="student", role="pilot", password="1"), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "role"}
    assert User.objects.count() == 2


def test_delete_user(admin_user, student):
    response = bearer(admin_user).delete(user_url(student.pk))

    assert response.status_code == 204
    assert not User.objects.filter(pk=student.pk).exists()


def test_delete_unknown_user(admin_user):
    response = bearer(admin_user).delete(user_url(999999))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_admin_cannot_delete_self(admin_user):
    response = bearer(admin_user).delete(user_url(admin_user.pk))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "You cannot delete your own account. Ask another administrator to do it.",
        "code": "cannot_delete_self",
    }
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_deactivated_admin_forbidden(admin_user):
    client = bearer(admin_user)
    admin_user.is_active = False
    admin_user.save()

    response = client.get(USERS)

    assert response.status_code == 403
    assert response.json()["code"] == "account_deactivated"
