"""Logging filters that keep secrets out of log lines."""

import logging
import re
from urllib.parse import unquote_plus

# A query parameter in a URL: its name and its value.
QUERY_PARAMETER = re.compile(r"([?&])([^=&?\s\"']+)=([^&\s\"']*)")
SECRET_PARAMETERS = {"token"}


def _redact_parameter(match):
    separator, name, value = match.groups()
    # The server decodes names, so "%74oken" authenticates as "token" does.
    if unquote_plus(name).lower() in SECRET_PARAMETERS:
        value = "[redacted]"
    return f"{separator}{name}={value}"


class RedactTokenParameter(logging.Filter):
    """Replace the value of each token query parameter in a record's message.

    uvicorn logs the path and query string of every WebSocket handshake at
    INFO, and API clients pass their access token in the terminal's URL.
    """

    def filter(self, record):
        message = record.getMessage()
        redacted = QUERY_PARAMETER.sub(_redact_parameter, message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
