"""Terminal sessions: an SSH shell on a PTY that WebSocket consumers attach to.

A session outlives its WebSocket for a grace period, so a client that lost
its connection reattaches to the same shell. One reader thread per session
copies output from SSH into the attached consumer's queue, and stops
reading while the consumer has too much output unacknowledged. SSH's own
flow control then stops the program that floods the screen.

Sessions live in this process's memory. With several Daphne processes, a
reconnect reaches the same process only when the load balancer keeps the
client on it.
"""

import asyncio
import logging
import secrets
import threading
import time

from django.conf import settings

from containers import recording, ssh

logger = logging.getLogger(__name__)

MIN_COLS, MAX_COLS = 10, 500
MIN_ROWS, MAX_ROWS = 5, 200
READ_SIZE = 65536

_sessions: dict[str, "TerminalSession"] = {}
_sessions_lock = threading.Lock()


def clamp_size(cols, rows):
    return (
        max(MIN_COLS, min(MAX_COLS, cols)),
        max(MIN_ROWS, min(MAX_ROWS, rows)),
    )


def find_session(session_id, *, user_id, container_id):
    """Return the live session with this id if it belongs to the user and container."""
    with _sessions_lock:
        session = _sessions.get(session_id)
    if session is None or session.ended:
        return None
    if session.user_id != user_id or session.container_id != container_id:
        return None
    return session


def sessions_of_container(container_id):
    with _sessions_lock:
        return [session for session in _sessions.values() if session.container_id == container_id]


class Sink:
    """The output target of a session: an attached consumer's queue on its event loop."""

    def __init__(self, loop, queue, on_end):
        self.loop = loop
        self.queue = queue
        self.on_end = on_end  # called on the loop when the shell ends by itself

    def put(self, chunk):
        self._call(self.queue.put_nowait, chunk)

    def end(self):
        self._call(self.on_end)

    def _call(self, function, *args):
        try:
            self.loop.call_soon_threadsafe(function, *args)
        except RuntimeError:
            # The loop is closed: the consumer and its socket are gone.
            logger.debug("terminal output dropped: the consumer's event loop is closed")


class TerminalSession:
    """One shell in one container, for one user."""

    def __init__(self, *, container, user_id, connection, shell, recorder=None):
        self.id = secrets.token_urlsafe(18)
        self.container_id = container.pk
        self.container_name = container.name
        self.user_id = user_id
        self.ended = False
        self._connection = connection
        self._shell = shell
        self._recorder = recorder
        self._replay = bytearray()
        self._sink = None
        self._unacknowledged = 0
        self._detached_at = None
        self._flow = threading.Condition()
        self._reader = threading.Thread(
            target=self._read_output, name=f"terminal-{container.name}", daemon=True
        )

    @classmethod
    def open(cls, container, *, user_id, cols=80, rows=24):
        """Open a shell as the student account; blocking, so call it from a thread."""
        connection = ssh.connect(
            container.ip_address,
            user="student",
            host_key=container.host_key,
            keepalive_interval=settings.TERMINAL_SSH_KEEPALIVE,
        )
        try:
            cols, rows = clamp_size(cols, rows)
            shell = connection.open_shell(
                cols=cols,
                rows=rows,
                environment={"LANG": "C.UTF-8"},
                window_size=settings.TERMINAL_SSH_WINDOW,
            )
        except Exception:
            connection.close()
            raise
        recorder = None
        if container.kind == "exam":
            recorder = recording.start(container, cols=cols, rows=rows)
        session = cls(
            container=container,
            user_id=user_id,
            connection=connection,
            shell=shell,
            recorder=recorder,
        )
        with _sessions_lock:
            _sessions[session.id] = session
        session._reader.start()
        logger.info(
            "terminal opened: session=%s container=%s user=%s",
            session.id[:8],
            container.name,
            user_id,
        )
        return session

    # Called from the event loop.

    def attach(self, sink):
        """Deliver output to sink from now on; return the recent output to replay."""
        with self._flow:
            previous, self._sink = self._sink, sink
            replay = bytes(self._replay)
            # The replay goes out first and the client acknowledges it too.
            self._unacknowledged = len(replay)
            self._detached_at = None
            self._flow.notify_all()
        if previous is not None:
            previous.end()
        return replay

    def detach(self, sink):
        """Stop delivering to sink; the shell keeps running until expire_if_detached."""
        with self._flow:
            if self._sink is not sink:
                return
            self._sink = None
            self._unacknowledged = 0
            self._detached_at = time.monotonic()
            self._flow.notify_all()

    def acknowledge(self, count):
        with self._flow:
            self._unacknowledged = max(0, self._unacknowledged - count)
            if self._unacknowledged < settings.TERMINAL_LOW_WATERMARK:
                self._flow.notify_all()

    def expire_if_detached(self):
        with self._flow:
            detached_at = self._detached_at
        if (
            detached_at is not None
            and time.monotonic() - detached_at >= settings.TERMINAL_GRACE_SECONDS
        ):
            logger.info("terminal grace period over: session=%s", self.id[:8])
            self.end()

    # Blocking; call from a thread.

    def send_input(self, data):
        self._shell.send(data)

    def try_send_input(self, data):
        """Send small input at once if the SSH window is open; return whether it was sent.

        Keystrokes then skip a thread hop. Larger input, or input while the
        window is closed, goes through send_input in a thread.
        """
        if len(data) <= 1024 and self._shell.send_ready():
            self._shell.send(data)
            return True
        return False

    def resize(self, cols, rows):
        cols, rows = clamp_size(cols, rows)
        self._shell.resize(cols, rows)
        if self._recorder is not None:
            self._recorder.resize(cols, rows)

    def end(self):
        """Close the shell and the SSH connection; sshd hangs up the shell's processes."""
        with self._flow:
            if self.ended:
                return
            self.ended = True
            self._flow.notify_all()
        with _sessions_lock:
            _sessions.pop(self.id, None)
        self._shell.close()
        self._connection.close()
        if self._recorder is not None:
            self._recorder.close()
        logger.info(
            "terminal closed: session=%s container=%s user=%s",
            self.id[:8],
            self.container_name,
            self.user_id,
        )

    # The reader thread.

    def _read_output(self):
        try:
            while not self.ended:
                chunk = self._shell.recv(READ_SIZE)
                if not chunk:
                    break
                self._deliver(chunk)
        except Exception:
            if not self.ended:
                logger.exception("terminal output failed: session=%s", self.id[:8])
        with self._flow:
            sink = None if self.ended else self._sink
        if sink is not None:
            sink.end()
        self.end()

    def _deliver(self, chunk):
        if self._recorder is not None:
            self._recorder.output(chunk)
        with self._flow:
            self._remember(chunk)
            # Wait while the client is behind, unless it went away.
            while (
                self._sink is not None
                and not self.ended
                and self._unacknowledged > settings.TERMINAL_HIGH_WATERMARK
            ):
                self._flow.wait(timeout=1)
            if self._sink is None or self.ended:
                return
            self._unacknowledged += len(chunk)
            self._sink.put(chunk)

    def _remember(self, chunk):
        self._replay += chunk
        excess = len(self._replay) - settings.TERMINAL_REPLAY_BYTES
        if excess > 0:
            # Cut at a line start where possible, so the replay begins cleanly.
            newline = self._replay.find(b"\n", excess)
            del self._replay[: newline + 1 if 0 <= newline < excess + 4096 else excess]


async def expire_later(session):
    await asyncio.sleep(settings.TERMINAL_GRACE_SECONDS)
    await asyncio.to_thread(session.expire_if_detached)
