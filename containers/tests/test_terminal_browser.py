"""The sandbox terminal in headless Chromium, against the web server and a real LXD container."""

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from containers import services
from containers.models import Container, Kind

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PROMPT = r"^student@[^:]+:~\$$"
# Milliseconds to wait for the shell to respond, and for the LXD work behind a sandbox button.
SHELL_TIMEOUT = 20_000
LXD_TIMEOUT = 90_000


@pytest.fixture
def sandbox(student, lxd_cleanup):
    return services.create_container(owner=student, kind=Kind.SANDBOX)


def terminal_text(page, container_id):
    return page.evaluate("id => window.labsiteTerminal.text(id)", container_id)


def wait_for_line(page, container_id, pattern, timeout=SHELL_TIMEOUT):
    """Wait until a line of the terminal matches pattern, a regular expression."""
    try:
        page.wait_for_function(
            """([id, pattern]) => {
                const text = window.labsiteTerminal && window.labsiteTerminal.text(id);
                return typeof text === 'string' && new RegExp(pattern, 'm').test(text);
            }""",
            arg=[container_id, pattern],
            timeout=timeout,
        )
    except PlaywrightTimeoutError:
        pytest.fail(
            f"No terminal line matched {pattern!r} within {timeout} ms. The terminal shows:\n"
            f"{terminal_text(page, container_id)}"
        )


def wait_for_state(page, state, timeout=SHELL_TIMEOUT):
    page.wait_for_selector(f"[data-terminal][data-terminal-state={state}]", timeout=timeout)


def status_text(page):
    return page.locator("[data-terminal-status]").inner_text()


def open_terminal(page, log_in, sandbox, student):
    """Log in, open the sandbox page and wait for the shell's prompt."""
    log_in(student)
    page.goto("/sandbox/")
    wait_for_state(page, "connected")
    wait_for_line(page, sandbox.pk, PROMPT)


def run(page, command):
    """Type command and Enter into the terminal through the keyboard."""
    page.locator("[data-terminal] .xterm").click()
    page.keyboard.type(command)
    page.keyboard.press("Enter")


def terminal_size(page, container_id):
    return page.evaluate(
        "id => { const t = window.labsiteTerminal.get(id); return [t.rows, t.cols]; }",
        container_id,
    )


def session_property(page, name):
    """Return a property of the page's terminal session object in terminal.js."""
    return page.evaluate(
        "name => document.querySelector('[data-terminal]').labsiteTerminalSession[name]", name
    )


def student_shells(container):
    """Return the process ids of the student's bash shells in the container, read as root."""
    with services.connect(container, user="root") as connection:
        result = connection.run("pgrep -u student -x bash || true", timeout=10, max_output=10_000)
    return result.stdout.decode().split()


def test_terminal_runs_typed_command(page, log_in, screenshots, sandbox, student):
    log_in(student)
    page.goto("/sandbox/")
    screenshots.take("sandbox-page")

    wait_for_state(page, "connected")
    wait_for_line(page, sandbox.pk, PROMPT)
    screenshots.take("prompt")
    assert status_text(page) == "Connected"
    # The xterm.js rules that the page's CSP blocks as inline <style> apply.
    font = page.locator("[data-terminal] .xterm-rows").evaluate(
        "rows => getComputedStyle(rows).fontFamily"
    )
    assert "DejaVu Sans Mono" in font

    page.locator("[data-terminal] .xterm").click()
    page.keyboard.type("echo hello")
    screenshots.take("typed")
    page.keyboard.press("Enter")

    wait_for_line(page, sandbox.pk, r"^hello$")
    screenshots.take("output")
    lines = terminal_text(page, sandbox.pk).splitlines()
    assert re.fullmatch(r"student@[^:]+:~\$ echo hello", lines[lines.index("hello") - 1])


def test_window_resize_changes_stty_size(page, log_in, screenshots, sandbox, student):
    open_terminal(page, log_in, sandbox, student)
    rows, cols = terminal_size(page, sandbox.pk)

    run(page, "stty size")
    wait_for_line(page, sandbox.pk, rf"^{rows} {cols}$")
    screenshots.take("first-size")

    page.set_viewport_size({"width": 820, "height": 640})
    page.wait_for_function(
        "([id, cols]) => window.labsiteTerminal.get(id).cols !== cols", arg=[sandbox.pk, cols]
    )
    new_rows, new_cols = terminal_size(page, sandbox.pk)
    assert new_cols < cols
    assert new_rows >= 24
    run(page, "clear; stty size")

    wait_for_line(page, sandbox.pk, rf"^{new_rows} {new_cols}$")
    screenshots.take("second-size")


def test_closing_page_ends_ssh_session(page, log_in, screenshots, sandbox, student):
    open_terminal(page, log_in, sandbox, student)
    screenshots.take("prompt")
    assert len(student_shells(sandbox)) == 1

    page.close()

    deadline = time.monotonic() + 5
    while student_shells(sandbox) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert student_shells(sandbox) == []


def test_dropped_connection_reattaches_same_shell(
    page, log_in, screenshots, web_server, sandbox, student
):
    open_terminal(page, log_in, sandbox, student)
    run(page, "export LABSITE_MARK=kept-42")
    wait_for_line(page, sandbox.pk, r"\$ export LABSITE_MARK=kept-42$")
    session_id = session_property(page, "sessionId")
    assert session_id

    web_server.drop_connections()

    wait_for_state(page, "reconnecting")
    screenshots.take("reconnecting")
    assert status_text(page) == "Connection lost. Reconnecting (attempt 1)…"
    wait_for_state(page, "connected")
    screenshots.take("reconnected")
    assert session_property(page, "sessionId") == session_id
    run(page, "echo mark=$LABSITE_MARK")
    wait_for_line(page, sandbox.pk, r"^mark=kept-42$")
    assert len(student_shells(sandbox)) == 1
    # The screen was reset before the replay redrew it, so nothing shows twice.
    text = terminal_text(page, sandbox.pk)
    assert text.count("$ export LABSITE_MARK=kept-42") == 1
    assert text.count("Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY") == 1


def test_idle_terminal_stays_connected(page, log_in, sandbox, student):
    open_terminal(page, log_in, sandbox, student)
    page.evaluate(
        """() => {
            const element = document.querySelector('[data-terminal]');
            window.terminalStates = [];
            new MutationObserver(() => window.terminalStates.push(element.dataset.terminalState))
                .observe(element, { attributes: true, attributeFilter: ['data-terminal-state'] });
        }"""
    )

    # Longer than the 5 s for which channels_redis 4.3 blocks reading an idle
    # channel, so a failing read shows as a reconnection.
    page.wait_for_timeout(8000)

    assert page.evaluate("() => window.terminalStates") == []
    run(page, "echo still-here")
    wait_for_line(page, sandbox.pk, r"^still-here$")


def test_logout_closes_terminal_with_login_link(page, log_in, screenshots, sandbox, student):
    open_terminal(page, log_in, sandbox, student)
    other_tab = page.context.new_page()
    other_tab.goto("/")

    other_tab.locator("form[action='/accounts/logout/'] button").click()
    other_tab.wait_for_url("**/accounts/login/")

    wait_for_state(page, "closed")
    screenshots.take("closed")
    assert status_text(page) == (
        "Closed: You are not signed in. Log in and open the terminal again."
    )
    login_link = page.locator("[data-terminal-login]")
    assert login_link.is_visible()
    assert login_link.get_attribute("href") == "/accounts/login/?next=/sandbox/"
    assert page.locator("[data-terminal-reconnect]").is_hidden()
    # No reconnection follows a deliberate close.
    page.wait_for_timeout(1500)
    assert page.locator("[data-terminal]").get_attribute("data-terminal-state") == "closed"


def test_exit_offers_new_shell(page, log_in, screenshots, sandbox, student):
    open_terminal(page, log_in, sandbox, student)

    run(page, "exit")

    wait_for_state(page, "closed")
    screenshots.take("shell-ended")
    assert status_text(page) == "Closed: The shell ended."
    page.locator("[data-terminal-reconnect]").click()
    wait_for_state(page, "connected")
    run(page, "echo again")
    wait_for_line(page, sandbox.pk, r"^again$")
    screenshots.take("new-shell")


def test_paste_and_copy_with_ctrl_shift(page, log_in, screenshots, sandbox, student):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_terminal(page, log_in, sandbox, student)
    page.evaluate("() => navigator.clipboard.writeText('echo pasted-$((6*7))')")

    page.locator("[data-terminal] .xterm").click()
    page.keyboard.press("Control+Shift+V")
    page.keyboard.press("Enter")

    wait_for_line(page, sandbox.pk, r"^pasted-42$")
    page.evaluate("id => window.labsiteTerminal.get(id).selectAll()", sandbox.pk)
    page.keyboard.press("Control+Shift+C")
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).includes('\\npasted-42\\n')"
    )
    screenshots.take("copied")


def test_type_function_sends_text(page, log_in, sandbox, student):
    open_terminal(page, log_in, sandbox, student)

    sent = page.evaluate(
        "id => window.labsiteTerminal.type(id, 'echo typed-$((2+3))\\r')", sandbox.pk
    )

    assert sent is True
    wait_for_line(page, sandbox.pk, r"^typed-5$")
    assert page.evaluate("() => window.labsiteTerminal.type(999999, 'ls\\r')") is False


def test_created_sandbox_shows_terminal(page, log_in, screenshots, student, lxd_cleanup):
    log_in(student)
    page.goto("/sandbox/")
    assert page.locator("[data-terminal]").count() == 0

    page.get_by_role("button", name="Create my sandbox").click()

    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    container_id = Container.objects.get(owner=student, kind=Kind.SANDBOX).pk
    wait_for_line(page, container_id, PROMPT)
    screenshots.take("created")
    run(page, "echo created")
    wait_for_line(page, container_id, r"^created$")


def test_stop_and_start_remount_terminal(page, log_in, screenshots, sandbox, student):
    open_terminal(page, log_in, sandbox, student)

    page.get_by_role("button", name="Stop").click()

    page.wait_for_selector("[data-terminal]", state="detached", timeout=LXD_TIMEOUT)
    screenshots.take("stopped")
    assert page.evaluate("id => window.labsiteTerminal.get(id)", sandbox.pk) is None

    page.get_by_role("button", name="Start").click()

    wait_for_state(page, "connected", timeout=LXD_TIMEOUT)
    wait_for_line(page, sandbox.pk, PROMPT)
    screenshots.take("started")
    assert page.locator(".xterm").count() == 1
    run(page, "echo restarted")
    wait_for_line(page, sandbox.pk, r"^restarted$")
