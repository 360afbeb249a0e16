"""Terminal sessions: an SSH shell on a PTY that WebSocket consumers attach to.

A session outlives its WebSocket for a grace period, so a client that lost
its connection reattaches to the same shell. The session reads SSH output
on the asyncio event loop that opened it: the loop watches the descriptor of
the shell's channel and calls the session when output is buffered. Output
goes to the attached consumer's queue and into a replay buffer. While the
consumer has too much output unacknowledged, the session takes its reader
off the loop, and SSH's own flow control then stops the program that floods
the screen. While no consumer is attached, the session keeps reading, into
the replay buffer only.

A session is bound to the event loop it was opened on, and only consumers
on that loop attach to it. uvicorn runs one event loop per process, so that
is every consumer of the process. Sessions live in this process's memory.
With several server processes, a reconnect reaches the same process only
when the load balancer keeps the client on it.
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
# Seconds end() waits for the event loop to take the session's reader off.
STOP_READING_TIMEOUT = 5

_sessions: dict[str, "TerminalSession"] = {}
_sessions_lock = threading.Lock()


def clamp_size(cols, rows):
    return (
        max(MIN_COLS, min(MAX_COLS, cols)),
        max(MIN_ROWS, min(MAX_ROWS, rows)),
    )


def find_session(session_id, *, user_id, container_id):
    """Return the live session with this id if it belongs to the user and container.

    Call it on an event loop. A session bound to another event loop is not returned.
    """
    with _sessions_lock:
        session = _sessions.get(session_id)
    if session is None or session.ended or session.loop is not asyncio.get_running_loop():
        return None
    if session.user_id != user_id or session.container_id != container_id:
        return None
    return session


def sessions_of_container(container_id):
    with _sessions_lock:
        return [session for session in _sessions.values() if session.container_id == container_id]


class Sink:
    """The output target of a session: an attached consumer's queue on the session's loop."""

    def __init__(self, loop, queue, on_end):
        self.loop = loop
        self.queue = queue
        # Called on the loop when the shell ends by itself or another consumer attaches.
        self.on_end = on_end

    def put(self, chunk):
        self.queue.put_nowait(chunk)

    def end(self):
        self.on_end()


class TerminalSession:
    """One shell in one container, for one user, read on one event loop."""

    def __init__(self, *, container, user_id, connection, shell, loop, recorder=None):
        self.id = secrets.token_urlsafe(18)
        self.container_id = container.pk
        self.container_name = container.name
        self.user_id = user_id
        self.loop = loop
        self.ended = False
        self._connection = connection
        self._shell = shell
        # Creating the descriptor here, in the opening thread, keeps the
        # channel's pipe setup off the event loop.
        self._fileno = shell.fileno()
        self._recorder = recorder
        self._replay = bytearray()
        self._sink = None
        self._unacknowledged = 0
        self._detached_at = None
        # Whether the session's reader is on the loop. Changed on the loop only.
        self.reading = False
        # Guards `ended`, which end() sets from other threads.
        self._end_lock = threading.Lock()

    @classmethod
    def open(cls, container, *, user_id, loop, cols=80, rows=24):
        """Open a shell as the student account and read its output on loop.

        It blocks while SSH connects, so call it from a thread.
        """
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
            loop=loop,
            recorder=recorder,
        )
        with _sessions_lock:
            _sessions[session.id] = session
        # Output that arrives before a consumer attaches goes to the replay.
        loop.call_soon_threadsafe(session._resume_reading)
        logger.info(
            "terminal opened: session=%s container=%s user=%s",
            session.id[:8],
            container.name,
            user_id,
        )
        return session

    # Called on the session's event loop.

    def attach(self, sink):
        """Deliver output to sink from now on; return the recent output to replay."""
        if sink.loop is not self.loop:
            raise RuntimeError(
                f"Terminal session {self.id[:8]} is bound to another event loop than the "
                "sink's: attach it on the loop that opened it."
            )
        previous, self._sink = self._sink, sink
        replay = bytes(self._replay)
        # The replay goes out first and the client acknowledges it too.
        self._unacknowledged = len(replay)
        self._detached_at = None
        self._apply_flow_control()
        if previous is not None:
            previous.end()
        return replay

    def detach(self, sink):
        """Stop delivering to sink; the shell keeps running until expire_if_detached."""
        if self._sink is not sink:
            return
        self._sink = None
        self._unacknowledged = 0
        self._detached_at = time.monotonic()
        self._apply_flow_control()

    def acknowledge(self, count):
        self._unacknowledged = max(0, self._unacknowledged - count)
        self._apply_flow_control()

    def grace_remaining(self):
        """Return the seconds left of the grace period, or None while attached or after the end."""
        detached_at = self._detached_at
        if detached_at is None or self.ended:
            return None
        return detached_at + settings.TERMINAL_GRACE_SECONDS - time.monotonic()

    # Blocking; call from a thread.

    def expire_if_detached(self):
        remaining = self.grace_remaining()
        if remaining is not None and remaining <= 0:
            logger.info("terminal grace period over: session=%s", self.id[:8])
            self.end()

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
        """Close the shell and the SSH connection; sshd hangs up the shell's processes.

        Waits until the event loop has taken the session's reader off, so
        that the loop never watches the descriptor of a closed channel.
        """
        if not self._mark_ended():
            return
        self._stop_reading_from_thread()
        self._close()

    # Reading, on the session's event loop.

    def _read_output(self):
        """Read buffered output. The loop calls this while the channel's descriptor is readable."""
        if self.ended:
            self._pause_reading()
            return
        try:
            # paramiko keeps the descriptor readable exactly while the channel
            # buffers output or has reached its end, and only this method
            # reads the channel, so recv() returns at once.
            chunk = self._shell.recv(READ_SIZE)
            if chunk:
                self._deliver(chunk)
                return
        except Exception:
            # Caught broadly because a reader that raises stays on the loop
            # and would be called again and again.
            logger.exception("terminal output failed: session=%s", self.id[:8])
        self._end_on_loop()

    def _deliver(self, chunk):
        # NOTE: the recorder writes each chunk to its file here, on the event
        # loop, so a slow recordings disk delays every terminal of the process.
        if self._recorder is not None:
            self._recorder.output(chunk)
        self._remember(chunk)
        if self._sink is None:
            return
        self._sink.put(chunk)
        self._unacknowledged += len(chunk)
        if self._unacknowledged > settings.TERMINAL_HIGH_WATERMARK:
            self._pause_reading()

    def _remember(self, chunk):
        self._replay += chunk
        excess = len(self._replay) - settings.TERMINAL_REPLAY_BYTES
        if excess > 0:
            # Cut at a line start where possible, so the replay begins cleanly.
            newline = self._replay.find(b"\n", excess)
            del self._replay[: newline + 1 if 0 <= newline < excess + 4096 else excess]

    def _apply_flow_control(self):
        """Resume reading below the low watermark or with no sink, pause above the high one."""
        if self._sink is None or self._unacknowledged < settings.TERMINAL_LOW_WATERMARK:
            self._resume_reading()
        elif self._unacknowledged > settings.TERMINAL_HIGH_WATERMARK:
            self._pause_reading()

    def _resume_reading(self):
        if not self.reading and not self.ended:
            self.loop.add_reader(self._fileno, self._read_output)
            self.reading = True

    def _pause_reading(self):
        if self.reading:
            self.loop.remove_reader(self._fileno)
            self.reading = False

    # Ending.

    def _mark_ended(self):
        """Set ended and return whether this call set it."""
        with self._end_lock:
            if self.ended:
                return False
            self.ended = True
            return True

    def _end_on_loop(self):
        """End the session because the shell exited or its channel closed."""
        if not self._mark_ended():
            return
        self._pause_reading()
        if self._sink is not None:
            self._sink.end()
        # Closing joins paramiko's thread and writes the recording's row, so
        # it runs in a thread.
        closing = self.loop.run_in_executor(None, self._close)
        closing.add_done_callback(self._log_close_failure)

    def _stop_reading_from_thread(self):
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop or not self.loop.is_running():
            # No other thread polls the loop's selector now, so it may be changed here.
            self._pause_reading()
            return
        removed = threading.Event()

        def pause():
            self._pause_reading()
            removed.set()

        try:
            self.loop.call_soon_threadsafe(pause)
        except RuntimeError:
            # The loop closed meanwhile, and its selector with it.
            return
        if not removed.wait(STOP_READING_TIMEOUT):
            logger.warning(
                "terminal reader removal timed out after %s s, closing the channel anyway: "
                "session=%s",
                STOP_READING_TIMEOUT,
                self.id[:8],
            )

    def _close(self):
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

    def _log_close_failure(self, future):
        if not future.cancelled() and future.exception() is not None:
            logger.error(
                "terminal close failed: session=%s", self.id[:8], exc_info=future.exception()
            )


async def expire_later(session):
    """End the session once it has stayed detached for the grace period.

    uvloop's timers count whole milliseconds, so a sleep may end up to a
    millisecond before time.monotonic() has advanced by its delay. The loop then
    sleeps for what remains rather than giving up on a session that would
    never end.
    """
    while (remaining := session.grace_remaining()) is not None:
        if remaining <= 0:
            await asyncio.to_thread(session.expire_if_detached)
            return
        await asyncio.sleep(remaining)
