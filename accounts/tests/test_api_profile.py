import pytest

from conftest import bearer

pytestmark = pytest.mark.django_db

PROFILE = "/api/profile"


def test_profile_shows_own_data(student):
    response = bearer(student).get(PROFILE)

    assert response.status_code == 200
    assert response.json() == {
        "id": student.pk,
        "username": "student",
        "email": "student@example.test",
        "full_name": "Dilnoza Karimova",
        "role": "student",
        "preferred_language": "",
    }


def test_profile_patch_changes_allowed_fields(student):
    response = bearer(student).patch(
        PROFILE,
        {"full_name": "Dilnoza K.", "email": "New@Example.test", "preferred_language": "uz",
         "role": "admin", "username": "boss"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    student.refresh_from_db()
    assert student.full_name == "Dilnoza K."
    assert student.email == "new@example.test"
    assert student.preferred_language == "uz"
    assert student.role == "student"
    assert student.username == "student"


def test_profile_patch_rejects_bad_values(student, other_student):
    response = bearer(student).patch(
        PROFILE, {"email": "other@example.test", "preferred_language": "fr"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["email"] == ["A user with that email address already exists."]
    assert response.json()["fields"]["preferred_language"] == ['"fr" is not a valid choice.']
    student.refresh_from_db()
    assert student.email == "student@example.test"


def test_profile_needs_token(api, db):
    assert api.get(PROFILE).status_code == 401
    assert api.patch(PROFILE, {}, format="json").status_code == 401
