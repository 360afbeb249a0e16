"""Logging filters that keep secrets out of log lines."""

import logging
import re

# A token= query parameter, as in /ws/terminal/7/?token=<JWT access token>.
TOKEN_PARAMETER = re.compile(r"([?&]token=)[^&\s\"']+")


class RedactTokenParameter(logging.Filter):
    """Replace the value of each token= query parameter in a record's message.

    uvicorn logs the path and query string of every WebSocket handshake at
    INFO, and API clients pass their access token in the terminal's URL.
    """

    def filter(self, record):
        message = record.getMessage()
        redacted = TOKEN_PARAMETER.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
