"""python -m labsite.serve on the test database: the client address behind a proxy."""

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings

from labsite.tests.browser import WebServer

FORWARDED_ADDRESS = "203.0.113.7"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("arguments", "expected_address"),
    [(["--proxy-headers"], FORWARDED_ADDRESS), ([], "127.0.0.1")],
    ids=["proxy-headers", "no-proxy-headers"],
)
def test_client_address_from_forwarded_header(tmp_path, arguments, expected_address):
    server = WebServer(
        database=settings.DATABASES["default"],
        log_path=tmp_path / "server.log",
        arguments=arguments,
    )
    server.start()
    try:
        response = requests.post(
            f"{server.url}/api/auth/login",
            json={"username": "nobody", "password": "not-the-password"},
            headers={"X-Forwarded-For": FORWARDED_ADDRESS},
            timeout=10,
        )
    finally:
        server.stop()

    assert response.status_code == 401, response.text
    attempts = list(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert attempts == [expected_address]
