"""The profile page (name, email, preferred language) and the password change page."""

import pytest
from django.conf import settings

from conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
NEW_PASSWORD = "a-different-long-passphrase"


def profile_form(**overrides):
    data = {"full_name": "Dilnoza K.", "email": "student@example.test", "preferred_language": ""}
    data.update(overrides)
    return data


def password_form(old=PASSWORD, new=NEW_PASSWORD, repeat=None):
    return {"old_password": old, "new_password1": new, "new_password2": repeat or new}


def test_profile_page_shows_current_values(client, student):
    student.preferred_language = "ru"
    student.save()
    client.force_login(student)

    page = client.get("/accounts/profile/").text

    assert "<dd>student</dd>" in page
    assert "<dd>Student</dd>" in page
    assert 'name="full_name" value="Dilnoza Karimova"' in page
    assert 'name="email" value="student@example.test"' in page
    assert '<option value="ru" selected>Russian</option>' in page
    assert '<option value="">Browser default</option>' in page
    assert 'href="/accounts/password/"' in page


@pytest.mark.parametrize(
    ("fixture", "role"),
    [("student", "student"), ("instructor", "instructor"), ("admin_user", "admin")],
)
def test_profile_saved_for_every_role(client, request, fixture, role):
    user = request.getfixturevalue(fixture)
    client.force_login(user)

    response = client.post(
        "/accounts/profile/", profile_form(email=f"{user.username}-new@example.test")
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Dilnoza K."
    assert user.email == f"{user.username}-new@example.test"
    assert user.role == role


def test_profile_ignores_role_and_username(client, student):
    client.force_login(student)

    client.post("/accounts/profile/", profile_form(role="admin", username="boss"))

    student.refresh_from_db()
    assert student.role == "student"
    assert student.username == "student"


def test_profile_save_shows_message(client, student):
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(), follow=True)

    assert "Your profile was saved." in response.text


def test_profile_rejects_missing_email(client, student):
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(email=""))

    assert response.status_code == 200
    assert "This field is required." in response.text
    student.refresh_from_db()
    assert student.full_name == "Dilnoza Karimova"


def test_profile_rejects_unknown_language(client, student):
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(preferred_language="fr"))

    assert response.status_code == 200
    assert "Select a valid choice. fr is not one of the available choices." in response.text
    student.refresh_from_db()
    assert student.preferred_language == ""


def test_profile_language_switches_pages(client, student):
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(preferred_language="ru"))
    page = client.get("/accounts/profile/").text

    assert response.cookies[LANGUAGE_COOKIE].value == "ru"
    assert '<html lang="ru">' in page


def test_profile_browser_default_deletes_cookie(client, student):
    student.preferred_language = "ru"
    student.save()
    client.cookies[LANGUAGE_COOKIE] = "ru"
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(preferred_language=""))
    page = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en").text

    assert response.cookies[LANGUAGE_COOKIE].value == ""
    assert response.cookies[LANGUAGE_COOKIE]["max-age"] == 0
    assert '<html lang="en">' in page


def test_profile_unchanged_language_keeps_cookie(client, student):
    client.cookies[LANGUAGE_COOKIE] = "uz"
    client.force_login(student)

    response = client.post("/accounts/profile/", profile_form(full_name="New Name"))

    assert LANGUAGE_COOKIE not in response.cookies
    assert client.cookies[LANGUAGE_COOKIE].value == "uz"


def test_profile_htmx_save_reloads_page(client, student):
    client.force_login(student)

    response = client.post(
        "/accounts/profile/", profile_form(preferred_language="uz"), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/profile/"
    assert response.cookies[LANGUAGE_COOKIE].value == "uz"


def test_login_applies_preferred_language(client, student):
    student.preferred_language = "uz"
    student.save()

    response = client.post("/accounts/login/", {"username": "student", "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies[LANGUAGE_COOKIE].value == "uz"


def test_login_without_preference_keeps_cookie(client, student):
    client.cookies[LANGUAGE_COOKIE] = "ru"

    response = client.post("/accounts/login/", {"username": "student", "password": PASSWORD})

    assert response.status_code == 302
    assert LANGUAGE_COOKIE not in response.cookies


def test_password_page_requires_login(client, db):
    response = client.get("/accounts/password/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/"


def test_password_page_asks_old_password(client, student):
    client.force_login(student)

    page = client.get("/accounts/password/").text

    assert 'name="old_password"' in page
    assert 'name="new_password1"' in page
    assert 'name="new_password2"' in page


def test_password_change_sets_new_password(client, student):
    client.force_login(student)

    response = client.post("/accounts/password/", password_form(), follow=True)

    assert response.redirect_chain == [("/accounts/profile/", 302)]
    assert "Your password was changed. Your other sessions have been signed out." in response.text
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            password_form(old="not-my-password"),
            ["Your old password was entered incorrectly. Please enter it again."],
        ),
        (
            password_form(new="12345678"),
            ["This password is too common.", "This password is entirely numeric."],
        ),
        (
            password_form(repeat="another-long-passphrase"),
            ["The two password fields didn’t match."],  # noqa: RUF001
        ),
    ],
)
def test_password_change_rejects_bad_input(client, student, form, errors):
    client.force_login(student)

    response = client.post("/accounts/password/", form)

    assert response.status_code == 200
    for error in errors:
        assert error in response.text
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_password_change_ends_api_tokens(client, student):
    api = bearer(student)
    assert api.get("/api/profile").status_code == 200
    client.force_login(student)

    client.post("/accounts/password/", password_form())

    assert api.get("/api/profile").status_code == 401
