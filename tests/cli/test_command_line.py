"""The command line itself: usage errors, --stats anywhere, --version, the refusals that name
the setting to use, and the emulator command without its extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import main
from reconciler.kinds import KINDS

CONFIG = """
stack: test
topics:
  ml-oncall: {}
queries:
  errors: {log_groups: [/app], query: fields @message}
"""


@pytest.mark.parametrize("args, says", [
    (["plan", "--detailed-exitcode", "--prnue"], "No such option '--prnue'"),
    (["plan", "--format", "yaml"], "Invalid value for '--format'"),
    (["apply", "--target"], "Option '--target' requires an argument"),
    (["import", "--stack", "mine"], "Missing option '--kind'"),
    (["import", "--kind", "widgets", "--stack", "mine"], "Invalid value for '--kind'"),
    (["query"], "Missing argument 'NAME'"),
    (["query", "overhead", "--limit", "0"], "Invalid value for '--limit'"),
    (["validate", "--strict"], "No such option '--strict'"),
    (["emulator", "--port", "many"], "Invalid value for '--port'"),
    (["--bogus", "plan"], "No such option '--bogus'"),
    (["plna"], "No such command 'plna'"),
])
def test_usage_errors_exit_1_never_2(obsctl, args, says):
    """2 is `plan --detailed-exitcode`'s "there are changes": a typo'd flag must not pass
    CI as a plan."""
    result = obsctl(*args)
    assert result.exit_code == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_value_found_while_running_is_a_usage_error_too(obsctl, write_config):
    result = obsctl("query", "errors", write_config(CONFIG), "--since", "yesterday")
    assert result.exit_code == 1 and "Invalid value for '--since'" in result.stderr


def test_stats_after_the_command_as_well_as_before(aws, write_config):
    path = write_config(CONFIG)
    for args in (["plan", "--stats", path], ["--stats", "plan", path], ["plan", path, "--stats"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.stderr
        assert "api calls: " in result.stderr and "sns.ListTopics" in result.stderr, args
    # The control: without the flag, no stats.
    quiet = CliRunner().invoke(main, ["plan", path])
    assert quiet.exit_code == 0 and "api calls" not in quiet.stderr
    validated = CliRunner().invoke(main, ["validate", path, "--stats"])
    assert validated.exit_code == 0 and "api calls: 0 (0 writes)" in validated.stderr


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"obsctl {__version__}\n"


def test_import_kind_lists_the_registered_kinds():
    result = CliRunner().invoke(main, ["import", "--help"], terminal_width=1000)
    assert result.exit_code == 0
    assert f"--kind [{'|'.join(KINDS)}]" in result.stdout


def test_shell_completion_script_is_generated():
    obsctl = Path(sys.executable).parent / "obsctl"
    result = subprocess.run([str(obsctl)], env={"_OBSCTL_COMPLETE": "bash_source"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "_obsctl_completion()" in result.stdout


@pytest.fixture
def nowhere(aws, tmp_path, monkeypatch):
    """No AWS settings at all: no region, no credentials, no config files, no instance role."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("command", ["plan", "apply", "import", "query"])
def test_no_region_names_the_settings_to_use(obsctl, write_config, nowhere, monkeypatch,
                                             command):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = write_config(CONFIG)
    args = {"plan": ["plan", path], "apply": ["apply", path, "--auto-approve"],
            "import": ["import", path, "--kind", "topics"], "query": ["query", "errors", path]}
    result = obsctl(*args[command])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: no AWS region for stack test: set `region:` in the stack, --region, "
        "or AWS_REGION/AWS_DEFAULT_REGION")
    assert result.calls.total() == 0
    # The control: the same with --region goes on to AWS.
    controlled = obsctl(*args[command], "--region", "us-east-1")
    assert controlled.calls.total() > 0 and "no AWS region" not in controlled.stderr


def test_no_credentials_names_the_settings_to_use(obsctl, write_config, nowhere):
    result = obsctl("plan", write_config(CONFIG), "--region", "us-east-1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: no AWS credentials found: set AWS_PROFILE / --profile, AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run `aws sso login`")
    assert result.calls.total() == 0


def test_a_region_in_the_stack_is_enough(obsctl, write_config, nowhere, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = obsctl("plan", write_config("region: us-east-1\n" + CONFIG))
    assert result.exit_code == 0, result.stderr


# Run obsctl as the console script would, in an interpreter where the `emulator` extra
# (moto[server], with werkzeug and flask) cannot be imported.
WITHOUT_EXTRA = textwrap.dedent("""
    import runpy, sys

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("moto", "werkzeug", "flask"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    sys.argv = ["obsctl", *sys.argv[1:]]
    runpy.run_module("reconciler", run_name="__main__")
""")


def test_emulator_without_the_extra_says_what_to_install():
    result = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, "emulator", "--port", "0"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == ("error: the emulator needs the 'emulator' extra: "
                             "pip install 'obsctl[emulator]'\n")
    # The control: the hook leaves the rest of obsctl working.
    other = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, "--version"],
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0 and other.stdout == f"obsctl {__version__}\n"
