import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def register_form(**overrides):
    data = {
        "username": "newcomer",
        "email": "newcomer@example.test",
        "full_name": "Aziz Rahimov",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }
    data.update(overrides)
    return data


def test_register_page_signs_in(client):
    response = client.post("/accounts/register/", register_form())

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="newcomer")
    assert user.role == "student"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_register_page_shows_errors(client, student):
    response = client.post(
        "/accounts/register/",
        register_form(email="STUDENT@example.test", password2="something-else-entirely"),
    )

    assert response.status_code == 200
    assert "A user with that email address already exists." in response.text
    assert "The two password fields didn’t match." in response.text  # noqa: RUF001
    assert not User.objects.filter(username="newcomer").exists()


def test_login_page_by_email(client, student):
    response = client.post(
        "/accounts/login/", {"username": "student@example.test", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(student.pk)


def test_login_page_bad_password(client, student):
    response = client.post("/accounts/login/", {"username": "student", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.text


def test_logout_needs_post(client, student):
    client.force_login(student)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_profile_update(client, student):
    client.force_login(student)

    response = client.post(
        "/accounts/profile/",
        {"full_name": "Dilnoza K.", "email": "Dilnoza@Example.test", "preferred_language": "uz"},
    )

    assert response.status_code == 302
    student.refresh_from_db()
    assert student.full_name == "Dilnoza K."
    assert student.email == "dilnoza@example.test"
    assert student.preferred_language == "uz"


def test_profile_rejects_taken_email(client, student, other_student):
    client.force_login(student)

    response = client.post("/accounts/profile/", {"full_name": "", "email": "other@example.test"})

    assert response.status_code == 200
    assert "A user with that email address already exists." in response.text
    student.refresh_from_db()
    assert student.email == "student@example.test"


def test_profile_htmx_returns_fragment(client, student):
    client.force_login(student)

    response = client.post(
        "/accounts/profile/",
        {"full_name": "", "email": "bad"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in response.text
    assert "Enter a valid email address." in response.text


def test_htmx_after_session_expiry_redirects_page(client):
    response = client.post("/accounts/profile/", {"full_name": "x"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/accounts/profile/"
    assert "<form" not in response.text


def test_plain_request_after_expiry_still_redirects(client):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert "HX-Redirect" not in response


def test_password_change_ends_other_sessions(client, student):
    other_browser = Client()
    other_browser.force_login(student)
    client.force_login(student)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-different-long-passphrase",
            "new_password2": "a-different-long-passphrase",
        },
    )

    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert other_browser.get("/accounts/profile/").status_code == 302


@pytest.mark.parametrize(
    ("fixture", "visible", "hidden"),
    [
        ("student", ["Profile", "Log out"], ["Administration", "Content", "Register"]),
        ("instructor", ["Content", "Log out"], ["Administration"]),
        ("admin_user", ["Administration", "Log out"], [">Content<"]),
    ],
)
def test_navigation_follows_role(client, request, fixture, visible, hidden):
    client.force_login(request.getfixturevalue(fixture))

    page = client.get("/").text

    for text in visible:
        assert text in page
    for text in hidden:
        assert text not in page


def test_navigation_for_visitor(client, db):
    page = client.get("/").text

    assert "Log in" in page
    assert "Register" in page
    assert "Log out" not in page


def test_pages_translated_to_russian(client, db):
    client.cookies["django_language"] = "ru"

    page = client.get("/accounts/login/").text

    assert '<html lang="ru">' in page


def test_pages_send_content_security_policy(client, db):
    response = client.get("/accounts/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy


def test_static_vendor_files_from_npm(client, db):
    assert finders.find("vendor/htmx/htmx.min.js")
    assert finders.find("vendor/xterm/lib/xterm.js")
    assert finders.find("vendor/xterm-addon-fit/lib/addon-fit.js")
