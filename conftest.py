"""The shared cast of the test suite: one account per role, and an outsider."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tokens import issue_tokens

pytest_plugins = ["containers.tests.lxd_fixtures", "labsite.tests.browser"]

PASSWORD = "correct-horse-battery-staple"


def make_user(username, role=Role.STUDENT, **fields):
    user = User(username=username, email=f"{username}@example.test", role=role, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(autouse=True)
def default_language():
    """Deactivate the language that a test's requests or code activated.

    LocaleMiddleware activates each request's language for the thread and
    nothing deactivates it, so a test after a Russian page would otherwise
    get Russian from gettext outside requests.
    """
    yield
    translation.deactivate()


@pytest.fixture
def student(db):
    return make_user("student", full_name="Dilnoza Karimova")


@pytest.fixture
def other_student(db):
    return make_user("other")


@pytest.fixture
def instructor(db):
    return make_user("instructor", role=Role.INSTRUCTOR)


@pytest.fixture
def admin_user(db):
    return make_user("admin", role=Role.ADMIN)


@pytest.fixture
def api():
    return APIClient()


def bearer(user):
    """Return an API client authenticated with a fresh access token of the user."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user).access_token}")
    return client


def pytest_collection_modifyitems(config, items):
    """Run browser tests last.

    Playwright's synchronous API keeps an event loop running in the main
    thread once the browser is up, and pytest-asyncio cannot start its own
    loop after that.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
