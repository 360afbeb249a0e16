"""Time from a sandbox create request to a working SSH shell, beside plain lxc.

Run from the repository root, with the LXD of scripts/setup-lxd.sh and a
PostgreSQL server on 127.0.0.1:5432 that user postgres may log in to:

    . scripts/lib.sh; load_lxd_settings
    .venv/bin/python benchmarks/container_startup.py --runs 10

Each run starts a fresh container and stops the clock when a shell of the
user "student" has run `true` over SSH. The two methods take turns in the
order platform, lxc, lxc, platform, ... so that drift in the machine's load
falls on both alike. The warm-up runs (one of each by default) are not counted.

platform: POST /api/containers/create with a JWT of a benchmark student,
    sent to labsite.asgi.application (the application uvicorn serves) in this
    process, so the socket and uvicorn's HTTP parsing are left out. Then
    ssh.connect(user="student") with the host key the platform recorded,
    and run("true"). The sandbox is deleted with DELETE /api/containers/<id>
    after the clock stops.
lxc: `lxc init` with the config and root disk of services.instance_config()
    and services.instance_devices(). Then two `lxc file push` of the
    platform's public key (root and student, as the platform does) and
    `lxc start`. Then a poll of `lxc list` for the IPv4 address, a poll of
    port 22 for the SSH banner, and `ssh student@ADDRESS true`. The instance
    is deleted with `lxc delete --force` after the clock stops.

The script writes the result between the container_startup markers of
docs/benchmarks.md (creating the file when it is missing) unless --no-doc
is given. It deletes every instance and database row it made, also after an
error, Ctrl-C or SIGTERM. Its lxc instances are named ls-bench-<run id>-<n>;
the platform names its own instances.

The database is BENCHMARK_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/labsite_bench), created and migrated
when needed. DATABASE_URL is ignored on purpose, so the benchmark never
writes to a development database.
"""

import argparse
import asyncio
import functools
import inspect
import json
import logging
import os
import platform as host_platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/labsite_bench"

sys.path.insert(0, str(REPO_ROOT))
# settings_test adds test defaults to the production settings (secret key,
# allowed hosts, plain HTTP, MD5 password hashing, static file storage), none
# of which the measured requests depend on.
os.environ["DJANGO_SETTINGS_MODULE"] = "labsite.settings_test"
os.environ["DATABASE_URL"] = os.environ.get("BENCHMARK_DATABASE_URL", DEFAULT_DATABASE_URL)

# WhiteNoise warns that collectstatic has not run, but no static file is served here.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
django.setup()

from asgiref.testing import ApplicationCommunicator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.tokens import issue_tokens  # noqa: E402
from containers import lxd, services, ssh  # noqa: E402
from containers.errors import ContainerError  # noqa: E402
from containers.models import Container, Kind  # noqa: E402
from labsite.asgi import application  # noqa: E402

CREATE_PATH = "/api/containers/create"
DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- container_startup:start -->"
SECTION_END = "<!-- container_startup:end -->"
INSTANCE_PREFIX = "ls-bench-"
TARGET_SECONDS = 0.5

# Poll intervals of the lxc method, equal to those of the platform:
# lxd.wait_for_address sleeps 0.1 s between state requests (a literal in
# that function), and ssh.wait_for_ssh tries port 22 every `interval`
# seconds, 0.25 by default.
ADDRESS_POLL_SECONDS = 0.1
BANNER_POLL_SECONDS = inspect.signature(ssh.wait_for_ssh).parameters["interval"].default

# Seconds the ASGI application may take to respond to one request. Creating a
# sandbox may take CONTAINER_BOOT_TIMEOUT twice (address, then sshd) and
# the LXD requests around it.
RESPONSE_TIMEOUT = 2 * settings.CONTAINER_BOOT_TIMEOUT + 60

SSH_COMMAND_TIMEOUT = 30

# Seconds cleanup waits for LXD to finish an operation (such as the create
# of an interrupted `lxc init`) before it can delete the instance.
CLEANUP_TIMEOUT = 120

# Steps of one run, in order, as (key, row label of the steps table).
STEPS = [
    ("request", "HTTP request to first LXD call: JWT auth, row insert"),
    ("create", "create the instance"),
    ("push", "push the public key (2 files)"),
    ("start", "start the instance"),
    ("address", f"wait for the IPv4 address (poll {ADDRESS_POLL_SECONDS:g} s)"),
    ("banner", f"wait for the SSH banner (poll {BANNER_POLL_SECONDS:g} s)"),
    ("host_key", "fetch the host key"),
    ("response", "mark running, HTTP response"),
    ("shell", "SSH as student, run `true`"),
]

logger = logging.getLogger("benchmarks.container_startup")


class BenchmarkError(Exception):
    pass


@dataclass
class Run:
    method: str
    seconds: float
    # Seconds per key of STEPS. A method leaves out the steps it does not have.
    steps: dict[str, float] = field(default_factory=dict)


class StepRecorder:
    """Start and end times of the LXD and SSH calls inside services.create_container.

    It replaces the functions in their modules by timed wrappers, which
    services looks up at each call. A wrapper adds a few microseconds per
    call (an estimate: two clock reads and a list append).
    """

    WRAPPED = [
        (lxd, "create_instance", "create"),
        (lxd, "push_file", "push"),
        (lxd, "start_instance", "start"),
        (lxd, "wait_for_address", "address"),
        (ssh, "wait_for_ssh", "banner"),
        (ssh, "fetch_host_key", "host_key"),
    ]

    def __init__(self):
        # (step key, start, end) in time.monotonic() seconds.
        self.spans = []
        self._originals = []

    def install(self):
        for module, name, step in self.WRAPPED:
            original = getattr(module, name)
            self._originals.append((module, name, original))
            setattr(module, name, self._timed(original, step))

    def uninstall(self):
        for module, name, original in self._originals:
            setattr(module, name, original)
        self._originals.clear()

    def _timed(self, function, step):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                self.spans.append((step, started, time.monotonic()))

        return timed

    def steps(self, *, requested, responded, finished):
        """Return the seconds of each step of the run that began at `requested`."""
        steps = {}
        for step, started, ended in self.spans:
            steps[step] = steps.get(step, 0.0) + ended - started
        first_call = min(started for _, started, _ in self.spans)
        last_call = max(ended for _, _, ended in self.spans)
        steps["request"] = first_call - requested
        steps["response"] = responded - last_call
        steps["shell"] = finished - responded
        return steps


class Benchmark:
    """The runs of both methods, and everything they made that cleanup must delete."""

    def __init__(self, *, runs, warmup):
        self.runs = runs
        self.warmup = warmup
        self.run_id = secrets.token_hex(3)
        self.instance_count = 0
        self.user = None
        self.recorder = StepRecorder()
        self.public_key_path = f"{settings.SSH_KEY_PATH}.pub"
        # The 1-minute load average when the counted runs begin and end.
        self.load_averages = (0.0, 0.0)

    # Setup and cleanup

    def set_up(self):
        prepare_database()
        self.user = User(
            username=f"bench-startup-{self.run_id}",
            email=f"bench-startup-{self.run_id}@example.test",
            role=Role.STUDENT,
        )
        self.user.set_unusable_password()
        self.user.save()
        lxd.reset_client()
        lxd.check_connection()
        self.recorder.install()

    def clean_up(self):
        """Delete the instances and rows this benchmark made, and log any that could not be."""
        self.recorder.uninstall()
        for name in self._own_instances():
            delete_lxc_instance(name)
        if self.user is None:
            return
        for container in Container.objects.live().filter(owner=self.user):
            try:
                lxd.delete_instance(container.name)
            except ContainerError:
                logger.exception("Deleting the platform instance %s failed", container.name)
            else:
                logger.info("Deleted the platform instance %s", container.name)
        # The rows of the user's containers and their events go with it (CASCADE).
        try:
            self.user.delete()
        except DatabaseError:
            logger.exception("Deleting the benchmark user %s failed", self.user.username)

    def _own_instances(self):
        result = lxc("list", "--format", "csv", "-c", "n", f"^{INSTANCE_PREFIX}{self.run_id}-")
        return result.stdout.split()

    # The runs

    def measure(self):
        """Run both methods, warm-up first, and return the counted runs of each."""
        for index in range(self.warmup):
            print(f"warm-up {index + 1}/{self.warmup}", flush=True)
            self.time_platform()
            self.time_lxc()

        results = {"platform": [], "lxc": []}
        load_before = os.getloadavg()[0]
        for index in range(self.runs):
            order = ["platform", "lxc"] if index % 2 == 0 else ["lxc", "platform"]
            for method in order:
                run = self.time_platform() if method == "platform" else self.time_lxc()
                results[method].append(run)
                print(f"run {index + 1}/{self.runs} {method}: {run.seconds:.2f} s", flush=True)
        self.load_averages = (load_before, os.getloadavg()[0])
        return results

    def time_platform(self):
        self.recorder.spans.clear()
        token = str(issue_tokens(self.user).access_token)

        status, body, requested, responded = asyncio.run(send_request("POST", CREATE_PATH, token))
        if status != 201:
            raise BenchmarkError(
                f"POST {CREATE_PATH} returned {status} {body!r}, expected 201: "
                "the benchmark user must have no sandbox before a run."
            )
        container = Container.objects.get(pk=body["id"])
        with ssh.connect(
            container.ip_address, user="student", host_key=container.host_key
        ) as ssh_connection:
            result = ssh_connection.run("true", timeout=SSH_COMMAND_TIMEOUT, max_output=4096)
        finished = time.monotonic()

        if result.exit_status != 0:
            raise BenchmarkError(
                f"`true` in the platform container {container.name} exited with "
                f"{result.exit_status}: {result.stderr!r}"
            )
        steps = self.recorder.steps(requested=requested, responded=responded, finished=finished)
        path = f"/api/containers/{container.pk}"
        status, body, _, _ = asyncio.run(send_request("DELETE", path, token))
        if status != 204:
            raise BenchmarkError(f"DELETE {path} returned {status} {body!r}, expected 204.")
        return Run("platform", finished - requested, steps)

    def time_lxc(self):
        self.instance_count += 1
        name = f"{INSTANCE_PREFIX}{self.run_id}-{self.instance_count}"
        options = init_options()
        steps = {}
        started = mark = time.monotonic()

        lxc("init", settings.LXD_IMAGE, name, "-p", settings.LXD_PROFILE, *options)
        steps["create"], mark = lap(mark)
        self.push_key(name, "/root", uid=0)
        self.push_key(name, services.STUDENT_HOME, uid=services.STUDENT_UID)
        steps["push"], mark = lap(mark)
        lxc("start", name)
        steps["start"], mark = lap(mark)
        address = wait_for_lxc_address(name, timeout=settings.CONTAINER_BOOT_TIMEOUT)
        steps["address"], mark = lap(mark)
        wait_for_banner(address, timeout=settings.CONTAINER_BOOT_TIMEOUT)
        steps["banner"], mark = lap(mark)
        result = subprocess.run(
            ssh_command(address),
            capture_output=True,
            text=True,
            timeout=SSH_COMMAND_TIMEOUT,
            check=False,
        )
        steps["shell"], finished = lap(mark)

        if result.returncode != 0:
            raise BenchmarkError(
                f"ssh student@{address} true exited with {result.returncode}: "
                f"{result.stderr.strip()}"
            )
        lxc("delete", "--force", name)
        return Run("lxc", finished - started, steps)

    def push_key(self, name, home, *, uid):
        lxc("file", "push", "--uid", str(uid), "--gid", str(uid), "--mode", "0600",
            self.public_key_path, f"{name}{home}/.ssh/authorized_keys")  # fmt: skip


def lap(mark):
    """Return the seconds since mark, and the current time as the next mark."""
    now = time.monotonic()
    return now - mark, now


async def send_request(method, path, token):
    """Send one request to the ASGI application, and return its status, JSON body and times."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"accept", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)

    requested = time.monotonic()
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(RESPONSE_TIMEOUT)
    body = b""
    while True:
        message = await communicator.receive_output(RESPONSE_TIMEOUT)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    responded = time.monotonic()

    await communicator.wait(RESPONSE_TIMEOUT)
    return start["status"], json.loads(body) if body else None, requested, responded


def prepare_database():
    """Create the benchmark database unless it exists, and apply the migrations."""
    # The test-database utilities with keepdb create the database once and
    # never drop it. TEST NAME = NAME makes them use the configured name
    # rather than "test_<name>".
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, keepdb=True, serialize=False)


def find_program(name):
    path = shutil.which(name)
    if path is None:
        raise BenchmarkError(f"{name} is not on PATH: install it, or run scripts/setup-lxd.sh.")
    return path


def lxc(*arguments, check=True):
    result = subprocess.run(
        [find_program("lxc"), "--project", settings.LXD_PROJECT, *arguments],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and result.returncode != 0:
        raise BenchmarkError(
            f"lxc {' '.join(arguments)} exited with {result.returncode}: {result.stderr.strip()}"
        )
    return result


def delete_lxc_instance(name):
    """Delete an instance, waiting for an LXD operation on it that an interrupted lxc left."""
    deadline = time.monotonic() + CLEANUP_TIMEOUT
    while True:
        result = lxc("delete", "--force", name, check=False)
        if result.returncode == 0:
            logger.info("Deleted the lxc instance %s", name)
            return
        if "not found" in result.stderr.lower():
            return
        if "busy" not in result.stderr or time.monotonic() > deadline:
            logger.error("lxc delete %s failed: %s", name, result.stderr.strip())
            return
        time.sleep(0.5)


def init_options():
    """Return the `lxc init` options that give the instance the platform's config and disk."""
    config = services.instance_config(Container(kind=Kind.SANDBOX))
    options = []
    for key, value in config.items():
        options += ["-c", f"{key}={value}"]

    devices = services.instance_devices()
    if set(devices) != {"root"}:
        raise BenchmarkError(
            f"services.instance_devices() returns devices {sorted(devices)}, but this "
            "script passes only the root disk to lxc init: extend init_options()."
        )
    root = devices["root"]
    options += ["-s", root["pool"]]
    for key, value in root.items():
        if key not in {"type", "path", "pool"}:
            options += ["-d", f"root,{key}={value}"]
    return options


def wait_for_lxc_address(name, *, timeout):
    """Poll `lxc list` until the instance has an IPv4 address on eth0, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        output = lxc("list", "--format", "csv", "-c", "4", f"^{name}$").stdout
        match = re.search(r"(\d+\.\d+\.\d+\.\d+) \(eth0\)", output)
        if match:
            return match.group(1)
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{name} got no IPv4 address within {timeout} s.")
        time.sleep(ADDRESS_POLL_SECONDS)


def wait_for_banner(address, *, timeout):
    deadline = time.monotonic() + timeout
    while not banner_received(address):
        if time.monotonic() + BANNER_POLL_SECONDS >= deadline:
            raise BenchmarkError(f"sshd at {address} sent no banner within {timeout} s.")
        time.sleep(BANNER_POLL_SECONDS)


def banner_received(address):
    try:
        with socket.create_connection((address, 22), timeout=settings.SSH_CONNECT_TIMEOUT) as sock:
            received = b""
            while b"SSH-" not in received:
                chunk = sock.recv(256)
                if not chunk:
                    return False
                received += chunk
            return True
    except OSError:
        return False


def ssh_command(address):
    return [
        find_program("ssh"),
        # No user or system ssh_config, so that nothing on this machine changes the run.
        "-F", "/dev/null",
        "-i", settings.SSH_KEY_PATH,
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes",
        "-o", "LogLevel=ERROR",
        "-o", f"ConnectTimeout={settings.SSH_CONNECT_TIMEOUT:g}",
        f"student@{address}",
        "true",
    ]  # fmt: skip


# Report


def summarize(runs):
    seconds = [run.seconds for run in runs]
    return {
        "median": statistics.median(seconds),
        "worst": max(seconds),
        "best": min(seconds),
    }


def step_medians(runs):
    keys = {key for run in runs for key in run.steps}
    return {key: statistics.median(run.steps.get(key, 0.0) for run in runs) for key in keys}


def describe_machine():
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    pool = lxc("storage", "get", settings.LXD_STORAGE_POOL, "source", check=False).stdout.strip()
    driver = lxc("storage", "show", settings.LXD_STORAGE_POOL, check=False).stdout
    driver_match = re.search(r"^driver: (\S+)", driver, re.MULTILINE)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    return (
        f"{model}, {os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Linux {host_platform.release()}, LXD {lxd.check_connection()}, "
        f"{driver_match.group(1) if driver_match else 'unknown'} storage pool "
        f"({pool or 'source unknown'}), PostgreSQL {postgres_version}, "
        f"Python {host_platform.python_version()}"
    )


def interpret(results):
    """Return two sentences: the difference of medians against the target, and the noise."""
    platform_summary = summarize(results["platform"])
    lxc_summary = summarize(results["lxc"])
    difference = platform_summary["median"] - lxc_summary["median"]
    if difference < 0:
        comparison = (
            f"The median of the platform is {-difference:.2f} s below that of lxc, "
            f"within the target of at most {TARGET_SECONDS} s added"
        )
    elif difference <= TARGET_SECONDS:
        comparison = (
            f"The platform adds {difference:.2f} s to the median of lxc, "
            f"within the target of at most {TARGET_SECONDS} s"
        )
    else:
        comparison = (
            f"The platform adds {difference:.2f} s to the median of lxc, "
            f"{difference - TARGET_SECONDS:.2f} s over the target of at most {TARGET_SECONDS} s"
        )
    platform_steps = step_medians(results["platform"])
    own_seconds = sum(platform_steps[key] for key in ("request", "host_key", "response"))
    spreads = {
        method: summary["worst"] - summary["best"]
        for method, summary in (("platform", platform_summary), ("lxc", lxc_summary))
    }
    return (
        f"{comparison}. "
        f"Its own steps (request, host key, response) take {own_seconds:.2f} s in the "
        f"median, and the spread from best to worst run is {spreads['platform']:.2f} s "
        f"for the platform and {spreads['lxc']:.2f} s for lxc."
    )


def paragraph(text):
    return textwrap.fill(text, width=76, break_on_hyphens=False)


def render_section(results, *, runs, warmup, load_averages, machine, date):
    platform_steps = step_medians(results["platform"])
    lxc_steps = step_medians(results["lxc"])

    def cell(steps, key):
        return f"{steps[key]:.3f}" if key in steps else "-"

    step_rows = "\n".join(
        f"| {label} | {cell(platform_steps, key)} | {cell(lxc_steps, key)} |"
        for key, label in STEPS
    )
    summary_rows = []
    each_run = []
    for method in ("platform", "lxc"):
        summary = summarize(results[method])
        summary_rows.append(
            f"| {method} | {summary['median']:.2f} | {summary['worst']:.2f} "
            f"| {summary['best']:.2f} |"
        )
        each_run.append(f"{method} " + ", ".join(f"{run.seconds:.2f}" for run in results[method]))
    summary_table = "\n".join(summary_rows)
    warmup_runs = "run" if warmup == 1 else "runs"
    ssh_arguments = ["ssh", *ssh_command("ADDRESS")[1:]]
    ssh_line = " ".join(ssh_arguments).replace(settings.SSH_KEY_PATH, "$SSH_KEY_PATH")
    ssh_line = ssh_line.replace(" -o BatchMode", " \\\n          -o BatchMode")
    command = f".venv/bin/python benchmarks/container_startup.py --runs {runs}"
    if warmup != 1:
        command += f" --warmup {warmup}"

    intro = paragraph(
        "Seconds from the request for a new container to a shell of the user "
        "`student` that has run `true` over SSH, for the platform's sandbox API "
        "and for plain `lxc` with the same image, config and key. "
        f"Measured on {date} with one run of the script on this machine: {machine}."
    )
    runs_line = paragraph(
        f"{runs} counted runs of each method, in the order platform, lxc, lxc, "
        f"platform, ..., after {warmup} discarded warm-up {warmup_runs} of each. "
        f"Each run in seconds, in order: {'; '.join(each_run)}. The 1-minute load "
        f"average of the machine was {load_averages[0]:.2f} when the counted runs "
        f"began and {load_averages[1]:.2f} when they ended."
    )
    return f"""## Container startup

{intro}

    . scripts/lib.sh; load_lxd_settings
    {command}

| method | median (s) | worst (s) | best (s) |
|---|---|---|---|
{summary_table}

{paragraph(interpret(results))}

{runs_line}

- **platform**: `POST {CREATE_PATH}` with a JWT of a benchmark student,
  sent in-process to `labsite.asgi.application` (the application uvicorn
  serves), so the socket and uvicorn's HTTP parsing are not counted. The
  view runs `services.get_or_create_sandbox` against PostgreSQL and LXD's
  HTTPS API. The clock stops when `ssh.connect(user="student")` with the
  recorded host key has run `true`.
- **lxc**: `lxc init` with the same `-c` config and root disk, `lxc file push`
  of the platform's public key to root and to student, `lxc start`, `lxc list`
  polled for the address, port 22 polled for the SSH banner, and then:

      {ssh_line}

  Each `lxc` and `ssh` command is a new process, and `lxc` talks to LXD's
  unix socket.
- Both poll for the address every {ADDRESS_POLL_SECONDS:g} s and for the SSH banner every
  {BANNER_POLL_SECONDS:g} s, the intervals of `lxd.wait_for_address` and `ssh.wait_for_ssh`.
  Deleting the container is not counted.

Median seconds of each step. The platform's steps are timed by wrapping the
`lxd` and `ssh` functions that `services.create_container` calls. Medians
of steps do not add up to the median of the total.

| step | platform | lxc |
|---|---|---|
{step_rows}
"""


INTRO = """# Benchmarks

Measured numbers of Labsite. Each section is written by the script under
`benchmarks/` that it names, and a rerun of that script replaces it. A
section gives the command, the date, the machine and the numbers of one run
on that machine, so other hardware gives other numbers.

- **Container startup** (`benchmarks/container_startup.py`): seconds from a
  sandbox create request to a working SSH shell, median and worst, beside
  `lxc` starting the same image on the same machine.
"""


def write_section(path, section):
    """Replace the text between the section markers of path, or append the section."""
    text = path.read_text() if path.exists() else INTRO
    block = f"{SECTION_START}\n{section.rstrip()}\n{SECTION_END}"
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1]
        text = before + block + after
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text)


def print_results(results):
    for method in ("platform", "lxc"):
        summary = summarize(results[method])
        print(
            f"{method:8}  median {summary['median']:.2f} s  worst {summary['worst']:.2f} s  "
            f"best {summary['best']:.2f} s"
        )
    difference = summarize(results["platform"])["median"] - summarize(results["lxc"])["median"]
    print(f"difference of medians (platform - lxc): {difference:+.2f} s")
    print(interpret(results))
    platform_steps = step_medians(results["platform"])
    lxc_steps = step_medians(results["lxc"])
    print("median seconds per step:      platform    lxc")
    for key, label in STEPS:
        row = [
            f"{steps[key]:8.3f}" if key in steps else "       -"
            for steps in (platform_steps, lxc_steps)
        ]
        print(f"  {key:10} {row[0]}  {row[1]}   {label}")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=10, help="counted runs of each method (default: 10)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="runs of each method made first and not counted (default: 1)",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help=f"print the result only, do not write {DOC_PATH}"
    )
    parser.add_argument("--verbose", action="store_true", help="show the platform's INFO log lines")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    return arguments


def stop_on_sigterm(signum, frame):
    # Raised in the main thread, so the cleanup in main()'s finally runs.
    raise KeyboardInterrupt


def main():
    arguments = parse_arguments()
    if not arguments.verbose:
        logging.getLogger("containers").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    benchmark = Benchmark(runs=arguments.runs, warmup=arguments.warmup)
    try:
        benchmark.set_up()
        results = benchmark.measure()
    except KeyboardInterrupt:
        print("Interrupted. Deleting what the benchmark made.", file=sys.stderr)
        return 130
    except (BenchmarkError, ContainerError) as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not stop the cleanup halfway. The lxc
        # processes of the cleanup inherit the ignored signal too.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        benchmark.clean_up()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    print_results(results)
    load_before, load_after = benchmark.load_averages
    print(f"1-minute load average: {load_before:.2f} at the start, {load_after:.2f} at the end")
    if not arguments.no_doc:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        section = render_section(
            results,
            runs=arguments.runs,
            warmup=arguments.warmup,
            load_averages=benchmark.load_averages,
            machine=describe_machine(),
            date=date,
        )
        write_section(DOC_PATH, section)
        print(f"Wrote the container_startup section of {DOC_PATH.relative_to(REPO_ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
