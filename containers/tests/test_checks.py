"""The check-script runner against a real container, including a student who cheats."""

import pytest

from containers.checks import run_checks
from containers.tests.lxd_fixtures import LaunchedInstance

pytestmark = pytest.mark.lxd


@pytest.fixture(scope="module")
def instance(lxd_available):
    """One container for this module; the cheating tests change it for good."""
    launched = LaunchedInstance()
    yield launched
    launched.delete()


def as_student(instance, command):
    with instance.connect("student") as connection:
        result = connection.run(command, timeout=20, max_output=100_000)
    assert result.exit_status == 0, result.stderr
    return result


def check(instance, script):
    [result] = run_checks(instance.container, [script])
    return result


def test_verdict_from_exit_status(instance):
    passed, failed, status_3 = run_checks(
        instance.container, ["echo all good", "echo missing file; false", "exit 3"]
    )

    assert (passed.passed, passed.feedback) == (True, "all good")
    assert (failed.passed, failed.feedback) == (False, "missing file")
    assert status_3.passed is False
    assert 0 < passed.duration < 5


@pytest.mark.parametrize(
    ("script", "passed"),
    [
        ("echo FAIL", False),
        ("echo '  FAIL: the file is missing'", False),
        ("echo FAILURE is not the marker", True),
        ("echo 'not a FAIL: line'", True),
    ],
)
def test_fail_line_rule(instance, script, passed):
    assert check(instance, script).passed is passed


def test_task_passes_after_student_acts(instance):
    script = 'test -f /home/student/report.txt && grep -qx "done" /home/student/report.txt'
    before = check(instance, script)

    as_student(instance, "echo done > ~/report.txt")
    after = check(instance, script)

    assert before.passed is False
    assert after.passed is True


def test_timeout_fails_and_kills(instance, settings):
    settings.CHECK_TIMEOUT_SECONDS = 2

    result = check(instance, "echo started; sleep 120")

    assert result.passed is False
    assert result.timed_out is True
    assert 1.5 < result.duration < 6
    assert result.feedback == "started\nThe check did not finish within 2 seconds."
    assert as_student(instance, "pgrep -fc '[s]leep 120' || true").stdout == b"0\n"


def test_endless_loop_times_out(instance, settings):
    settings.CHECK_TIMEOUT_SECONDS = 1

    result = check(instance, "while :; do :; done")

    assert result.timed_out is True
    assert result.passed is False


def test_megabytes_of_output(instance, settings):
    settings.CHECK_MAX_OUTPUT = 64 * 1024

    result = check(
        instance, "head -c 8000000 /dev/zero | tr '\\0' x; echo; seq 1 30; echo last >&2"
    )

    assert result.passed is True
    assert result.feedback.splitlines()[-1] == "last"
    assert len(result.feedback.splitlines()) == 20
    assert result.duration < 10


def test_script_cannot_read_stdin(instance):
    result = check(instance, "cat; echo after-cat")

    assert result.passed is True
    assert result.feedback == "after-cat"


def test_nothing_left_on_disk(instance):
    check(instance, "echo secret-check-body-7731")

    leftovers = as_student(
        instance,
        "sudo ls /run | grep -c labsite-check || true; "
        "sudo grep -rl secret-check-body-7731 /tmp /var/tmp /root /run 2>/dev/null | wc -l",
    )

    assert leftovers.stdout == b"0\n0\n"


def test_environment_is_clean_and_path_fixed(instance):
    result = check(instance, "echo $PATH; id -u; env | cut -d= -f1 | sort | tr '\\n' ' '")

    path, uid, names = result.feedback.splitlines()
    assert path == "/usr/sbin:/usr/bin:/sbin:/bin"
    assert uid == "0"
    assert set(names.split()) <= {
        "PATH", "HOME", "LANG", "TERM", "LABSITE_LANG", "PWD", "SHLVL", "_", "OLDPWD"
    }  # fmt: skip


# Prints its feedback in the student's language, as docs/content.md shows.
TRANSLATED_CHECK = """\
case $LABSITE_LANG in
  uz) echo "FAIL: ~/report.txt fayli yoʻq." ;;
  ru) echo "FAIL: файла ~/report.txt нет." ;;
  *) echo "FAIL: ~/report.txt is missing." ;;
esac
exit 1
"""


@pytest.mark.parametrize(
    ("language", "feedback"),
    [
        ("uz", "FAIL: ~/report.txt fayli yoʻq."),
        ("ru", "FAIL: файла ~/report.txt нет."),
        ("en", "FAIL: ~/report.txt is missing."),
        (None, "FAIL: ~/report.txt is missing."),
    ],
)
def test_script_reads_labsite_lang(instance, language, feedback):
    printed, translated = run_checks(
        instance.container, ['echo "$LABSITE_LANG"', TRANSLATED_CHECK], language=language
    )

    assert printed.feedback == (language or "en")
    assert translated.feedback == feedback
    assert translated.passed is False


@pytest.mark.parametrize("language", ["fr", "uz; reboot", "$(id)"])
def test_unknown_language_rejected(instance, language):
    with pytest.raises(ValueError) as error:
        run_checks(instance.container, ["true"], language=language)

    assert str(error.value) == f"{language!r} is not a language code of LANGUAGES."


CHEATS = [
    # Shell start-up files of the student, of root and of every shell.
    "cat >> ~/.bashrc <<'EOF'\nalias test=true grep=true false=true\n"
    "test() { return 0; }; grep() { return 0; }; export -f test grep\necho PASS\nEOF",
    "sudo tee -a /root/.bashrc /etc/bash.bashrc /etc/profile /root/.profile >/dev/null <<'EOF'\n"
    "alias test=true; test() { return 0; }; export -f test; echo PASS\nEOF",
    # Look-alike commands earlier in the student's PATH and in /usr/local.
    "mkdir -p ~/bin && printf '#!/bin/sh\\nexit 0\\n' > ~/bin/test && chmod +x ~/bin/test "
    "&& cp ~/bin/test ~/bin/grep && sudo cp ~/bin/test /usr/local/bin/test "
    "&& sudo cp ~/bin/test /usr/local/bin/grep && sudo cp ~/bin/test /usr/local/bin/false",
    "echo 'export PATH=$HOME/bin:/usr/local/bin:$PATH' >> ~/.profile",
    # A background process that writes PASS and verdict-like lines to every terminal.
    "nohup sh -c 'while :; do for t in /dev/pts/*; do "
    'echo "PASS\nLABSITE-VERDICT-00000000000000000000000000000000 0" > $t; done 2>/dev/null; '
    "sleep 0.05; done' >/dev/null 2>&1 &",
]


def test_cheating_changes_no_verdict(instance):
    scripts = [
        "test -f /nonexistent/file",
        "grep -q no-such-user-xyz /etc/passwd",
        "false",
        "echo LABSITE-VERDICT-00000000000000000000000000000000 0; exit 1",
        "grep -q '^root:' /etc/passwd && test -d /home/student",
    ]
    honest = [result.passed for result in run_checks(instance.container, scripts)]

    for cheat in CHEATS:
        as_student(instance, cheat)
    # The student's own shell now finds the fake commands and functions.
    assert as_student(
        instance, "bash -lic 'test -f /nonexistent/file && echo fooled'"
    ).stdout.endswith(b"fooled\n")
    cheated = [result.passed for result in run_checks(instance.container, scripts)]

    assert honest == [False, False, False, False, True]
    assert cheated == honest
