"""Terminal latency, throughput, interrupt time and memory, beside webssh and wetty.

Run from the repository root, with the LXD of scripts/setup-lxd.sh, a
PostgreSQL server on 127.0.0.1:5432 that user postgres may log in to, Redis
on 127.0.0.1:6379, and the two comparison servers installed outside the
repository:

    python3 -m venv /tmp/bench-tools/webssh
    /tmp/bench-tools/webssh/bin/pip install webssh==1.6.3
    npm install --prefix /tmp/bench-tools/wetty wetty@3.2.0
    .venv/bin/pip install websockets

    . scripts/lib.sh; load_lxd_settings
    .venv/bin/python benchmarks/terminal.py \\
        --wssh /tmp/bench-tools/webssh/bin/wssh \\
        --wetty /tmp/bench-tools/wetty/node_modules/.bin/wetty

The script launches one LXD container with the platform's sandbox config,
and starts three terminal servers on free loopback ports, all reaching that
container over SSH as the user "student" with the platform's key:

labsite: `python -m labsite.serve` (uvicorn), with a Container row that
    points at the container. Client: /ws/terminal/<id>/?token=<JWT>, the
    protocol of docs/terminal-protocol.md.
webssh: `wssh`, a Tornado server that, like Labsite, runs paramiko in the
    server process. Client: POST / with the host, user and key, then
    /ws?id=<id> with {"data": ...} messages.
wetty: a Node.js server that runs the OpenSSH client `ssh` on a PTY for each
    session. Client: Engine.IO 4 / Socket.IO 5 over a WebSocket, with the
    events input, data, resize and commit.

Each measurement opens its own sessions and closes them after. Measured,
for each server in the same run:

memory: PSS of the server's process tree (for wetty: node and the `ssh`
    processes it starts) before and after opening --sessions idle sessions,
    divided by the number of sessions. Measured first, on freshly started
    servers after one warm-up session.
echo: seconds from sending one keystroke to receiving its echo, over
    --keystrokes keystrokes typed into `cat` (the kernel's PTY echo, so no
    shell work is timed), one at a time, --keystroke-gap seconds apart.
    The servers take turns in blocks of keystrokes.
throughput: bytes per second of `cat` of a 64 MiB file of base64 text in
    the container, read as fast as the client can, the median of --repeats.
    Beside it, two references: the raw PTY rate, `script -qfc "cat FILE"
    /dev/null` of the same kind of file on this machine, and the OpenSSH
    client running `ssh -tt` to the container with its output to a pipe.
interrupt: a client that processes output at a fixed rate (a token bucket)
    runs `yes` and sends Ctrl-C 1 s after the first `y` reached it. The
    figure is the seconds until the prompt appears, the median of --repeats
    at each rate of --rates. The Labsite client acknowledges every 32 KiB
    it has processed, and the wetty client commits as the wetty page does.

With --patched-root DIR, a second Labsite server named "patched" runs the
Labsite code of DIR, a patched copy of this repository, beside the first.

The container is named bench-terminal-<run id> and gets the platform's
sandbox config. One change: its ssh.service may start more than 76 tasks,
so that 50 SSH sessions fit (see Benchmark.set_up). The Labsite servers
run with the test settings.

The script writes the result between the terminal markers of
docs/benchmarks.md unless --no-doc is given. It stops the servers, deletes
the container, its database rows and its files, also after an error,
Ctrl-C or SIGTERM.

The database is BENCHMARK_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/labsite_bench), created and migrated
when needed. DATABASE_URL is ignored on purpose, so the benchmark never
writes to a development database. The channel layer is BENCHMARK_REDIS_URL
(default redis://127.0.0.1:6379/0).
"""

import argparse
import asyncio
import base64
import importlib.metadata
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
import tempfile
import time
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/labsite_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

sys.path.insert(0, str(REPO_ROOT))
# settings_test adds test defaults to the production settings (secret key,
# allowed hosts, plain HTTP, static file storage); the server gets the same
# module, so the JWTs issued here validate there.
os.environ["DJANGO_SETTINGS_MODULE"] = "labsite.settings_test"
os.environ["DATABASE_URL"] = os.environ.get("BENCHMARK_DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ["REDIS_URL"] = os.environ.get("BENCHMARK_REDIS_URL", DEFAULT_REDIS_URL)

# WhiteNoise warns that collectstatic has not run, but no static file is served here.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from websockets.asyncio.client import connect as websocket_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.tokens import issue_tokens  # noqa: E402
from containers import lxd, services, ssh  # noqa: E402
from containers.errors import ContainerError  # noqa: E402
from containers.models import Container, Kind, Status  # noqa: E402

DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- terminal:start -->"
SECTION_END = "<!-- terminal:end -->"

SERVERS = ("labsite", "webssh", "wetty")
# The name of a second Labsite server that runs the code of --patched-root.
PATCHED = "patched"
MEASURES = ("memory", "echo", "throughput", "interrupt")
INSTANCE_PREFIX = "bench-terminal-"

# The file that the throughput test prints: base64 of 48 MiB of random
# bytes without line breaks, so exactly 64 MiB of output with no "\n" that
# the PTY would turn into "\r\n".
OUTPUT_FILE_BYTES = 64 * 1024 * 1024
OUTPUT_FILE_REMOTE = "/tmp/labsite-bench-64m"

# The prompt marker. The command that sets it types LSB''-PROMPT, which the
# shell joins to LSB-PROMPT, so the echo of the command never matches.
PROMPT = b"LSB-PROMPT> "
SET_PROMPT = b"unset PROMPT_COMMAND; PS1='LSB''-PROMPT> '\r"
# Printed after the 64 MiB by `printf '%s%s\n' LSB- DONE`, whose echo does not match.
DONE = b"LSB-DONE"

COLUMNS, ROWS = 80, 24

# Seconds `yes` runs, counted from its first output at the client, before Ctrl-C.
YES_SECONDS = 1.0
# The Labsite client acknowledges after this many processed bytes, as the
# page's client (static/js/terminal.js, ACK_BATCH_BYTES) does.
LABSITE_ACK_BATCH = 32 * 1024
# The wetty page commits this many characters at a time (FlowControlClient
# ackBytes in wetty 3.2.0's client).
WETTY_COMMIT_CHARACTERS = 2**18

# Targets that Labsite's terminal must meet.
TARGET_ECHO_P50 = 0.002
TARGET_ECHO_P99 = 0.005
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_INTERRUPT_SECONDS = 0.25

# Bounds, in seconds.
SERVER_START_TIMEOUT = 30
SESSION_OPEN_TIMEOUT = 30
PROMPT_TIMEOUT = 15
ECHO_TIMEOUT = 5
THROUGHPUT_TIMEOUT = 180
INTERRUPT_TIMEOUT = 60
STOP_TIMEOUT = 10
CLOSE_ALL_TIMEOUT = 10
# Seconds after the sessions of the memory test are open before it reads the memory.
MEMORY_SETTLE_SECONDS = 3

logger = logging.getLogger("benchmarks.terminal")


class BenchmarkError(Exception):
    pass


class SessionClosed(BenchmarkError):
    pass


# Clients. Each speaks one server's protocol and offers the same methods:
# open(), send_keys(bytes), read() -> bytes of output, processed(count)
# after the output was handled, and close().


def websocket_options(port):
    return {
        "origin": f"http://127.0.0.1:{port}",
        # A browser offers permessage-deflate, but none of the three servers
        # accepts it in the versions measured, so the result is the same.
        "compression": None,
        "max_size": None,
        # The client buffers at most 4 frames, so a slow client holds back
        # the server through TCP. A browser tab buffers without limit
        # instead, which moves a backlog but does not shorten it.
        "max_queue": 4,
        "ping_interval": None,
        "open_timeout": SESSION_OPEN_TIMEOUT,
        "close_timeout": 5,
    }


class LabsiteClient:
    name = "labsite"

    def __init__(self, port, container_id, user):
        self.port = port
        self.container_id = container_id
        self.user = user
        self.unacknowledged = 0
        self.socket = None

    async def open(self):
        token = await asyncio.to_thread(lambda: str(issue_tokens(self.user).access_token))
        uri = f"ws://127.0.0.1:{self.port}/ws/terminal/{self.container_id}/?token={token}"
        self.socket = await websocket_connect(uri, **websocket_options(self.port))
        message = json.loads(await self.socket.recv())
        if message.get("type") != "connected":
            raise BenchmarkError(f"Labsite sent {message!r} first, expected a connected message.")
        await self.socket.send(json.dumps({"type": "resize", "cols": COLUMNS, "rows": ROWS}))

    async def send_keys(self, data):
        await self.socket.send(data)

    async def read(self):
        while True:
            try:
                message = await self.socket.recv()
            except ConnectionClosed as error:
                raise SessionClosed(f"Labsite closed the terminal: {error}") from error
            if isinstance(message, bytes):
                return message
            control = json.loads(message)
            if control.get("type") == "closed":
                raise SessionClosed(f"Labsite closed the terminal: {control}")

    async def processed(self, count):
        self.unacknowledged += count
        if self.unacknowledged >= LABSITE_ACK_BATCH:
            await self.socket.send(json.dumps({"type": "ack", "bytes": self.unacknowledged}))
            self.unacknowledged = 0

    async def flush_acknowledgements(self):
        if self.unacknowledged:
            await self.socket.send(json.dumps({"type": "ack", "bytes": self.unacknowledged}))
            self.unacknowledged = 0

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


class WebsshClient:
    name = "webssh"

    def __init__(self, port, address, private_key):
        self.port = port
        self.address = address
        self.private_key = private_key
        self.socket = None

    async def open(self):
        worker_id = await asyncio.to_thread(self._request_worker)
        uri = f"ws://127.0.0.1:{self.port}/ws?id={urllib.parse.quote(worker_id)}"
        self.socket = await websocket_connect(uri, **websocket_options(self.port))
        await self.socket.send(json.dumps({"resize": [COLUMNS, ROWS]}))

    def _request_worker(self):
        """POST the SSH target to webssh, which connects and returns a worker id."""
        form = urllib.parse.urlencode(
            {
                "hostname": self.address,
                "port": "22",
                "username": "student",
                "privatekey": self.private_key,
                "term": "xterm-256color",
            }
        ).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/", data=form)
        with urllib.request.urlopen(request, timeout=SESSION_OPEN_TIMEOUT) as response:
            result = json.loads(response.read())
        if not result.get("id"):
            raise BenchmarkError(f"webssh did not open an SSH session: {result.get('status')}")
        return result["id"]

    async def send_keys(self, data):
        await self.socket.send(json.dumps({"data": data.decode()}))

    async def read(self):
        while True:
            try:
                message = await self.socket.recv()
            except ConnectionClosed as error:
                raise SessionClosed(f"webssh closed the terminal: {error}") from error
            if isinstance(message, bytes):
                return message

    async def processed(self, count):
        """webssh has no flow control messages."""

    async def flush_acknowledgements(self):
        pass

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


class WettyClient:
    name = "wetty"

    def __init__(self, port):
        self.port = port
        self.uncommitted = 0
        self.socket = None

    async def open(self):
        uri = f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket"
        self.socket = await websocket_connect(uri, **websocket_options(self.port))
        # Engine.IO's open packet is "0{...}", then Socket.IO's connect to
        # the main namespace is "40" both ways.
        opening = await self.socket.recv()
        if not opening.startswith("0"):
            raise BenchmarkError(f"wetty sent {opening[:80]!r}, expected an Engine.IO open packet.")
        await self.socket.send("40")
        # wetty listens for input only after it started ssh, which it
        # announces with the event "login"; earlier input is lost.
        while await self._next_packet() != '42["login"]':
            pass
        await self._emit("resize", {"cols": COLUMNS, "rows": ROWS})

    async def _next_packet(self):
        try:
            packet = await self.socket.recv()
        except ConnectionClosed as error:
            raise SessionClosed(f"wetty closed the socket: {error}") from error
        if packet == "2":
            # Engine.IO ping; wetty closes a socket that misses pongs for 10 s.
            await self.socket.send("3")
        return packet

    async def _emit(self, event, data):
        await self.socket.send("42" + json.dumps([event, data]))

    async def send_keys(self, data):
        await self._emit("input", data.decode())

    async def read(self):
        while True:
            packet = await self._next_packet()
            if not packet.startswith("42"):
                continue
            event = json.loads(packet[2:])
            if event[0] == "data":
                return event[1].encode()
            if event[0] == "logout":
                raise SessionClosed("wetty ended the session (logout)")

    async def processed(self, count):
        # Counts characters as wetty does; every output here is ASCII, so
        # characters and bytes are the same number.
        self.uncommitted += count
        while self.uncommitted >= WETTY_COMMIT_CHARACTERS:
            self.uncommitted -= WETTY_COMMIT_CHARACTERS
            await self._emit("commit", WETTY_COMMIT_CHARACTERS)

    async def flush_acknowledgements(self):
        pass

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


# Reading helpers


class MarkerSearch:
    """Find a marker in a stream of chunks, also when a chunk boundary splits it."""

    def __init__(self, marker):
        self.marker = marker
        self.tail = b""

    def feed(self, chunk):
        text = self.tail + chunk
        found = self.marker in text
        # Keep the bytes that could start a marker that the next chunk completes.
        self.tail = text[len(text) - len(self.marker) + 1 :] if len(self.marker) > 1 else b""
        return found


async def read_until(client, marker, *, timeout, rate=None):
    """Read output until marker; return the byte count. rate paces processing in bytes/s."""
    search = MarkerSearch(marker)
    pacer = Pacer(rate)
    deadline = time.monotonic() + timeout
    received = 0
    while True:
        chunk = await read_before(client, deadline, marker)
        received += len(chunk)
        await pacer.process(len(chunk))
        await client.processed(len(chunk))
        if search.feed(chunk):
            await client.flush_acknowledgements()
            return received


async def read_before(client, deadline, waiting_for):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError(f"{client.name}: timed out waiting for {waiting_for!r}")
    try:
        return await asyncio.wait_for(client.read(), remaining)
    except TimeoutError:
        raise TimeoutError(f"{client.name}: timed out waiting for {waiting_for!r}") from None


class Pacer:
    """A client that processes output at rate bytes per second (None: at once)."""

    def __init__(self, rate):
        self.rate = rate
        self.free_at = time.monotonic()

    async def process(self, count):
        if self.rate is None:
            return
        # A token bucket without a burst: a chunk takes count/rate seconds,
        # starting when the previous chunk is done or it arrived.
        self.free_at = max(self.free_at, time.monotonic()) + count / self.rate
        await asyncio.sleep(max(0.0, self.free_at - time.monotonic()))


async def open_shell(client):
    """Open a session and set the prompt marker; raise when either takes too long."""
    await asyncio.wait_for(client.open(), SESSION_OPEN_TIMEOUT)
    await client.send_keys(SET_PROMPT)
    await read_until(client, PROMPT, timeout=PROMPT_TIMEOUT)


# Measurements. Each opens its own sessions and closes them when it ends.


class EchoSession:
    """A session whose shell runs `cat`, for timing keystroke echoes in blocks."""

    LETTERS = b"abcdefghijklmnopqrstuvwxyz"

    def __init__(self, client, *, gap):
        self.client = client
        self.gap = gap
        self.typed = 0

    async def start(self, warmup=20):
        await open_shell(self.client)
        await self.client.send_keys(b"cat >/dev/null\r")
        await read_until(self.client, b"\n", timeout=PROMPT_TIMEOUT)
        # Let bash start cat and put the PTY back into canonical mode.
        await asyncio.sleep(0.3)
        await self.type_keys(warmup)

    async def type_keys(self, count):
        """Type count keystrokes one at a time; return the round trip of each in seconds."""
        round_trips = []
        for _ in range(count):
            if self.typed and self.typed % 60 == 0:
                # A new line now and then, so the line stays within the PTY's 4 KiB.
                await self.client.send_keys(b"\r")
                await read_until(self.client, b"\n", timeout=ECHO_TIMEOUT)
            index = self.typed % len(self.LETTERS)
            key = self.LETTERS[index : index + 1]
            sent = time.perf_counter()
            await self.client.send_keys(key)
            await read_until(self.client, key, timeout=ECHO_TIMEOUT)
            round_trips.append(time.perf_counter() - sent)
            self.typed += 1
            await asyncio.sleep(self.gap)
        return round_trips


async def measure_echo(clients, *, keystrokes, gap, blocks=10):
    """Return the echo round trips of each client's keystrokes, typed in turns.

    The clients take turns in blocks of keystrokes, so that a change in the
    machine's load during the test falls on all of them alike.
    """
    sessions = {client.name: EchoSession(client, gap=gap) for client in clients}
    round_trips = {name: [] for name in sessions}
    try:
        for session in sessions.values():
            await session.start()
        for block in range(blocks):
            count = keystrokes * (block + 1) // blocks - keystrokes * block // blocks
            for name, session in sessions.items():
                round_trips[name] += await session.type_keys(count)
        return round_trips
    finally:
        await close_all([session.client for session in sessions.values()])


@dataclass
class Throughput:
    # Bytes per second of the 64 MiB, from Enter to the end marker.
    rate: float
    # CPU seconds (user and system) that the server's process tree spent meanwhile.
    server_cpu: float


async def measure_throughput(client, server):
    """Time cat of the 64 MiB file from Enter to the end marker, and the server's CPU time."""
    await open_shell(client)
    try:
        command = f"cat {OUTPUT_FILE_REMOTE}; printf '%s%s\\n' LSB- DONE\r".encode()
        cpu_before = server.cpu_seconds()
        started = time.perf_counter()
        await client.send_keys(command)
        received = await read_until(client, DONE, timeout=THROUGHPUT_TIMEOUT)
        seconds = time.perf_counter() - started
        # Read before the session closes, while wetty's ssh process still exists.
        server_cpu = server.cpu_seconds() - cpu_before
        if received < OUTPUT_FILE_BYTES:
            raise BenchmarkError(
                f"{client.name}: received {received} bytes of output, "
                f"expected at least {OUTPUT_FILE_BYTES}."
            )
        return Throughput(OUTPUT_FILE_BYTES / seconds, server_cpu)
    finally:
        await client.close()


@dataclass
class Interrupt:
    # Seconds from Ctrl-C to the prompt, or None when it took over INTERRUPT_TIMEOUT.
    seconds: float | None
    # Output bytes the client processed between Ctrl-C and the prompt.
    bytes_after: int


async def measure_interrupt(client, *, rate):
    """Run yes, send Ctrl-C after YES_SECONDS, and time the prompt at a fixed read rate."""
    await open_shell(client)
    try:
        await client.send_keys(b"yes\r")
        await read_until(client, b"y\r\ny\r\n", timeout=PROMPT_TIMEOUT, rate=rate)
        first_output = time.monotonic()

        pacer = Pacer(rate)
        while time.monotonic() - first_output < YES_SECONDS:
            chunk = await read_before(client, first_output + PROMPT_TIMEOUT, "yes output")
            await pacer.process(len(chunk))
            await client.processed(len(chunk))

        interrupted = time.monotonic()
        await client.send_keys(b"\x03")
        search = MarkerSearch(PROMPT)
        received = 0
        deadline = interrupted + INTERRUPT_TIMEOUT
        while True:
            try:
                chunk = await read_before(client, deadline, PROMPT)
            except TimeoutError:
                return Interrupt(None, received)
            received += len(chunk)
            await pacer.process(len(chunk))
            await client.processed(len(chunk))
            if search.feed(chunk):
                return Interrupt(time.monotonic() - interrupted, received)
    finally:
        await client.close()


async def measure_memory(server, make_client, *, sessions):
    """Return the server tree's PSS in bytes before and after opening idle sessions."""
    # One session first, so that code loaded lazily is not counted per session.
    warmup = make_client()
    try:
        await open_shell(warmup)
    finally:
        await warmup.close()
    await asyncio.sleep(1)
    before = server.memory()
    clients = []
    try:
        for _ in range(sessions):
            client = make_client()
            clients.append(client)
            await asyncio.wait_for(client.open(), SESSION_OPEN_TIMEOUT)
            # The shell's first output (its prompt) shows that it is ready.
            await read_before(client, time.monotonic() + PROMPT_TIMEOUT, "first output")
        await asyncio.sleep(MEMORY_SETTLE_SECONDS)
        after = server.memory()
    finally:
        await close_all(clients)
    return before, after


async def close_all(clients):
    """Close the clients at once, waiting at most CLOSE_ALL_TIMEOUT seconds in all."""
    closing = asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
    try:
        await asyncio.wait_for(closing, CLOSE_ALL_TIMEOUT)
    except TimeoutError:
        logger.warning("Some sessions did not close within %s s", CLOSE_ALL_TIMEOUT)


# Servers


@dataclass
class Server:
    name: str
    command: list[str]
    log_path: Path
    environment: dict[str, str] | None = None
    cwd: Path | None = None
    port: int = 0
    process: subprocess.Popen | None = None
    log: object = None

    def start(self):
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.environment,
            cwd=self.cwd,
            # A group of its own, so stop() ends the children (wetty's ssh) too.
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not port_open(self.port):
            if self.process.poll() is not None:
                raise BenchmarkError(
                    f"{self.name} exited with {self.process.returncode} at start:\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise BenchmarkError(
                    f"{self.name} did not listen on 127.0.0.1:{self.port} within "
                    f"{SERVER_START_TIMEOUT} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)
        except ProcessLookupError:
            pass
        finally:
            self.log.close()

    def memory(self):
        """Return the PSS in bytes of the server process and all its descendants."""
        return sum(proportional_set_size(pid) for pid in process_tree(self.process.pid))

    def cpu_seconds(self):
        """Return the user and system CPU seconds of the server process and its descendants.

        A process's counts include its threads that have ended, but not its
        child processes that have ended.
        """
        return sum(cpu_seconds(pid) for pid in process_tree(self.process.pid))

    def log_tail(self, lines=20):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def process_tree(root):
    """Return root's pid and those of its descendants, from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The name in brackets may contain spaces, so split after its ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def cpu_seconds(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields 14 and 15 (utime, stime), counted after the ")" that ends the name.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proportional_set_size(pid):
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


# References: the raw PTY rate and the OpenSSH client


def time_output(command, *, expected_bytes, start_marker=b"", local_pty=True):
    """Return bytes/s of command's output, read from a pipe.

    With local_pty, the command runs on a local PTY under `script`, and the
    output passes through that PTY. With start_marker, the clock starts when
    the marker has arrived, which leaves out the SSH connect.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [find_program("script"), "-qfc", command, "/dev/null"] if local_pty else command,
        shell=not local_pty,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    received = 0
    try:
        deadline = started + THROUGHPUT_TIMEOUT
        if start_marker:
            head = b""
            while start_marker not in head:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk or time.perf_counter() > deadline:
                    raise BenchmarkError(
                        f"{command!r} printed no {start_marker!r}: {head[-200:]!r}"
                    )
                head += chunk
            started = time.perf_counter()
            received = len(head) - head.index(start_marker) - len(start_marker)
        while chunk := os.read(process.stdout.fileno(), 1024 * 1024):
            received += len(chunk)
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"{command!r} took over {THROUGHPUT_TIMEOUT} s")
        seconds = time.perf_counter() - started
    finally:
        process.kill()
        process.wait()
    if received < expected_bytes:
        raise BenchmarkError(f"{command!r} printed {received} bytes, expected {expected_bytes}.")
    return expected_bytes / seconds


def find_program(name):
    path = shutil.which(name)
    if path is None:
        raise BenchmarkError(f"{name} is not on PATH: install it.")
    return path


# The benchmark


class Instance:
    """A running LXD instance with the sandbox config, made as the platform makes one.

    Its name does not start with the platform's "ls-", because the test
    fixture lxd_cleanup deletes every new "ls-" instance when a test ends,
    also one that a benchmark running at the same time made.
    """

    def __init__(self, name):
        self.name = name
        self.address = None
        self.host_key = None

    def launch(self):
        container = Container(kind=Kind.SANDBOX, image=settings.LXD_IMAGE, name=self.name)
        self.address, self.host_key = services.provision_instance(container)

    def connect(self, user):
        return ssh.connect(self.address, user=user, host_key=self.host_key)

    def run_as_root(self, command, *, timeout=120):
        with self.connect("root") as ssh_connection:
            result = ssh_connection.run(command, timeout=timeout, max_output=65536)
        if result.exit_status != 0:
            raise BenchmarkError(
                f"{command!r} in {self.name} exited with {result.exit_status}: "
                f"{result.stderr.decode(errors='replace')}"
            )
        return result.stdout.decode(errors="replace")


@dataclass
class Results:
    echo: dict[str, list[float]] = field(default_factory=dict)
    throughput: dict[str, list[Throughput]] = field(default_factory=dict)
    interrupt: dict[tuple[str, float], list[Interrupt]] = field(default_factory=dict)
    memory: dict[str, tuple[int, int]] = field(default_factory=dict)
    raw_pty: list[float] = field(default_factory=list)
    openssh: list[float] = field(default_factory=list)


class Benchmark:
    """The container, the servers and the rows, and everything cleanup must remove."""

    def __init__(self, arguments):
        self.arguments = arguments
        self.run_id = secrets.token_hex(3)
        self.work_dir = Path(tempfile.mkdtemp(prefix="labsite-bench-terminal-"))
        self.instance = None
        self.user = None
        self.container = None
        self.servers = {}

    # Setup and cleanup

    def set_up(self):
        prepare_database()
        lxd.reset_client()
        lxd.check_connection()
        print("launching the container", flush=True)
        self.instance = Instance(f"{INSTANCE_PREFIX}{self.run_id}")
        self.instance.launch()
        self.user = User(
            username=f"bench-terminal-{self.run_id}",
            email=f"bench-terminal-{self.run_id}@example.test",
            role=Role.STUDENT,
        )
        self.user.set_unusable_password()
        self.user.save()

        self.container = Container.objects.create(
            owner=self.user,
            kind=Kind.SANDBOX,
            name=self.instance.name,
            image=settings.LXD_IMAGE,
            status=Status.RUNNING,
            ip_address=self.instance.address,
            host_key=self.instance.host_key,
        )
        self.write_output_files()

        # Every SSH session's processes (sshd twice and the shell) stay in
        # ssh.service, whose TasksMax is systemd's default of 15 % of the
        # container's limits.processes (76 of 512), so sshd cannot fork for a
        # 26th session. Lifted in this container only, for the memory test.
        self.instance.run_as_root("systemctl set-property --runtime ssh.service TasksMax=infinity")
        self.known_hosts = self.work_dir / "known_hosts"
        self.known_hosts.write_text(f"{self.instance.address} {self.instance.host_key}\n")

    def write_output_files(self):
        """Write the 64 MiB base64 file in the container and on this machine."""
        self.instance.run_as_root(
            f"head -c {OUTPUT_FILE_BYTES * 3 // 4} /dev/urandom | base64 -w0 > "
            f"{OUTPUT_FILE_REMOTE} && chmod 644 {OUTPUT_FILE_REMOTE}"
        )
        self.local_output_file = self.work_dir / "output-64m"
        with self.local_output_file.open("wb") as file:
            file.write(base64.b64encode(os.urandom(OUTPUT_FILE_BYTES * 3 // 4)))

    def start_servers(self):
        for name in server_names(self.arguments):
            server = self.make_server(name)
            self.servers[name] = server
            print(f"starting {name} on 127.0.0.1:{server.port}", flush=True)
            server.start()

    def stop_servers(self):
        for server in self.servers.values():
            server.stop()

    def make_server(self, name):
        port = free_port()
        log_path = self.work_dir / f"{name}.log"
        if name in ("labsite", PATCHED):
            root = REPO_ROOT if name == "labsite" else Path(self.arguments.patched_root).resolve()
            environment = dict(os.environ)
            environment.update(
                ALLOWED_HOSTS="127.0.0.1",
                DJANGO_SETTINGS_MODULE="labsite.settings_test",
                PYTHONPATH=str(root),
                PYTHONUNBUFFERED="1",
            )
            command = [
                str(REPO_ROOT / ".venv" / "bin" / "python"),
                "-m", "labsite.serve",
                "--host", "127.0.0.1",
                "--port", str(port),
            ]  # fmt: skip
            return Server(name, command, log_path, environment, root, port)
        if name == "webssh":
            command = [
                self.arguments.wssh,
                "--address=127.0.0.1",
                f"--port={port}",
                # The form is posted by this script, not by webssh's page,
                # so there is no XSRF cookie to send.
                "--xsrf=False",
                # The default limit is 20 live sessions per client address.
                f"--maxconn={self.arguments.sessions + 10}",
                # Check the container's host key as Labsite does.
                "--policy=reject",
                f"--hostfile={self.known_hosts}",
                "--logging=warning",
            ]
            return Server(name, command, log_path, port=port)
        command = [
            self.arguments.wetty,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--ssh-host", self.instance.address,
            "--ssh-user", "student",
            "--ssh-auth", "publickey",
            "--ssh-key", settings.SSH_KEY_PATH,
            "--known-hosts", str(self.known_hosts),
            "--ssh-config", "/dev/null",
            "--log-level", "warn",
        ]  # fmt: skip
        return Server(name, command, log_path, port=port)

    def make_client(self, name):
        port = self.servers[name].port
        if name in ("labsite", PATCHED):
            client = LabsiteClient(port, self.container.pk, self.user)
            client.name = name
            return client
        if name == "webssh":
            private_key = Path(settings.SSH_KEY_PATH).read_text()
            return WebsshClient(port, self.instance.address, private_key)
        return WettyClient(port)

    def clean_up(self):
        """Stop the servers, delete the container, rows and files; log what could not be."""
        self.stop_servers()
        if self.instance is not None:
            try:
                lxd.delete_instance(self.instance.name)
            except ContainerError:
                logger.exception("Deleting the instance %s failed", self.instance.name)
        if self.user is not None:
            # The container row and its events go with the user (CASCADE).
            self.user.delete()
        if self.arguments.keep_logs:
            print(f"Server logs kept in {self.work_dir}", file=sys.stderr)
            (self.work_dir / "output-64m").unlink(missing_ok=True)
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # The measurements

    def measure(self):
        arguments = self.arguments
        results = Results()
        order = server_names(arguments)
        measures = arguments.only or MEASURES

        for name in order if "memory" in measures else ():
            print(f"{name}: memory of {arguments.sessions} idle sessions", flush=True)
            results.memory[name] = self.run(
                measure_memory(
                    self.servers[name],
                    lambda name=name: self.make_client(name),
                    sessions=arguments.sessions,
                )
            )

        if "echo" in measures:
            print(f"echo of {arguments.keystrokes} keystrokes per server", flush=True)
            results.echo = self.run(
                measure_echo(
                    [self.make_client(name) for name in order],
                    keystrokes=arguments.keystrokes,
                    gap=arguments.keystroke_gap,
                )
            )

        for repeat in range(arguments.repeats if "throughput" in measures else 0):
            print(f"throughput, round {repeat + 1}/{arguments.repeats}", flush=True)
            results.raw_pty.append(
                time_output(f"cat {self.local_output_file}", expected_bytes=OUTPUT_FILE_BYTES)
            )
            results.openssh.append(
                time_output(
                    self.openssh_command(f"printf S; cat {OUTPUT_FILE_REMOTE}"),
                    expected_bytes=OUTPUT_FILE_BYTES,
                    start_marker=b"S",
                    # Like the web terminals, the OpenSSH client gets the
                    # output of the container's PTY without a PTY of its own.
                    local_pty=False,
                )
            )
            for name in order:
                results.throughput.setdefault(name, []).append(
                    self.run(measure_throughput(self.make_client(name), self.servers[name]))
                )

        for repeat in range(arguments.repeats if "interrupt" in measures else 0):
            for rate in arguments.rates:
                print(
                    f"Ctrl-C during yes at {rate / 1e6:g} MB/s, "
                    f"round {repeat + 1}/{arguments.repeats}",
                    flush=True,
                )
                for name in order:
                    results.interrupt.setdefault((name, rate), []).append(
                        self.run(measure_interrupt(self.make_client(name), rate=rate))
                    )
        return results

    def run(self, coroutine):
        if self.arguments.profile and "labsite" in self.servers:
            return self.run_profiled(coroutine)
        return asyncio.run(coroutine)

    def run_profiled(self, coroutine):
        """Run a measurement while py-spy records the Labsite server, into --profile."""
        directory = Path(self.arguments.profile)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{coroutine.__name__}-{len(list(directory.iterdir()))}"
        recorder = subprocess.Popen(
            [
                str(REPO_ROOT / ".venv" / "bin" / "py-spy"), "record",
                "--pid", str(self.servers["labsite"].process.pid),
                "--threads", "--rate", "200", "--format", "speedscope",
                "--output", str(directory / f"{name}.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            return asyncio.run(coroutine)
        finally:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(STOP_TIMEOUT)

    def openssh_command(self, remote_command):
        return " ".join(
            [
                find_program("ssh"), "-tt",
                "-F", "/dev/null",
                "-i", settings.SSH_KEY_PATH,
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes",
                "-o", "LogLevel=ERROR",
                f"student@{self.instance.address}",
                f"'{remote_command}'",
            ]
        )  # fmt: skip


def prepare_database():
    """Create the benchmark database unless it exists, and apply the migrations."""
    # The test-database utilities with keepdb create the database once and
    # never drop it. TEST NAME = NAME makes them use the configured name
    # rather than "test_<name>".
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, keepdb=True, serialize=False)


def server_names(arguments):
    names = [name for name in SERVERS if name not in arguments.skip]
    if arguments.patched_root:
        names.insert(1, PATCHED)
    return names


# Report


def percentile(values, fraction):
    """Return the value at fraction (0..1) of the sorted values, by the nearest rank."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def median_interrupt(interrupts):
    """Return the median Interrupt of a server and rate; one over the bound counts as slowest."""
    ordered = sorted(
        interrupts, key=lambda item: float("inf") if item.seconds is None else item.seconds
    )
    return ordered[(len(ordered) - 1) // 2]


@dataclass
class Row:
    label: str
    unit: str
    # Value per server; None when the measurement went over its bound.
    values: dict[str, float | None]
    target: str
    # Whether Labsite meets the target, or None when the row has none.
    passed: bool | None
    decimals: int = 2


def summarize(results, arguments):
    """Return the figures of the summary table, one Row per measure."""
    rows = []
    if results.echo:
        webssh = results.echo.get("webssh")
        for label, fraction, target in (
            ("median", 0.5, TARGET_ECHO_P50),
            ("p99", 0.99, TARGET_ECHO_P99),
        ):
            values = {
                name: percentile(round_trips, fraction) * 1000
                for name, round_trips in results.echo.items()
            }
            labsite = values.get("labsite")
            rows.append(
                Row(
                    f"keystroke echo, {label}",
                    "ms",
                    values,
                    f"≤ {target * 1000:g} ms and ≤ webssh",
                    labsite is not None
                    and labsite <= target * 1000
                    and (webssh is None or labsite <= values["webssh"]),
                )
            )
    if results.throughput:
        raw = statistics.median(results.raw_pty) / 1e6
        values = {
            name: statistics.median(item.rate for item in runs) / 1e6
            for name, runs in results.throughput.items()
        }
        labsite = values.get("labsite")
        rows.append(
            Row(
                "output throughput, 64 MiB",
                "MB/s",
                values,
                f"≥ {TARGET_THROUGHPUT_RATIO:g} of raw PTY = "
                f"{TARGET_THROUGHPUT_RATIO * raw:.0f} MB/s",
                labsite is not None and labsite >= TARGET_THROUGHPUT_RATIO * raw,
                decimals=1,
            )
        )
        cpu = {
            name: statistics.median(item.server_cpu for item in runs)
            for name, runs in results.throughput.items()
        }
        rows.append(Row("server CPU time for the 64 MiB", "s", cpu, "-", None))
    for rate in arguments.rates:
        values = {
            name: median_interrupt(interrupts).seconds
            for (name, measured_rate), interrupts in results.interrupt.items()
            if measured_rate == rate
        }
        if values:
            labsite = values.get("labsite")
            rows.append(
                Row(
                    f"Ctrl-C to prompt, client at {rate / 1e6:g} MB/s",
                    "s",
                    values,
                    f"≤ {TARGET_INTERRUPT_SECONDS:g} s",
                    labsite is not None and labsite <= TARGET_INTERRUPT_SECONDS,
                    decimals=3,
                )
            )
    if results.memory:
        values = {
            name: (after - before) / arguments.sessions / 2**20
            for name, (before, after) in results.memory.items()
        }
        rows.append(Row("memory per idle session (PSS)", "MiB", values, "-", None))
    return rows


def format_value(value, decimals):
    if value is None:
        return f"> {INTERRUPT_TIMEOUT:g} (timed out)"
    return f"{value:.{decimals}f}"


def format_ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return "-"
    return f"{numerator / denominator:.2f}"


def render_summary(rows, servers):
    comparisons = [name for name in servers if name != "labsite"]
    columns = ["measure", "unit", *servers]
    columns += [f"labsite / {name}" for name in comparisons]
    columns += ["target", "labsite meets it"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [row.label, row.unit]
        cells += [format_value(row.values.get(name), row.decimals) for name in servers]
        cells += [
            format_ratio(row.values.get("labsite"), row.values.get(name)) for name in comparisons
        ]
        if row.passed is None:
            verdict = "-"
        else:
            verdict = "yes" if row.passed else "**no**"
        cells += [row.target, verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_throughput(results, servers):
    raw = statistics.median(results.raw_pty) / 1e6
    openssh = statistics.median(results.openssh) / 1e6
    lines = [
        "| source | MB/s (median) | runs, MB/s | ÷ raw PTY | ÷ OpenSSH client "
        "| server CPU s (median) | runs, server CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    sources = [("raw PTY (`script`, local)", results.raw_pty, None)]
    sources.append(("OpenSSH client (`ssh -tt`, output to a pipe)", results.openssh, None))
    for name in servers:
        runs = results.throughput[name]
        sources.append((name, [item.rate for item in runs], [item.server_cpu for item in runs]))
    for label, rates, cpu in sources:
        rate = statistics.median(rates) / 1e6
        rate_runs = ", ".join(f"{value / 1e6:.1f}" for value in rates)
        cpu_median = "-" if cpu is None else f"{statistics.median(cpu):.2f}"
        cpu_runs = "-" if cpu is None else ", ".join(f"{value:.2f}" for value in cpu)
        lines.append(
            f"| {label} | {rate:.1f} | {rate_runs} | {rate / raw:.2f} | {rate / openssh:.2f} "
            f"| {cpu_median} | {cpu_runs} |"
        )
    return "\n".join(lines)


def render_interrupts(results, arguments, servers):
    lines = [
        "| server | client rate | Ctrl-C to prompt, s (median) | runs, s "
        "| output after Ctrl-C, KiB (median run) |",
        "|---|---|---|---|---|",
    ]
    for name in servers:
        for rate in arguments.rates:
            interrupts = results.interrupt[(name, rate)]
            median = median_interrupt(interrupts)
            runs = ", ".join(format_value(item.seconds, 3) for item in interrupts)
            lines.append(
                f"| {name} | {rate / 1e6:g} MB/s | {format_value(median.seconds, 3)} | {runs} "
                f"| {median.bytes_after / 1024:.0f} |"
            )
    return "\n".join(lines)


def render_memory(results, arguments, servers):
    lines = [
        f"| server | PSS before, MiB | PSS with {arguments.sessions} sessions, MiB "
        "| per session, MiB |",
        "|---|---|---|---|",
    ]
    for name in servers:
        before, after = results.memory[name]
        per_session = (after - before) / arguments.sessions / 2**20
        lines.append(f"| {name} | {before / 2**20:.1f} | {after / 2**20:.1f} | {per_session:.2f} |")
    return "\n".join(lines)


def render_verdicts(results, arguments):
    """Return a Markdown list of Labsite's figure, the target and the verdict per target."""
    items = []
    echo = results.echo.get("labsite")
    if echo:
        median, p99 = percentile(echo, 0.5) * 1000, percentile(echo, 0.99) * 1000
        met = median <= TARGET_ECHO_P50 * 1000 and p99 <= TARGET_ECHO_P99 * 1000
        text = (
            f"**Keystroke echo**: median {median:.2f} ms and p99 {p99:.2f} ms, against at "
            f"most {TARGET_ECHO_P50 * 1000:g} and {TARGET_ECHO_P99 * 1000:g} ms: {verdict(met)}."
        )
        webssh = results.echo.get("webssh")
        if webssh:
            webssh_median = percentile(webssh, 0.5) * 1000
            webssh_p99 = percentile(webssh, 0.99) * 1000
            met = median <= webssh_median and p99 <= webssh_p99
            text += (
                f" No worse than webssh, which has {webssh_median:.2f} and {webssh_p99:.2f} ms: "
                f"{verdict(met)}."
            )
        items.append(text)

    runs = results.throughput.get("labsite")
    if runs:
        rate = statistics.median(item.rate for item in runs) / 1e6
        raw = statistics.median(results.raw_pty) / 1e6
        openssh = statistics.median(results.openssh) / 1e6
        text = (
            f"**Output throughput**: {rate:.1f} MB/s, {rate / raw:.2f} of the raw PTY rate of "
            f"{raw:.1f} MB/s, against at least {TARGET_THROUGHPUT_RATIO:g}: "
            f"{verdict(rate >= TARGET_THROUGHPUT_RATIO * raw)}."
        )
        text += (
            f" The OpenSSH client, reading the same file from the same container, "
            f"reaches {openssh:.1f} MB/s, {openssh / raw:.2f} of the raw PTY rate, and "
            f"Labsite {rate / openssh:.2f} of the OpenSSH client's rate."
        )
        items.append(text)

    for rate in arguments.rates:
        interrupts = results.interrupt.get(("labsite", rate))
        if not interrupts:
            continue
        seconds = median_interrupt(interrupts).seconds
        met = seconds is not None and seconds <= TARGET_INTERRUPT_SECONDS
        figure = f"over {INTERRUPT_TIMEOUT:g} s" if seconds is None else f"{seconds:.3f} s"
        items.append(
            f"**Ctrl-C to prompt, client at {rate / 1e6:g} MB/s**: {figure}, "
            f"against at most {TARGET_INTERRUPT_SECONDS:g} s: {verdict(met)}."
        )

    memory = results.memory.get("labsite")
    if memory:
        before, after = memory
        per_session = (after - before) / arguments.sessions / 2**20
        items.append(
            f"**Memory per idle session**: {per_session:.2f} MiB of PSS, measured over "
            f"{arguments.sessions} sessions. There is no target for it."
        )
    return "\n".join(f"- {item}" for item in items)


def verdict(met):
    return "met" if met else "**missed**"


def command_line(arguments):
    """Return the shell command that repeats this run, without machine-specific paths."""
    options = [
        "--wssh /tmp/bench-tools/webssh/bin/wssh",
        "--wetty /tmp/bench-tools/wetty/node_modules/.bin/wetty",
    ]
    options += [f"--skip {name}" for name in arguments.skip]
    if arguments.patched_root:
        options.append("--patched-root PATCHED_COPY")
    options.append(f"--keystrokes {arguments.keystrokes}")
    options.append(f"--keystroke-gap {arguments.keystroke_gap:g}")
    options.append(f"--repeats {arguments.repeats}")
    options.append(f"--sessions {arguments.sessions}")
    options.append("--rates " + " ".join(f"{rate / 1e6:g}e6" for rate in arguments.rates))
    return " \\\n        ".join([".venv/bin/python benchmarks/terminal.py", *options])


def render_section(results, arguments, *, environment):
    servers = server_names(arguments)
    versions = environment["versions"]
    # systemd's DefaultTasksMax is 15 % of the tasks that the cgroup allows.
    ssh_tasks = settings.CONTAINER_PROCESSES * 15 // 100
    patched_note = ""
    if arguments.patched_root:
        patched_note = (
            f"The column {PATCHED} is a second Labsite server that runs a patched copy of the\n"
            "Labsite code, against the same container and database.\n\n"
        )
    return f"""## Terminal

Labsite's terminal WebSocket beside two other web terminals. Both reach the
same container over SSH as the user `student`: webssh {versions["webssh"]}
runs Tornado and paramiko in one Python process, like Labsite, and wetty
{versions["wetty"]} (Node.js) runs the OpenSSH client on a PTY per session.
All three ran on loopback on this machine, each driven by a
minimal client of its own protocol in the benchmark script.

Measured on {environment["date"]} on {environment["machine"]}. The load
average (1 min) was {environment["load"]} at the start and end of the run.
Client, servers and container share the machine's cores, so other work on
the machine changes the numbers. The ratios compare figures of the same
run.

    python3 -m venv /tmp/bench-tools/webssh
    /tmp/bench-tools/webssh/bin/pip install webssh=={versions["webssh"]}
    npm install --prefix /tmp/bench-tools/wetty wetty@{versions["wetty"]}
    . scripts/lib.sh; load_lxd_settings
    {command_line(arguments)}

{render_summary(summarize(results, arguments), servers)}

{patched_note}A column "labsite / X" divides Labsite's figure by server X's figure of the
same run: below 1 is better for times, CPU time and memory, above 1 is better for
throughput.

### Targets

{render_verdicts(results, arguments)}

### How each figure is measured

- **Keystroke echo**: one session per server runs `cat >/dev/null`, so the
  echo comes from the PTY itself and no shell work is timed. Each keystroke
  is timed from the client's send to the arrival of its echo, and the next
  one follows {arguments.keystroke_gap * 1000:g} ms after that. Each server
  gets {arguments.keystrokes} counted keystrokes after 20 warm-up ones, and
  the servers take turns in 10 blocks.
- **Output throughput**: `cat` of a file of 64 MiB of base64 text without
  line breaks in the container, timed from the Enter that starts it to an
  end marker printed after it. The client reads and acknowledges as fast as
  it can. The raw PTY rate is `script -qfc "cat FILE" /dev/null`
  of a file of the same kind on this machine, read from the stdout of
  `script`. The OpenSSH client is `ssh -tt student@CONTAINER cat FILE`
  with its output to a pipe, so that, as for the web terminals, the output
  crosses the container's PTY and no other. It is clocked from its first
  output, so it leaves out the SSH handshake. All rounds alternate between
  the sources. The server CPU time
  is the user and system time of the server's process tree (for wetty with
  its `ssh` process) from Enter to the end marker. It depends less on other
  work on the machine than the rate does.
- **Ctrl-C to prompt**: the client processes output at a fixed rate: it
  sleeps `bytes / rate` per frame (a token bucket without burst) before it
  takes the next frame. The Labsite client acknowledges every
  {LABSITE_ACK_BATCH // 1024} KiB processed, as the page's client does. The
  wetty client commits {WETTY_COMMIT_CHARACTERS // 1024} K characters at a
  time, as the wetty page does. webssh has no flow control. `yes` runs
  until {YES_SECONDS:g} s after its first output reached the client; the
  clock runs from sending Ctrl-C until the client has processed the prompt,
  a PS1 marker. Median of {arguments.repeats} runs, each bounded to
  {INTERRUPT_TIMEOUT:g} s.
- **Memory per idle session**: the proportional set size (PSS, from
  `/proc/PID/smaps_rollup`) of the server's process tree before and after
  {arguments.sessions} sessions are open at the prompt, divided by
  {arguments.sessions}. Measured first, on freshly started servers, after
  one warm-up session. For wetty the tree includes the `ssh` process of
  each session. The sshd and shells in the container are not counted.

### Details

{render_throughput(results, servers)}

{render_interrupts(results, arguments, servers)}

{render_memory(results, arguments, servers)}

### Settings of this run

- Labsite: `TERMINAL_HIGH_WATERMARK` {settings.TERMINAL_HIGH_WATERMARK // 1024} KiB,
  `TERMINAL_LOW_WATERMARK` {settings.TERMINAL_LOW_WATERMARK // 1024} KiB and
  `TERMINAL_SSH_WINDOW` {settings.TERMINAL_SSH_WINDOW // 1024} KiB, served by
  `python -m labsite.serve --host 127.0.0.1 --port PORT` (uvicorn
  {environment["server_versions"]}) with the test settings and Redis as the
  channel layer. SSH connections negotiate AES-GCM.
- webssh: `wssh --address=127.0.0.1 --port=PORT --xsrf=False
  --maxconn={arguments.sessions + 10} --policy=reject --hostfile=FILE`, with
  the container's host key in FILE. The client posts the form with the
  platform's private key.
- wetty: `wetty --host 127.0.0.1 --port PORT --ssh-host CONTAINER
  --ssh-user student --ssh-auth publickey --ssh-key $SSH_KEY_PATH
  --known-hosts FILE --ssh-config /dev/null`.
- The container has the platform's sandbox config
  ({settings.CONTAINER_CPU} CPU, {settings.CONTAINER_MEMORY},
  {settings.CONTAINER_PROCESSES} processes). One change: systemd's default
  TasksMax of ssh.service (15 % of the process limit, {ssh_tasks} tasks,
  which is {ssh_tasks // 3} SSH sessions of 3 processes each) is lifted, so
  that the memory test can open {arguments.sessions} sessions.
"""


INTRO = """# Benchmarks

Measured numbers of Labsite. Each section is written by the script under
`benchmarks/` that it names, and a rerun of that script replaces it. A
section gives the command, the date, the machine and the numbers of one run
on that machine, so other hardware gives other numbers.
"""

INDEX_ENTRY = """- **Terminal** (`benchmarks/terminal.py`): keystroke echo, output
  throughput, Ctrl-C under a slow client and memory per session of the
  terminal WebSocket, beside webssh and wetty on the same container.
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
        text = add_index_entry(text)
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text)


def add_index_entry(text):
    """Add the terminal entry to the intro's list, before the first section."""
    if "benchmarks/terminal.py" in text:
        return text
    first_section = text.find("<!-- ")
    if first_section == -1:
        return f"{text.rstrip()}\n\n{INDEX_ENTRY}"
    head = text[:first_section].rstrip()
    return f"{head}\n{INDEX_ENTRY}\n{text[first_section:]}"


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
    ssh_version = subprocess.run(
        [find_program("ssh"), "-V"], capture_output=True, text=True, check=False
    ).stderr.strip()
    node_version = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{model}, {os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Linux {host_platform.release()}, LXD {lxd.check_connection()}, "
        f"Python {host_platform.python_version()}, Node.js {node_version}, "
        f"{ssh_version.split(',')[0]}"
    )


def tool_versions(arguments):
    versions = {"webssh": "?", "wetty": "?"}
    if "webssh" not in arguments.skip:
        result = subprocess.run(
            [arguments.wssh, "--version"], capture_output=True, text=True, check=False
        )
        versions["webssh"] = (result.stdout or result.stderr).strip().split()[-1]
    if "wetty" not in arguments.skip:
        result = subprocess.run(
            [arguments.wetty, "--version"], capture_output=True, text=True, check=False
        )
        versions["wetty"] = result.stdout.strip()
    return versions


def print_results(results, arguments):
    servers = server_names(arguments)
    print(render_summary(summarize(results, arguments), servers))
    if results.throughput:
        print(render_throughput(results, servers))
    if results.interrupt:
        print(render_interrupts(results, arguments, servers))
    if results.memory:
        print(render_memory(results, arguments, servers))


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wssh",
        default=shutil.which("wssh"),
        help="path of webssh's wssh program (default: wssh on PATH)",
    )
    parser.add_argument(
        "--wetty",
        default=shutil.which("wetty"),
        help="path of the wetty program (default: wetty on PATH)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        choices=["webssh", "wetty"],
        default=[],
        help="leave out a comparison server; may be given twice",
    )
    parser.add_argument(
        "--keystrokes", type=int, default=1000, help="counted keystrokes (default: 1000)"
    )
    parser.add_argument(
        "--keystroke-gap",
        type=float,
        default=0.01,
        help="seconds between an echo and the next keystroke (default: 0.01)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of the throughput and Ctrl-C tests per server and rate (default: 3)",
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[10e6, 2.5e6],
        help="read rates of the Ctrl-C test, in bytes/s (default: 10e6 2.5e6)",
    )
    parser.add_argument(
        "--sessions", type=int, default=50, help="idle sessions of the memory test (default: 50)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=MEASURES,
        default=[],
        help="run only this measurement, may be given more than once; the result is "
        "printed and not written to the document (default: all of them)",
    )
    parser.add_argument(
        "--patched-root",
        metavar="DIR",
        help=f"also measure a second Labsite server, named {PATCHED!r}, that runs the code "
        "of DIR, a patched copy of this repository that uses this repository's .venv",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record the Labsite server with py-spy during each measurement, as speedscope "
        "files in DIR",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help=f"print the result only, do not write {DOC_PATH}"
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the servers' logs in the temporary directory"
    )
    arguments = parser.parse_args()
    if arguments.keystrokes < 1 or arguments.repeats < 1 or arguments.sessions < 1:
        parser.error("--keystrokes, --repeats and --sessions must be at least 1")
    if arguments.only:
        arguments.no_doc = True
    if not all(rate > 0 for rate in arguments.rates):
        parser.error("--rates must be positive")
    for name, path in (("webssh", arguments.wssh), ("wetty", arguments.wetty)):
        if name not in arguments.skip and not path:
            option = "--wssh" if name == "webssh" else "--wetty"
            parser.error(f"{name} not found: give its program with {option}, or --skip {name}")
    return arguments


def stop_on_signal(signum, frame):
    # Raised in the main thread, so the cleanup in main()'s finally runs. For
    # SIGINT, asyncio.run() would cancel the running measurement instead,
    # and a measurement may swallow that cancellation and go on.
    raise KeyboardInterrupt


def main():
    arguments = parse_arguments()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("containers").setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)

    benchmark = Benchmark(arguments)
    load_at_start = load_average()
    try:
        benchmark.set_up()
        benchmark.start_servers()
        results = benchmark.measure()
        environment = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": describe_machine(),
            "load": f"{load_at_start} and {load_average()}",
            "versions": tool_versions(arguments),
            "server_versions": ", ".join(
                f"{package} {importlib.metadata.version(package)}"
                for package in ("uvicorn", "uvloop", "websockets")
            ),
        }
    except KeyboardInterrupt:
        print("Interrupted. Stopping the servers and deleting the container.", file=sys.stderr)
        return 130
    except (BenchmarkError, ContainerError, TimeoutError) as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        for server in benchmark.servers.values():
            print(f"--- last lines of the {server.name} log:\n{server.log_tail()}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not stop the cleanup halfway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        benchmark.clean_up()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    print_results(results, arguments)
    print(f"load average (1 min) at the start and end: {environment['load']}")
    if not arguments.no_doc:
        write_section(DOC_PATH, render_section(results, arguments, environment=environment))
        print(f"Wrote the terminal section of {DOC_PATH.relative_to(REPO_ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
