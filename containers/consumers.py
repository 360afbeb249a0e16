"""The terminal WebSocket: /ws/terminal/<container id>/, protocol in docs/terminal-protocol.md."""

import asyncio
import json
import logging
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.websocket import still_authorized
from containers import terminal
from containers.errors import ContainerError
from containers.models import Container, Status
from containers.selectors import get_container_for_user

logger = logging.getLogger(__name__)

MAX_CONTROL_MESSAGE = 1024
# Output chunks queued for the socket are joined into frames up to this size.
MAX_FRAME = 65536
# Seconds between two writes of a container's last activity.
ACTIVITY_WRITE_INTERVAL = 60

# Tasks that must outlive the consumer that started them; asyncio keeps only
# weak references to tasks.
_background_tasks = set()

CLOSE_DONE = 1000
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_IDLE = 4408
CLOSE_NOT_RUNNING = 4409
CLOSE_TIME_OVER = 4410
CLOSE_SSH_FAILED = 4502


def close_reasons():
    return {
        CLOSE_DONE: _("The shell ended."),
        CLOSE_NOT_AUTHENTICATED: _("You are not signed in. Log in and open the terminal again."),
        CLOSE_NOT_FOUND: _("This container does not exist or is not yours."),
        CLOSE_IDLE: _("The terminal was closed because it was idle too long."),
        CLOSE_NOT_RUNNING: _("The container is not running. Start it, then open the terminal."),
        CLOSE_TIME_OVER: _("The exam's time is over."),
        CLOSE_SSH_FAILED: _("The connection to the container failed. Try again in a moment."),
    }


def handshake_language(scope):
    """Return the language that LocaleMiddleware would pick for the WebSocket handshake.

    That is the language cookie, then the Accept-Language header, then
    LANGUAGE_CODE, as for the page that opened the terminal.
    """
    headers = dict(scope.get("headers", []))
    request = SimpleNamespace(
        COOKIES=scope.get("cookies", {}),
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    return translation.get_language_from_request(request)


def container_group(container_id):
    return f"terminal.container.{container_id}"


async def close_container_terminals(container_id, code=CLOSE_TIME_OVER):
    """Close every open terminal of a container (for example when an exam ends)."""
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(
        container_group(container_id), {"type": "terminal.close", "code": code}
    )
    for session in terminal.sessions_of_container(container_id):
        await asyncio.to_thread(session.end)


class TerminalConsumer(AsyncWebsocketConsumer):
    session = None
    sink = None
    group = None
    closing = False

    async def __call__(self, scope, receive, send):
        """Run the consumer as Channels does, but read the socket in this task.

        Channels' AsyncConsumer waits for the socket and the channel layer
        together with asyncio.wait and starts a new task for every message.
        Here this task reads the socket, and connect() starts a second one
        for the channel layer, which brings only close requests. That took
        0.06 to 0.09 ms off the echo of a keystroke in benchmarks/terminal.py.
        """
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def read_channel_layer(self):
        """Handle the channel layer's messages, from the end of connect() on.

        The layer keeps messages for this channel until they are read, so a
        close request sent while connect() runs waits for connect() to finish.
        """
        while True:
            message = await self.channel_layer.receive(self.channel_name)
            try:
                await self.dispatch(message)
            except Exception:
                logger.exception(
                    "terminal: handling a channel layer message of type %r failed",
                    message.get("type"),
                )

    async def connect(self):
        await self.accept()
        self.tasks = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close_with(CLOSE_NOT_AUTHENTICATED)
        self.user_id = user.pk

        container = await self.find_container(user)
        if container is None:
            return await self.close_with(CLOSE_NOT_FOUND)
        if container.access_ended():
            return await self.close_with(CLOSE_TIME_OVER)
        if container.status != Status.RUNNING:
            return await self.close_with(CLOSE_NOT_RUNNING)
        self.container = container

        replay = await self.attach_session(container)
        if replay is None:
            return await self.close_with(CLOSE_SSH_FAILED)

        self.group = container_group(container.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last_input = time.monotonic()
        self.last_activity_write = 0.0
        await self.send(
            text_data=json.dumps(
                {"type": "connected", "session": self.session.id, "replayed": len(replay)}
            )
        )
        if replay:
            self.queue.put_nowait(replay)
        self.tasks = [
            asyncio.create_task(self.forward_output()),
            asyncio.create_task(self.watch()),
            asyncio.create_task(self.read_channel_layer()),
        ]

    @database_sync_to_async
    def find_container(self, user):
        try:
            return get_container_for_user(
                user, int(self.scope["url_route"]["kwargs"]["container_id"])
            )
        except Http404:
            return None

    async def attach_session(self, container):
        """Attach to the requested session or open a new shell; return the output to replay."""
        loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        self.sink = terminal.Sink(loop, self.queue, self.shell_ended)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        session_id = query.get("session", [""])[0]
        session = terminal.find_session(session_id, user_id=self.user_id, container_id=container.pk)
        if session is None:
            try:
                session = await asyncio.to_thread(
                    terminal.TerminalSession.open, container, user_id=self.user_id, loop=loop
                )
            except ContainerError as error:
                logger.warning(
                    "terminal rejected, SSH connection failed: container=%s user=%s: %s",
                    container.name,
                    self.user_id,
                    error,
                )
                return None
        self.session = session
        return session.attach(self.sink)

    async def dispatch(self, message):
        # Channels runs close_old_connections in a thread before each handler;
        # keystrokes and acks touch no database, so they skip that hop.
        if message["type"] == "websocket.receive":
            return await self.websocket_receive(message)
        return await super().dispatch(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None or self.closing:
            return
        if bytes_data is not None:
            self.last_input = time.monotonic()
            if not self.session.try_send_input(bytes_data):
                await asyncio.to_thread(self.session.send_input, bytes_data)
            return
        await self.handle_control(text_data)

    async def handle_control(self, text_data):
        message = self.parse_control(text_data)
        if message is None:
            return
        kind = message.get("type")
        if kind == "ack" and _is_int(message.get("bytes")) and message["bytes"] >= 0:
            self.session.acknowledge(message["bytes"])
        elif kind == "resize" and _is_int(message.get("cols")) and _is_int(message.get("rows")):
            await asyncio.to_thread(self.session.resize, message["cols"], message["rows"])
        else:
            logger.info("terminal: ignored control message of type %r", str(kind)[:40])

    def parse_control(self, text_data):
        if len(text_data) > MAX_CONTROL_MESSAGE:
            logger.info("terminal: ignored a control message of %d characters", len(text_data))
            return None
        try:
            message = json.loads(text_data)
        except ValueError:
            logger.info("terminal: ignored a control message that is not JSON")
            return None
        if not isinstance(message, dict):
            logger.info("terminal: ignored a control message that is not an object")
            return None
        return message

    async def forward_output(self):
        """Send queued output to the socket, joining small chunks into larger frames."""
        while True:
            frame = await self.queue.get()
            # A lone chunk goes out as it is, without copying.
            if not self.queue.empty() and len(frame) < MAX_FRAME:
                joined = bytearray(frame)
                while not self.queue.empty() and len(joined) < MAX_FRAME:
                    joined += self.queue.get_nowait()
                frame = bytes(joined)
            await self.send(bytes_data=frame)

    async def watch(self):
        """Close the terminal when its user lost access, its time is over, or it is idle."""
        while True:
            await asyncio.sleep(settings.TERMINAL_CHECK_SECONDS)
            if not await database_sync_to_async(still_authorized)(self.scope, self.user_id):
                logger.info("terminal: user %s is no longer authorized, closing", self.user_id)
                return await self.close_with(CLOSE_NOT_AUTHENTICATED)
            if await self.access_ended():
                logger.info("terminal: access to container %s ended, closing", self.container.name)
                return await self.close_with(CLOSE_TIME_OVER)
            idle = time.monotonic() - self.last_input
            if idle > settings.TERMINAL_IDLE_SECONDS:
                return await self.close_with(CLOSE_IDLE)
            if self.last_input > self.last_activity_write:
                await self.record_activity()

    async def access_ended(self):
        """Return whether the container's terminal access time is over.

        The time is read again once it seems over, because an instructor may
        have extended it since the socket opened.
        """
        if not self.container.access_ended():
            return False
        access_until = (
            await Container.objects.filter(pk=self.container.pk)
            .values_list("access_until", flat=True)
            .aget()
        )
        self.container.access_until = access_until
        return self.container.access_ended()

    async def record_activity(self):
        now = time.monotonic()
        if now - self.last_activity_write < ACTIVITY_WRITE_INTERVAL:
            return
        self.last_activity_write = now
        await Container.objects.filter(pk=self.container.pk).aupdate(
            last_activity_at=timezone.now()
        )

    def shell_ended(self):
        """Called on the event loop when the shell exits by itself or another tab took it over."""
        if not self.closing:
            _run_in_background(self.close_with(CLOSE_DONE, end_session=False))

    async def terminal_close(self, event):
        """Close on a message sent to the container's group."""
        await self.close_with(event["code"])

    async def close_with(self, code, *, end_session=True):
        if self.closing:
            return
        self.closing = True
        with translation.override(handshake_language(self.scope)):
            reason = close_reasons().get(code, "")
        await self.send(text_data=json.dumps({"type": "closed", "code": code, "reason": reason}))
        await self.close(code=code)
        if end_session and self.session is not None:
            await asyncio.to_thread(self.session.end)

    async def disconnect(self, code):
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.session is None or self.closing:
            return
        self.session.detach(self.sink)
        if code in (1000, 1001):
            # The client closed the terminal on purpose: no reconnect follows.
            await asyncio.to_thread(self.session.end)
        else:
            _run_in_background(terminal.expire_later(self.session))


def _run_in_background(coroutine):
    task = asyncio.ensure_future(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) < value < 2**31
