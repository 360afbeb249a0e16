"""The terminal consumer against a real container, through Channels' WebsocketCommunicator.

The consumer reads the database from worker threads, so the tests commit
their rows (transactional database). All tests share one LXD instance; each
gives it a fresh Container row.
"""

import asyncio
import itertools
import json
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.tokens import issue_tokens
from containers import terminal
from containers.consumers import close_container_terminals
from containers.models import Container, Kind, Status, TerminalRecording
from containers.recording import recording_file
from labsite.asgi import application

pytestmark = [
    pytest.mark.lxd,
    # One event loop for the module: channels-redis keeps its connections per loop.
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.django_db(transaction=True),
]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture
def terminal_settings(settings):
    settings.TERMINAL_CHECK_SECONDS = 0.2
    return settings


def make_container(instance, owner, *, kind=Kind.SANDBOX, status=Status.RUNNING):
    return Container.objects.create(
        owner=owner,
        kind=kind,
        image=settings.LXD_IMAGE,
        status=status,
        ip_address=instance.address,
        host_key=instance.host_key,
    )


def session_cookie(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.UsernameOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Client:
    """A terminal client: sends keys, collects output, acknowledges it."""

    def __init__(self, communicator):
        self.communicator = communicator
        self.output = bytearray()
        self.status = None
        # With acknowledging off, the client counts output in `pending` instead.
        self.acknowledging = True
        self.pending = 0

    @classmethod
    async def open(cls, path, *, cookie=None, origin=ORIGIN):
        headers = [origin]
        if cookie:
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        client = cls(WebsocketCommunicator(application, path, headers=headers))
        connected, _subprotocol = await client.communicator.connect(timeout=10)
        assert connected
        return client

    async def next_message(self, timeout=10):
        message = await self.communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return message
        if message.get("bytes") is not None:
            self.output += message["bytes"]
            if self.acknowledging:
                await self.ack(len(message["bytes"]))
            else:
                self.pending += len(message["bytes"])
        else:
            self.status = json.loads(message["text"])
        return message

    async def ack(self, count):
        await self.communicator.send_to(text_data=json.dumps({"type": "ack", "bytes": count}))

    async def drain(self, quiet=0.5, timeout=10):
        """Read messages until none arrives for quiet seconds."""
        # receive_nothing waits without cancelling the application, which a
        # timeout of receive_output would do.
        deadline = time.monotonic() + timeout
        while not await self.communicator.receive_nothing(timeout=quiet):
            if time.monotonic() > deadline:
                raise AssertionError(f"output still arriving after {timeout} s")
            await self.next_message()

    async def expect_status(self, kind, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = await self.next_message(deadline - time.monotonic())
            if message["type"] == "websocket.close":
                raise AssertionError(f"closed with {message.get('code')} waiting for {kind}")
            if self.status and self.status["type"] == kind:
                return self.status
        raise AssertionError(f"no {kind} message")

    async def expect_close(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            message = await self.next_message(deadline - time.monotonic())
            if message["type"] == "websocket.close":
                return message["code"], self.status

    async def type(self, text):
        data = text.encode() if isinstance(text, str) else text
        await self.communicator.send_to(bytes_data=data)

    async def read_until(self, expected, timeout=10):
        deadline = time.monotonic() + timeout
        while expected not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{expected!r} not in output: {bytes(self.output[-500:])!r}")
            await self.next_message(remaining)

    async def read_until_length(self, length, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.output) < length:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{len(self.output)} bytes of output, expected {length}")
            await self.next_message(remaining)

    async def resize(self, cols, rows):
        await self.communicator.send_to(
            text_data=json.dumps({"type": "resize", "cols": cols, "rows": rows})
        )

    async def close(self, code=1000):
        await self.communicator.disconnect(code=code)


async def connect_as(user, container, **query):
    cookie = await sync_to_async(session_cookie)(user)
    suffix = "&".join(f"{key}={value}" for key, value in query.items())
    client = await Client.open(f"/ws/terminal/{container.pk}/?{suffix}", cookie=cookie)
    await client.expect_status("connected")
    return client


def live_session(client, user, container):
    return terminal.find_session(
        client.status["session"], user_id=user.pk, container_id=container.pk
    )


def readers_of(session):
    """Return the descriptors that the session's event loop watches for the session."""
    # asyncio keeps its readers in its private selector, whose map is the only record of them.
    descriptors = []
    for key in session.loop._selector.get_map().values():
        reader = key.data[0]
        if reader is not None and getattr(reader._callback, "__self__", None) is session:
            descriptors.append(key.fd)
    return descriptors


async def wait_for(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return condition()


async def student_processes(instance):
    def count():
        with instance.connect("root") as connection:
            result = connection.run("pgrep -u student -c bash || true", timeout=10, max_output=100)
        return int(result.stdout.strip() or 0)

    return await asyncio.to_thread(count)


async def test_echo_round_trip(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)

    await client.type("echo $((40 + 2))\n")

    await client.read_until(b"42\r\n")
    await client.close()


async def test_resize_changes_stty_size(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)

    await client.resize(123, 37)
    await client.type("stty size\n")
    await client.read_until(b"37 123\r\n")
    await client.resize(100000, -5)
    await client.type("stty size\n")

    await client.read_until(b"5 500\r\n")  # clamped to the protocol's range
    await client.close()


async def test_unicode_round_trips(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    text = "Salom, dunyo! Oʻzbekiston. Привет, мир! 🐧🚀"

    # printf gets the text as octal escapes, so only its output carries it.
    escaped = "".join(f"\\{byte:03o}" for byte in text.encode())
    await client.type(f"printf '{escaped}\\n'\n")

    await client.read_until(text.encode() + b"\r\n")
    await client.close()


async def test_flood_stopped_by_ctrl_c(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    await client.type("yes labsite-flood\n")
    await client.read_until(b"labsite-flood\r\nlabsite-flood\r\n" * 100)

    # A client that stops acknowledging gets no more than the high watermark.
    session = terminal.find_session(
        client.status["session"], user_id=student.pk, container_id=container.pk
    )
    await asyncio.sleep(0.5)
    assert session._unacknowledged <= settings.TERMINAL_HIGH_WATERMARK + terminal.READ_SIZE

    pressed = time.monotonic()
    await client.type(b"\x03")
    client.output.clear()
    await client.read_until(b"^C")
    await client.type("echo done-$((6 * 7))\n")
    await client.read_until(b"done-42\r\n", timeout=10)

    assert time.monotonic() - pressed < 3
    await client.close()


async def test_flood_paused_until_acknowledged(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session = live_session(client, student, container)

    await flood_until_paused(client, "yes labsite-flood\n", b"labsite-flood\r\n" * 100)

    assert not session.reading
    assert readers_of(session) == []
    assert client.pending <= settings.TERMINAL_HIGH_WATERMARK + terminal.READ_SIZE
    paused_at = len(client.output)

    client.acknowledging = True
    await client.ack(client.pending)
    # More than a high watermark of output arrives only if reading resumed.
    await client.read_until_length(paused_at + 2 * settings.TERMINAL_HIGH_WATERMARK)

    await interrupt(client)
    await client.close()


async def test_detached_session_keeps_reading(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session = live_session(client, student, container)
    await flood_until_paused(client, "seq 1000000000\n", b"\r\n20000\r\n")
    assert not session.reading
    paused_at = last_number(session._replay)

    await client.close(code=1006)

    # Detached, the session reads without flow control, into the replay only.
    assert await wait_for(lambda: last_number(session._replay) > paused_at)
    assert session.reading
    assert len(session._replay) <= settings.TERMINAL_REPLAY_BYTES
    second = await connect_as(student, container, session=session.id)
    assert second.status["replayed"] > 0
    await interrupt(second)
    await second.close()


async def flood_until_paused(client, command, marker):
    """Run a command that floods the terminal, then stop acknowledging until output stops."""
    await client.type(command)
    await client.read_until(marker)
    client.acknowledging = False
    await client.drain()


async def interrupt(client):
    """Press Ctrl-C and wait until the shell runs a command again."""
    await client.type(b"\x03")
    await client.type("echo done-$((6 * 7))\n")
    await client.read_until(b"done-42\r\n")


def last_number(replay):
    """Return the last whole line of seq's output in the replay."""
    return int(bytes(replay).split(b"\r\n")[-2])


async def test_exit_closes_terminal(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session = live_session(client, student, container)

    await client.type("exit\n")

    code, status_message = await client.expect_close()
    assert code == 1000
    assert status_message["reason"] == "The shell ended."
    assert session.ended
    assert readers_of(session) == []
    assert await wait_for(lambda: session.id not in terminal._sessions)


async def test_session_bound_to_its_loop(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)

    async def find_on_new_loop():
        return live_session(client, student, container)

    assert live_session(client, student, container) is not None
    assert await asyncio.to_thread(asyncio.run, find_on_new_loop()) is None
    await client.close()


async def test_close_ends_ssh_session(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session = live_session(client, student, container)
    await client.type("echo ready\n")
    await client.read_until(b"ready\r\n")
    assert await student_processes(shared_instance) >= 1
    assert len(readers_of(session)) == 1

    await client.close(code=1001)

    for _ in range(50):
        if await student_processes(shared_instance) == 0:
            break
        await asyncio.sleep(0.1)
    assert await student_processes(shared_instance) == 0
    assert client.status["session"] not in terminal._sessions
    assert readers_of(session) == []


async def test_reconnect_reattaches_same_shell(shared_instance, student, terminal_settings):
    container = await sync_to_async(make_container)(shared_instance, student)
    first = await connect_as(student, container)
    await first.type("LABSITE_MARK=seven-7; echo marked\n")
    await first.read_until(b"marked\r\n")
    session_id = first.status["session"]

    await first.close(code=1006)  # the network dropped: no close handshake
    second = await connect_as(student, container, session=session_id)

    assert second.status["session"] == session_id
    assert second.status["replayed"] > 0
    await second.read_until(b"marked\r\n")  # the replayed screen
    await second.type("echo $LABSITE_MARK\n")
    await second.read_until(b"seven-7\r\n")
    await second.close()


async def test_shell_closed_after_grace_period(shared_instance, student, terminal_settings):
    terminal_settings.TERMINAL_GRACE_SECONDS = 0
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session_id = client.status["session"]

    await client.close(code=1006)
    await asyncio.sleep(0.5)

    assert session_id not in terminal._sessions
    assert await student_processes(shared_instance) == 0


async def test_grace_period_outlasts_early_timer(
    shared_instance, student, terminal_settings, monkeypatch
):
    # uvloop's timers count whole milliseconds and may end a sleep before
    # time.monotonic() has moved on by its delay. This sleep ends 20 ms early.
    terminal_settings.TERMINAL_GRACE_SECONDS = 0.3
    real_sleep = asyncio.sleep

    async def early_sleep(delay, *args, **kwargs):
        await real_sleep(max(0.0, delay - 0.02), *args, **kwargs)

    monkeypatch.setattr(terminal.asyncio, "sleep", early_sleep)
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    session_id = client.status["session"]

    await client.close(code=1006)
    for _ in range(30):
        await real_sleep(0.1)
        if session_id not in terminal._sessions:
            break

    assert session_id not in terminal._sessions
    assert await student_processes(shared_instance) == 0


async def test_two_tabs_on_one_container(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    first = await connect_as(student, container)
    second = await connect_as(student, container)

    await first.type("echo one-$((1))\n")
    await second.type("echo two-$((2))\n")

    await first.read_until(b"one-1\r\n")
    await second.read_until(b"two-2\r\n")
    assert first.status["session"] != second.status["session"]
    await first.close()
    await second.close()


async def test_token_authentication(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    token = await sync_to_async(lambda: str(issue_tokens(student).access_token))()

    client = await Client.open(f"/ws/terminal/{container.pk}/?token={token}")
    await client.expect_status("connected")
    await client.type("whoami\n")

    await client.read_until(b"student\r\n")
    await client.close()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("anonymous", 4401),
        ("bad-token", 4401),
        ("foreign", 4404),
        ("missing", 4404),
        ("stopped", 4409),
        ("ssh-fails", 4502),
    ],
)
async def test_refusal_codes(shared_instance, student, other_student, case, code):
    owner = other_student if case == "foreign" else student
    status = Status.STOPPED if case == "stopped" else Status.RUNNING
    container = await sync_to_async(make_container)(shared_instance, owner, status=status)
    if case == "ssh-fails":
        container.host_key = (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMpL0Tq7rN1s3y0wJ3Nq5qBq1Yb8mYxvYQ2i8b2s0d1x"
        )
        await container.asave()
    container_id = 999_999 if case == "missing" else container.pk
    cookie = (
        None if case in ("anonymous", "bad-token") else await sync_to_async(session_cookie)(student)
    )
    query = "?token=not-a-token" if case == "bad-token" else ""

    client = await Client.open(f"/ws/terminal/{container_id}/{query}", cookie=cookie)
    closed_code, status_message = await client.expect_close()

    assert closed_code == code
    assert status_message["type"] == "closed"
    assert status_message["code"] == code
    assert status_message["reason"]


async def test_admin_may_connect(shared_instance, student, admin_user):
    container = await sync_to_async(make_container)(shared_instance, student)

    client = await connect_as(admin_user, container)

    assert client.status["type"] == "connected"
    await client.close()


async def test_foreign_origin_rejected(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    communicator = WebsocketCommunicator(
        application, f"/ws/terminal/{container.pk}/", headers=[(b"origin", b"http://evil.test")]
    )

    connected, _code = await communicator.connect(timeout=5)

    assert not connected


async def test_malformed_messages_ignored(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)
    for text in [
        "not json",
        "[1, 2]",
        '{"type": "explode"}',
        '{"type": "resize", "cols": "wide", "rows": 10}',
        '{"type": "ack", "bytes": -5}',
        json.dumps({"type": "resize", "pad": "x" * 5000}),
    ]:
        await client.communicator.send_to(text_data=text)

    await client.type("echo still-$((3 * 3))\n")

    await client.read_until(b"still-9\r\n")
    await client.close()


async def test_logout_closes_terminal(shared_instance, student, terminal_settings):
    container = await sync_to_async(make_container)(shared_instance, student)
    cookie = await sync_to_async(session_cookie)(student)
    client = await Client.open(f"/ws/terminal/{container.pk}/", cookie=cookie)
    await client.expect_status("connected")

    await sync_to_async(SessionStore(cookie).delete)()

    code, status_message = await client.expect_close(timeout=5)
    assert code == 4401
    assert status_message["reason"].startswith("You are not signed in.")


@pytest.mark.parametrize("change", ["deactivate", "password"])
async def test_account_change_closes_terminal(shared_instance, student, terminal_settings, change):
    container = await sync_to_async(make_container)(shared_instance, student)
    token = await sync_to_async(lambda: str(issue_tokens(student).access_token))()
    client = await Client.open(f"/ws/terminal/{container.pk}/?token={token}")
    await client.expect_status("connected")

    if change == "deactivate":
        student.is_active = False
    else:
        student.set_password("a-brand-new-long-passphrase")
    await student.asave()

    code, _status = await client.expect_close(timeout=5)
    assert code == 4401


async def test_idle_terminal_closed(shared_instance, student, terminal_settings):
    terminal_settings.TERMINAL_IDLE_SECONDS = 0.5
    container = await sync_to_async(make_container)(shared_instance, student)
    client = await connect_as(student, container)

    code, status_message = await client.expect_close(timeout=5)

    assert code == 4408
    assert status_message["reason"] == "The terminal was closed because it was idle too long."


async def test_exam_terminals_closed_when_time_over(shared_instance, student):
    container = await sync_to_async(make_container)(shared_instance, student, kind=Kind.EXAM)
    client = await connect_as(student, container)

    await close_container_terminals(container.pk)

    code, status_message = await client.expect_close(timeout=5)
    assert code == 4410
    assert status_message["reason"] == "The exam's time is over."
    assert not terminal.sessions_of_container(container.pk)


async def test_exam_terminal_recorded(shared_instance, student, settings, tmp_path):
    settings.RECORDINGS_ROOT = str(tmp_path)
    container = await sync_to_async(make_container)(shared_instance, student, kind=Kind.EXAM)
    client = await connect_as(student, container)
    await client.resize(90, 30)
    await client.type("echo recorded-$((5 * 5))\n")
    await client.read_until(b"recorded-25\r\n")
    await client.close()

    recording = await TerminalRecording.objects.aget(container=container)
    lines = Path(recording_file(recording)).read_text().splitlines()
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:]]

    assert header["version"] == 2
    assert header["width"] == 80
    assert ["r", "90x30"] in [event[1:] for event in events]
    assert "recorded-25" in "".join(event[2] for event in events if event[1] == "o")
    assert all(earlier[0] <= later[0] for earlier, later in itertools.pairwise(events))
    assert recording.ended_at is not None


async def test_input_updates_last_activity(shared_instance, student, terminal_settings):
    container = await sync_to_async(make_container)(shared_instance, student)
    before = container.last_activity_at
    client = await connect_as(student, container)

    await client.type("true\n")
    await asyncio.sleep(0.6)

    await container.arefresh_from_db()
    assert container.last_activity_at > before
    await client.close()
