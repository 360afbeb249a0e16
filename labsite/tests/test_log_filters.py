"""labsite.log_filters on log records like those uvicorn writes."""

import logging

import pytest

from labsite.log_filters import RedactTokenParameter


def filtered_message(message, *args):
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args, None)
    assert RedactTokenParameter().filter(record) is True
    return record.getMessage()


def test_redacts_token_in_handshake_line():
    message = filtered_message(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws/terminal/7/?token=eyJ.a-b_c.d"
    )

    assert message == '127.0.0.1:5000 - "WebSocket /ws/terminal/7/?token=[redacted]" [accepted]'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ws/terminal/7/?session=a&token=secret", "/ws/terminal/7/?session=a&token=[redacted]"),
        ("/ws/terminal/7/?token=secret&session=a", "/ws/terminal/7/?token=[redacted]&session=a"),
        ("/ws/terminal/7/?session=a", "/ws/terminal/7/?session=a"),
        ("/ws/terminal/7/?refresh_token=x", "/ws/terminal/7/?refresh_token=x"),
        ("/ws/terminal/7/?%74oken=secret", "/ws/terminal/7/?%74oken=[redacted]"),
        ("/ws/terminal/7/?TOKEN=secret", "/ws/terminal/7/?TOKEN=[redacted]"),
        ("/ws/terminal/7/?a=1&%74%6Fken=secret", "/ws/terminal/7/?a=1&%74%6Fken=[redacted]"),
    ],
)
def test_redacts_only_token_values(path, expected):
    assert filtered_message("WebSocket %s", path) == f"WebSocket {expected}"
