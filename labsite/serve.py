"""Serve Labsite's pages, API and WebSockets with uvicorn.

    python -m labsite.serve [--host 127.0.0.1] [--port 8000] [--proxy-headers]

uvicorn runs on uvloop, with httptools for HTTP and the sans-I/O protocol of
the websockets package for WebSockets. In benchmarks/terminal.py it echoed
keystrokes 0.2 to 0.3 ms sooner than Daphne 4.2, level with webssh. The
run script, the Docker image, the browser tests and the terminal benchmark
all start the server with this module.
"""

import argparse

import uvicorn

APPLICATION = "labsite.asgi:application"
# Seconds between WebSocket pings, and seconds a ping may wait for its pong
# before the connection counts as lost. A ping also keeps a quiet terminal
# open through a proxy that closes idle connections after 60 s (nginx).
PING_INTERVAL = 20
PING_TIMEOUT = 20
# Seconds that a stopping server waits for open requests and WebSockets.
SHUTDOWN_TIMEOUT = 10


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m labsite.serve",
        description="Serve Labsite's pages, API and WebSockets with uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="take the client's address and scheme from X-Forwarded-For and "
        "X-Forwarded-Proto of any peer; use it only when a proxy that overwrites "
        "these headers is the only peer that can reach the port",
    )
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(argv)
    uvicorn.run(
        APPLICATION,
        host=arguments.host,
        port=arguments.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        # Terminal frames are small and many, so compressing them would cost
        # CPU on every keystroke and every chunk of output.
        ws_per_message_deflate=False,
        ws_ping_interval=PING_INTERVAL,
        ws_ping_timeout=PING_TIMEOUT,
        proxy_headers=arguments.proxy_headers,
        forwarded_allow_ips="*" if arguments.proxy_headers else None,
        # Channels' router has no handler for ASGI lifespan events.
        lifespan="off",
        # The proxy in front logs the requests. The WebSocket handshakes that
        # uvicorn logs have their token= values redacted (settings.LOGGING).
        access_log=False,
        # uvicorn's records go to the root logger, which settings.LOGGING
        # sets up when the application is imported, so they are formatted
        # like the site's own.
        log_config=None,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT,
    )


if __name__ == "__main__":
    main()
