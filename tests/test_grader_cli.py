"""The `course-grade` command line: help on every subcommand, and clear errors on bad input."""

import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ["release", "collect", "autograde", "feedback", "export", "report", "sandbox"]


def course_grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True)


def test_installed_command_lists_every_subcommand():
    """Does the installed `course-grade --help` list every subcommand?"""
    script = Path(sys.executable).parent / "course-grade"
    if not script.exists():
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    out = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in COMMANDS:
        assert command in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command):
    """Does each subcommand answer --help with a description of what it does?"""
    out = course_grade(command, "--help")
    assert out.returncode == 0 and f"course-grade {command}" in out.stdout
    assert len(out.stdout.splitlines()) > 4


def test_autograde_help_names_the_limits():
    """Does autograde --help document --workers, --timeout and --memory?"""
    out = course_grade("autograde", "--help").stdout
    for option in ("--workers", "--timeout", "--memory", "--force", "--notebook-timeout"):
        assert option in out


def test_unknown_lesson_is_named(tmp_path):
    """Is an unknown lesson refused with the list of real ones, exit code 1?"""
    out = course_grade("autograde", "99_nothing", "--course-dir", tmp_path)
    assert out.returncode == 1 and "not a lesson; lessons are:" in out.stderr


def test_nothing_collected_says_what_to_do(tmp_path):
    """Does autograde on an empty course say that submissions must be collected first?"""
    out = course_grade("autograde", "01", "--course-dir", tmp_path)
    assert out.returncode == 1 and "collect them first" in out.stderr


def test_missing_source_is_named(tmp_path):
    """Does collect name a source that does not exist, and say what it expects?"""
    out = course_grade("collect", tmp_path / "nowhere", "01", "--course-dir", tmp_path)
    assert out.returncode == 1 and "nowhere: no such file or folder" in out.stderr


def test_export_and_feedback_before_grading(tmp_path):
    """Do export and feedback before any grading explain that autograde must run first?"""
    out = course_grade("export", "--course-dir", tmp_path)
    assert out.returncode == 1 and "no gradebook" in out.stderr and "autograde" in out.stderr
    out = course_grade("feedback", "01", "--course-dir", tmp_path)
    assert out.returncode == 1 and "nothing autograded" in out.stderr


def test_report_on_an_empty_course(tmp_path):
    """Does the report of a course without submissions say how to collect them?"""
    out = course_grade("report", "01", "--course-dir", tmp_path)
    assert out.returncode == 0 and "collect some first" in out.stdout


def test_release_help_names_the_bundle_options():
    """Does release --help document --bundle with its --lessons and --released?"""
    out = course_grade("release", "--help").stdout
    for option in ("--bundle", "--lessons", "--released", "--force"):
        assert option in out


def test_bundle_options_need_bundle():
    """Is --lessons without --bundle refused, saying it goes with --bundle?"""
    out = course_grade("release", "--lessons", "01")
    assert out.returncode == 1 and "go with --bundle" in out.stderr
