"""scripts/run.sh started the way the README instructs a training centre.

The script runs as a subprocess with its own process group, on a free port
of 127.0.0.1 and a SQLite database in the test's temporary directory. It
still sets up the local LXD in the checkout's var/ (lxd.env, certificates,
SSH key), which is idempotent on a prepared machine. load_demo publishes the
sample course into var/demo-lessons, because settings.STATE_DIR is always
<checkout>/var and no setting moves it.
"""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as websocket_connect

from labsite.tests.browser import free_port

pytestmark = pytest.mark.lxd

RUN_SCRIPT = Path(settings.BASE_DIR) / "scripts" / "run.sh"
DEMO_LESSONS = Path(settings.BASE_DIR) / "var" / "demo-lessons"
RUNNING = "Labsite is running"
# Seconds until the script serves. On the prepared development machine a
# start took 5 to 7 s, of which bootstrap.sh and setup-lxd.sh took under
# 1 s and migrate and load_demo most of the rest. Installing packages or
# building the LXD image takes minutes, longer than this.
START_TIMEOUT = 120
# Seconds that the web server, the upkeep process and the script may take to exit
# after Ctrl-C.
STOP_TIMEOUT = 15
PASSWORD_LINE = re.compile(
    r"^Created the (admin account|demo student) '(\w+)' with the password (\S+)$"
)
# Variables that the shell of a training centre passes on. The test sets all others.
INHERITED_VARIABLES = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TERM"]


class RunScript:
    """scripts/run.sh in a new session, whose combined output is collected line by line."""

    def __init__(self, environment, log_path):
        self.environment = environment
        self.log_path = log_path
        self.lines = []
        self.process = None
        self._reader = None
        self._new_line = threading.Condition()

    def start(self):
        # The new session makes the script the leader of its own process
        # group, as a shell does with a job, so Ctrl-C can go to the group.
        self.process = subprocess.Popen(
            [str(RUN_SCRIPT)],
            cwd=settings.BASE_DIR,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        with open(self.log_path, "a") as log:
            for raw in self.process.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                log.write(line + "\n")
                with self._new_line:
                    self.lines.append(line)
                    self._new_line.notify_all()

    def output(self):
        with self._new_line:
            return "\n".join(self.lines)

    def wait_for_line(self, text, timeout):
        """Wait until a line of output contains text; fail when the script exits first."""
        deadline = time.monotonic() + timeout
        with self._new_line:
            while not any(text in line for line in self.lines):
                remaining = deadline - time.monotonic()
                if self.process.poll() is not None:
                    self._new_line.wait(1)  # lets the reader take the last lines
                    if not any(text in line for line in self.lines):
                        pytest.fail(
                            f"scripts/run.sh exited with status {self.process.returncode} "
                            f"before it printed {text!r}. Its output:\n{self.output()}"
                        )
                elif remaining <= 0:
                    pytest.fail(
                        f"scripts/run.sh did not print {text!r} within {timeout} s. "
                        f"Its output:\n{self.output()}"
                    )
                else:
                    self._new_line.wait(min(remaining, 1))

    def errors(self):
        """Return the lines of output that log an error or start a traceback."""
        self._reader.join(timeout=10)
        return [
            line
            for line in self.output().splitlines()
            if " ERROR " in line or line.startswith("Traceback")
        ]

    def interrupt(self):
        """Send SIGINT to the script's process group, as Ctrl-C in its terminal does."""
        os.killpg(self.process.pid, signal.SIGINT)

    def kill(self):
        """Kill whatever is left of the process group and reap the script."""
        if processes_in_group(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)


def processes_in_group(group_id):
    """Return {pid: (parent pid, command line)} of the live processes in a process group.

    Read from /proc. Zombies count as gone, because they run no code and
    their parent reaps them.
    """
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue  # the process exited while the loop read it
        # The command name in brackets may contain spaces, so fields count from its end.
        state, parent, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == group_id and state != "Z":
            found[int(entry.name)] = (int(parent), command)
    return found


def find_child(script, *words):
    """Return the pid of the script's child process whose command line contains every word."""
    processes = processes_in_group(script.process.pid)
    matches = [
        pid
        for pid, (parent, command) in processes.items()
        if parent == script.process.pid and all(word in command.split() for word in words)
    ]
    assert len(matches) == 1, f"children with {words} in their command: {processes}"
    return matches[0]


def stop_with_ctrl_c(script, children):
    """Send Ctrl-C to the script and assert that it and the children exit within STOP_TIMEOUT."""
    started = time.monotonic()
    script.interrupt()
    while time.monotonic() - started < STOP_TIMEOUT:
        left = processes_in_group(script.process.pid)
        if not set(children) & set(left) and script.process.poll() is not None:
            break
        time.sleep(0.2)

    left = processes_in_group(script.process.pid)
    assert not set(children) & set(left), f"still running {STOP_TIMEOUT} s after Ctrl-C: {left}"
    assert script.process.poll() is not None, f"scripts/run.sh still runs: {left}"
    assert left == {}
    assert script.process.returncode == 0, script.output()


def local_session():
    """Return an HTTP session that ignores proxy settings of the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def log_in_with_form(base_url, username, password):
    """Log in through the login form. Returns the HTTP session and the response to the POST."""
    session = local_session()
    form = session.get(f"{base_url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = session.post(
        f"{base_url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    return session, response


@pytest.fixture
def run_environment(tmp_path):
    """The environment of a training centre's shell, with the site's state in tmp_path."""
    environment = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    environment.update(
        HOST="127.0.0.1",
        PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Without SECRET_KEY a DEBUG run keeps a generated one in var/.
        SECRET_KEY=secrets.token_urlsafe(50),
        LESSONS_CHECKOUT_DIR=str(tmp_path / "lessons"),
        RECORDINGS_ROOT=str(tmp_path / "recordings"),
        # The upkeep process deletes instances with its prefix that have no row
        # in its database. A prefix of its own keeps it off other runs' containers.
        CONTAINER_NAME_PREFIX=f"lr{secrets.token_hex(3)}-",
        PYTHONUNBUFFERED="1",
    )
    return environment


@pytest.fixture
def start_script(run_environment, tmp_path):
    """Return a function that starts scripts/run.sh and waits until it serves."""
    had_demo_lessons = DEMO_LESSONS.exists()
    scripts = []

    def start():
        run_environment["PORT"] = str(free_port())
        script = RunScript(run_environment, tmp_path / f"run-{len(scripts) + 1}.log")
        scripts.append(script)
        started = time.monotonic()
        script.start()
        script.wait_for_line(RUNNING, START_TIMEOUT)
        print(f"scripts/run.sh served after {time.monotonic() - started:.1f} s")
        return script

    yield start
    for script in scripts:
        script.kill()
    if not had_demo_lessons:
        shutil.rmtree(DEMO_LESSONS, ignore_errors=True)


def passwords_in(output):
    """Return {username: password} from the lines that print a new account's password."""
    found = {}
    for line in output.splitlines():
        match = PASSWORD_LINE.match(line.strip())
        if match:
            assert match.group(2) not in found, f"two passwords for {match.group(2)}:\n{output}"
            found[match.group(2)] = match.group(3)
    return found


def open_missing_terminal(base_url, access_token):
    """Open the terminal of a container that does not exist with ?token=; return the close code."""
    url = base_url.replace("http://", "ws://") + f"/ws/terminal/999999/?token={access_token}"
    with websocket_connect(url, origin=base_url, open_timeout=10) as socket:
        status = json.loads(socket.recv(timeout=10))
        assert status["type"] == "closed", status
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    return closed.value.rcvd.code


def test_first_run_serves_and_stops(start_script, run_environment):
    script = start_script()
    base_url = f"http://127.0.0.1:{run_environment['PORT']}"
    output = script.output()

    passwords = passwords_in(output)
    assert set(passwords) == {"admin", "demo"}, output
    for password in passwords.values():
        assert output.count(password) == 1
    assert f"Labsite is running on {base_url}/ (Ctrl-C stops it)" in output

    home = local_session().get(f"{base_url}/", timeout=10)
    assert home.status_code == 200
    assert "Learn Linux by doing it" in home.text

    session, login = log_in_with_form(base_url, "demo", passwords["demo"])
    assert login.status_code == 302
    assert login.headers["Location"] == "/"
    dashboard = session.get(f"{base_url}/", timeout=10)
    assert "Welcome, Demo Student" in dashboard.text
    token = session.post(
        f"{base_url}/api/auth/login",
        json={"username": "admin", "password": passwords["admin"]},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    access_token = token.json()["access"]
    close_code = open_missing_terminal(base_url, access_token)
    assert close_code == 4404
    script.wait_for_line("/ws/terminal/999999/?token=[redacted]", timeout=5)
    assert access_token not in script.output()

    server = find_child(script, "labsite.serve")
    upkeep = find_child(script, "manage.py", "run_upkeep")
    stop_with_ctrl_c(script, [server, upkeep])
    # The upkeep process runs its first round at once and finishes the
    # round it is in before it exits, so the output contains a whole round.
    assert "upkeep stopped" in script.output()
    assert script.errors() == [], script.output()


def test_second_run_prints_no_passwords(start_script, run_environment):
    first = start_script()
    passwords = passwords_in(first.output())
    stop_with_ctrl_c(first, [])

    second = start_script()
    base_url = f"http://127.0.0.1:{run_environment['PORT']}"
    output = second.output()

    assert passwords_in(output) == {}
    assert "with the password" not in output
    assert "An admin account exists already; no account was created." in output
    assert "Demo content is up to date; nothing changed." in output
    _session, login = log_in_with_form(base_url, "demo", passwords["demo"])
    assert login.status_code == 302
    server = find_child(second, "labsite.serve")
    upkeep = find_child(second, "manage.py", "run_upkeep")
    stop_with_ctrl_c(second, [server, upkeep])
