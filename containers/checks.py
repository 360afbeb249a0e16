"""The check-script runner shared by labs and exams.

A check script is bash written by an instructor. It passes when it exits
with status 0 and prints no line that is `FAIL` or starts with `FAIL:`; its
output is the student's feedback. The runner must not be fooled by what the
student did in the container, so it:

- logs in as labsite-check, a second uid-0 account whose login shell (dash)
  reads no start-up file, over one SSH connection for all scripts;
- copies a statically linked bash from the host, through LXD's file API,
  to a fresh directory under /run (a tmpfs), so a changed /bin/bash,
  aliases, functions, profiles and rc files of the student play no part;
- starts that bash from / with --noprofile --norc, an empty environment
  and a fixed PATH, and sends the script on standard input, so it never
  lands on the container's disk or in a command line;
- reads the verdict from a line that carries a random marker made for this
  run, printed after the script by the runner itself. The script runs with
  standard input from /dev/null, so nothing it starts can read the marker.

The one variable a script gets beyond PATH, HOME, LANG and TERM is
LABSITE_LANG: the code of the student's language in LANGUAGES (en, uz, ru),
so that its feedback can be in that language.
"""

import functools
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from containers import lxd, ssh

logger = logging.getLogger(__name__)

CHECK_USER = "labsite-check"
# /usr/local is left out: a student with sudo could put look-alike commands there.
CHECK_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

# Runs under the static bash, from /: reads the marker line and then the
# script from standard input, and runs the script with eval in a child bash
# whose standard input is /dev/null. The script reaches the child through a
# pipe on descriptor 3, closed once read, so it is in no command line that
# `ps` shows and in no file. $0 of the -c string is the static bash itself.
WRAPPER = (
    "cd / || exit 111; "
    "IFS= read -r marker; script=$(cat); exec 0</dev/null; "
    '"$0" --noprofile --norc -c "script=\\$(cat <&3); exec 3<&-; eval \\"\\$script\\"" '
    '3< <(printf "%s\\n" "$script") 2>&1; '
    'printf "\\n%s %d\\n" "$marker" "$?"'
)


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    feedback: str
    duration: float  # seconds, as measured around the script's run
    timed_out: bool = False


@functools.cache
def _bash_binary(path):
    return Path(path).read_bytes()


def check_language(owner, *, requester=None):
    """Return the language code for LABSITE_LANG in the checks of the owner's work.

    When the owner is the requester, that is the language of the pages they
    are reading. Otherwise (the platform grades, an admin presses Check) it
    is the owner's preferred language, and LANGUAGE_CODE when they chose none.
    """
    if requester is not None and requester.pk == owner.pk:
        candidates = [translation.get_language(), owner.preferred_language]
    else:
        candidates = [owner.preferred_language]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return translation.get_supported_language_variant(candidate)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def run_checks(container, scripts, *, language=None):
    """Run each script in the container as root and return one CheckResult per script.

    language is a code of LANGUAGES that the scripts get as LABSITE_LANG and
    in which the runner words its own feedback; None is LANGUAGE_CODE.
    Raises ValueError for another code, and ContainerError (SSH or LXD) when
    the container cannot be reached. A script that fails, times out or floods
    output gives a failed result, not an error.
    """
    language = language or settings.LANGUAGE_CODE
    # The code goes into a shell command line, so only the known codes pass.
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not a language code of LANGUAGES.")
    directory = f"/run/labsite-check-{secrets.token_hex(8)}"
    bash = f"{directory}/bash"
    # The shell goes in through LXD's file API while SSH connects: together
    # they take about as long as the SSH handshake alone.
    with ThreadPoolExecutor(max_workers=1) as pool:
        copied = pool.submit(_copy_bash, container.name, directory, bash)
        connection = ssh.connect(container.ip_address, user=CHECK_USER, host_key=container.host_key)
        try:
            copied.result()
        except Exception:
            connection.close()
            raise
    with connection:
        try:
            with translation.override(language):
                return [_run_one(connection, bash, script, language) for script in scripts]
        finally:
            connection.run(f"rm -rf {directory}", timeout=10, max_output=4096)


def _copy_bash(name, directory, bash):
    lxd.make_directory(name, directory, mode=0o700)
    lxd.push_file(name, bash, _bash_binary(settings.CHECK_BASH_PATH), mode=0o700)


def _run_one(connection, bash, script, language):
    marker = f"LABSITE-VERDICT-{secrets.token_hex(16)}"
    command = (
        f"exec /usr/bin/env -i PATH={CHECK_PATH} HOME=/root LANG=C.UTF-8 TERM=dumb "
        f"LABSITE_LANG={language} {bash} --noprofile --norc -c '{WRAPPER}'"
    )
    started = time.monotonic()
    result = connection.run(
        command,
        stdin=f"{marker}\n{script}\n".encode(),
        timeout=settings.CHECK_TIMEOUT_SECONDS,
        max_output=settings.CHECK_MAX_OUTPUT,
    )
    duration = time.monotonic() - started
    output = result.stdout.decode("utf-8", errors="replace")
    body, status = _split_verdict(output, marker)

    if result.timed_out:
        feedback = (
            _tail(body)
            + "\n"
            + _("The check did not finish within %(seconds)s seconds.")
            % {"seconds": settings.CHECK_TIMEOUT_SECONDS}
        )
        return CheckResult(False, feedback.strip(), duration, timed_out=True)
    if status is None:
        feedback = _tail(body) + "\n" + _("The check ended before reporting a result.")
        return CheckResult(False, feedback.strip(), duration)
    passed = status == 0 and not _has_fail_line(body)
    return CheckResult(passed, _tail(body), duration)


def _split_verdict(output, marker):
    """Return the script's output and its exit status from the marker line, if present."""
    position = output.rfind(f"\n{marker} ")
    if position < 0:
        return output, None
    status_text = output[position + len(marker) + 2 :].strip()
    try:
        status = int(status_text)
    except ValueError:
        return output[:position], None
    return output[:position], status


def _has_fail_line(output):
    return any(
        line.strip() == "FAIL" or line.strip().startswith("FAIL:") for line in output.splitlines()
    )


def _tail(output):
    lines = output.rstrip("\n").splitlines()
    return "\n".join(lines[-settings.CHECK_FEEDBACK_LINES :])
