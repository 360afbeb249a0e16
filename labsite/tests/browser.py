"""Browser tests: the web server (labsite.serve) on the test database and headless Chromium.

This module is a pytest plugin: its fixtures become available to a test
module that declares

    pytest_plugins = ["labsite.tests.browser"]

A browser test is marked `browser` and `django_db(transaction=True)`, so the
rows it creates are committed and the server, a separate process, can read them:

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_home_page_greets_student(page, log_in, screenshots, student):
        log_in(student)
        screenshots.take("home")
        assert "Dilnoza" in page.locator("main").inner_text()

Chromium comes from Debian (`apt-get install chromium`, which
scripts/bootstrap.sh runs), not from `playwright install`.
"""

import contextlib
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

from conftest import PASSWORD

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# Seconds that the server may take to start responding to HTTP requests.
SERVER_START_TIMEOUT = 30


def database_url(database):
    """Return a DATABASE_URL for the PostgreSQL database of a DATABASES entry."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            f"Browser tests need PostgreSQL, because the server runs in another process and "
            f"must open the test database; the engine is {database['ENGINE']}. Set "
            f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/labsite, as scripts/test.sh does."
        )
    credentials = ""
    if database.get("USER"):
        credentials = quote(database["USER"], safe="")
        if database.get("PASSWORD"):
            credentials += ":" + quote(database["PASSWORD"], safe="")
        credentials += "@"
    # A socket directory as host ("/var/run/postgresql") is percent-encoded.
    address = quote(database.get("HOST") or "localhost", safe="")
    if database.get("PORT"):
        address += f":{database['PORT']}"
    url = f"postgres://{credentials}{address}/{quote(database['NAME'], safe='')}"
    if database.get("OPTIONS"):
        url += "?" + urlencode(database["OPTIONS"])
    return url


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServer:
    """`python -m labsite.serve` on 127.0.0.1, in a subprocess."""

    def __init__(self, *, database, log_path, arguments=()):
        self.port = free_port()
        # Extra command-line options of labsite.serve, such as --proxy-headers.
        self.arguments = list(arguments)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._database = database
        self._process = None

    def environment(self):
        env = dict(os.environ)
        # The test process allows async-unsafe database calls for Playwright
        # (see the browser fixture); the server must keep Django's check.
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        allowed_hosts = [host for host in env.get("ALLOWED_HOSTS", "").split(",") if host]
        if "127.0.0.1" not in allowed_hosts:
            allowed_hosts.append("127.0.0.1")
        env.update(
            DJANGO_SETTINGS_MODULE="labsite.settings_test",
            DATABASE_URL=database_url(self._database),
            ALLOWED_HOSTS=",".join(allowed_hosts),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self):
        command = [
            sys.executable,
            "-m",
            "labsite.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.arguments,
        ]
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(
                    f"The server exited with status {self._process.returncode} before it "
                    f"responded. Its output:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2):
                    return
            except urllib.error.HTTPError:
                # Any HTTP status means that Django is serving requests.
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(
            f"The server did not respond on {self.url} within {SERVER_START_TIMEOUT} s. "
            f"Its output:\n{self.log_tail()}"
        )

    def stop(self):
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def drop_connections(self):
        """Reset every established TCP connection of the server, as a network failure would.

        The browser's WebSockets then close with code 1006, and the server's
        disconnect without a close frame. It needs `ss` (iproute2), the
        CAP_NET_ADMIN capability and a kernel with SOCK_DESTROY.
        """
        subprocess.run(
            ["ss", "--kill", "--tcp", "state", "established", f"( sport = :{self.port} )"],
            check=True,
            capture_output=True,
        )

    def log_size(self):
        return self.log_path.stat().st_size

    def log_since(self, offset):
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def log_tail(self, lines=60):
        """Return the last lines of the server's output, for failure messages."""
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


class Screenshots:
    """Numbered screenshots of one test: <test name>/<nn>-<step>.png."""

    def __init__(self, page, directory):
        self.page = page
        self.directory = directory
        self.count = 0
        # Screenshots of an earlier run of the same test would mix with these.
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)

    def take(self, step):
        self.count += 1
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-")
        path = self.directory / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=path)
        return path


def log_in_with_form(page, user, password=PASSWORD):
    """Log user in through the login form; the page is then on the home page."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if "/accounts/login/" in page.url:
        pytest.fail(
            f"Logging in as {user.username} failed: the browser is on {page.url}, "
            f"titled {page.title()!r}, which reads:\n{page.locator('body').inner_text()}"
        )


@pytest.fixture(scope="session")
def web_server(django_db_setup, tmp_path_factory):
    """The web server on a free port of 127.0.0.1, on the test database of this session."""
    server = WebServer(
        database=settings.DATABASES["default"],
        log_path=tmp_path_factory.mktemp("web-server") / "server.log",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, driven by Playwright."""
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.fail(f"{CHROMIUM_PATH} is missing: run scripts/bootstrap.sh to install chromium.")
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an asyncio loop running in this
    # thread, so Django would reject every ORM call of the test as "async".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, web_server):
    """A page in a fresh browser context whose relative URLs go to web_server.

    The test fails when a script on the page raises an uncaught exception.
    """
    context = browser.new_context(base_url=web_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    page_errors = []
    new_page.on("pageerror", lambda error: page_errors.append(str(error)))
    # pytest shows what a test printed when the test fails.
    new_page.on("console", lambda message: print(f"browser {message.type}: {message.text}"))
    log_start = web_server.log_size()
    yield new_page
    context.close()
    print(f"Server output during the test:\n{web_server.log_since(log_start)}")
    assert page_errors == [], f"uncaught script errors on the page: {page_errors}"


@pytest.fixture
def log_in(page):
    """Return a function that logs a user in on page through the login form."""
    return functools.partial(log_in_with_form, page)


@pytest.fixture
def screenshots(page, request):
    return Screenshots(page, SCREENSHOTS_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name))
