"""Recording of exam terminals in the asciicast v2 format.

The file starts with a JSON header line. Each later line is one event
`[seconds since start, code, data]`, where code "o" is output and "r" a
resize to "COLSxROWS". Keystrokes are not recorded, because what the
student typed shows through the terminal's echo, as on their screen.
"""

import codecs
import json
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from containers.models import TerminalRecording

logger = logging.getLogger(__name__)


def start(container, *, cols, rows):
    """Create the recording's row and file and return a Recorder writing to it."""
    started = timezone.now()
    relative = Path(container.name) / f"{started:%Y%m%dT%H%M%S%f}.cast"
    recording = TerminalRecording.objects.create(
        container=container, path=str(relative), started_at=started
    )
    return Recorder(recording, cols=cols, rows=rows)


def recording_file(recording):
    return Path(settings.RECORDINGS_ROOT) / recording.path


class Recorder:
    def __init__(self, recording, *, cols, rows):
        self._recording = recording
        self._started = time.monotonic()
        # Output arrives in chunks that may split a UTF-8 character.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lock = threading.Lock()
        path = recording_file(recording)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")
        header = {
            "version": 2,
            "width": cols,
            "height": rows,
            "timestamp": int(recording.started_at.timestamp()),
            "env": {"TERM": "xterm-256color"},
        }
        self._write(header)

    def output(self, data):
        text = self._decoder.decode(data)
        if text:
            self._event("o", text)

    def resize(self, cols, rows):
        self._event("r", f"{cols}x{rows}")

    def close(self):
        with self._lock:
            if self._file.closed:
                return
            self._file.close()
        TerminalRecording.objects.filter(pk=self._recording.pk).update(ended_at=timezone.now())

    def _event(self, code, data):
        self._write([round(time.monotonic() - self._started, 6), code, data])

    def _write(self, item):
        with self._lock:
            if not self._file.closed:
                self._file.write(json.dumps(item, ensure_ascii=False) + "\n")
                self._file.flush()
