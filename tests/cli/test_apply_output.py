"""Apply's per-resource lines carry names and AWS's messages: written out on a terminal."""

from __future__ import annotations

from reconciler.apply import Outcome
from reconciler.cli.common import report_outcome
from reconciler.plan import Action, Change


def _change(name: str) -> Change:
    return Change(stack="s", kind="alarms", name=name, action=Action.DELETE, before={}, after=None)


def test_outcome_lines_write_control_characters_out(capsys):
    report_outcome(Outcome(_change("x\x1b[2Jy")))
    report_outcome(Outcome(_change("z"), error="AccessDenied: no\nfake line \x1b[1A"))
    out, err = capsys.readouterr()
    assert out == "- alarms/x\\x1b[2Jy: deleted\n"
    assert err == "! alarms/z: delete failed: AccessDenied: no\\nfake line \\x1b[1A\n"
