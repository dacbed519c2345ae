"""One run reports every error: the kinds' cross-entry checks run on the entries that passed
validation when others failed, and say nothing that the failed entries may have caused."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.config import load_stacks
from reconciler.diagnostics import ConfigError
from reconciler.kinds import KINDS

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests" / "corpus"
EXAMPLES = [ROOT / "examples" / "ml-platform", ROOT / "examples" / "sagemaker-endpoint"]
SECTIONS = {kind.section for kind in KINDS.values() if kind.section}


def diagnostics(*paths: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_stacks(list(paths), KINDS)
    return str(raised.value).splitlines()


def test_a_wrong_type_a_dangling_reference_a_rule_typo_and_a_pattern_error_in_one_run():
    path = str(CORPUS / "stack-every-kind-of-error-at-once.yaml")
    assert diagnostics(path) == [
        f"{path}:15:5: error: alarms.churn-errors.threshold: input should be a valid number, "
        "got '5'",
        f"{path}:21:23: error: topic 'ml-oncal' is not defined in `topics` "
        "(did you mean 'topic:ml-oncall'?)",
        f"{path}:26:5: error: alarm rule names 'churn-latncy', which is not defined in `alarms` "
        "or `composite_alarms` (did you mean 'churn-latency'?)",
        f"{path}:32:34: error: event pattern: unknown matcher 'contains': use prefix, suffix, "
        "anything-but, numeric, exists, cidr, equals-ignore-case or wildcard",
    ]


def _entries() -> list[tuple[Path, str, str]]:
    """(file, section, entry name) of every entry the examples declare."""
    found = []
    for directory in EXAMPLES:
        for path in sorted(directory.glob("*.yaml")):
            data = YAML(typ="safe").load(path.read_text())
            for section in sorted(SECTIONS & set(data)):
                found += [(path, section, name) for name in data[section]]
    return found


ENTRIES = _entries()


@pytest.mark.parametrize("path, section, name", ENTRIES,
                         ids=[f"{p.parent.name}/{s}/{n}" for p, s, n in ENTRIES])
def test_breaking_any_one_entry_reports_that_entry_alone(tmp_path, path, section, name):
    # Whatever names the broken entry (or what it generates) is not reported as dangling,
    # and no check trips over the stack with the entry left out.
    copy = tmp_path / path.parent.name
    shutil.copytree(path.parent, copy)
    yaml = YAML()
    data = yaml.load(path.read_text())
    data[section][name]["zz_broken"] = 1
    text = io.StringIO()
    yaml.dump(data, text)
    (copy / path.name).write_text(text.getvalue())
    [found] = diagnostics(str(copy))
    assert found.startswith(f"{copy / path.name}:") and found.endswith("unknown key 'zz_broken'")


def test_every_corpus_file_at_once():
    # Files of one stack merge: most entries are left out, and the checks run on the rest.
    # (yaml-* files fail to load: their problems stop the run before validation.)
    files = sorted(str(p) for p in CORPUS.glob("*.yaml") if not p.name.startswith("yaml-"))
    found = diagnostics(*files)
    assert len(found) > len(files)
    assert any("composite alarms name each other in a cycle" in line for line in found)
    assert all(line.startswith(str(CORPUS)) for line in found)


def test_names_a_failed_generator_would_generate_are_not_reported_unknown(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("""\
stack: s
model_monitors:
  churn-dq:
    endpoint: prod-churn
    type: data_quality
    schedule: hourly
    baseline: {statistics: s3://bkt/statistics.json, constraints: s3://bkt/constraints.json}
    output: s3://bkt/reports
    role_arn: arn:aws:iam::123456789012:role/monitor
    drift_alarms:
      - {feature: age, threshold: 0.2}
      - {name: income-drifts, feature: income, threshold: 0.2}
    schedule_typo: daily
composite_alarms:
  drifting:
    rule: ALARM(churn-dq-drift-age) OR ALARM(income-drifts) OR ALARM(cpu-high)
""")
    # Its default names start with its name; an explicit `name` is one of its strings.
    assert diagnostics(str(path)) == [
        f"{path}:13:5: error: model_monitors.churn-dq: unknown key 'schedule_typo' "
        "(did you mean 'schedule'?)",
        f"{path}:16:5: error: alarm rule names 'cpu-high', which is not defined in `alarms` or "
        "`composite_alarms`",
    ]


def test_alarms_a_failed_endpoint_monitor_may_generate_are_not_reported_unknown(tmp_path):
    path = tmp_path / "f.yaml"
    text = """\
stack: s
endpoint_monitors:
  all-prod:
    endpoints: {match: "prod-*"}
    latency_p90_ms: 500
composite_alarms:
  prod-slow:
    rule: ALARM(prod-churn-AllTraffic-latency-p90) OR ALARM(cpu-high)
"""
    path.write_text(text)
    unknown = (f"{path}:8:5: error: alarm rule names 'cpu-high', which is not defined in "
               "`alarms` or `composite_alarms`")
    assert diagnostics(str(path)) == [unknown]  # the monitor's alarm may be generated
    path.write_text(text.replace("latency_p90_ms", "latency_p99_ms"))
    assert diagnostics(str(path)) == [
        f"{path}:5:5: error: endpoint_monitors.all-prod: unknown key 'latency_p99_ms' "
        "(did you mean 'latency_p90_ms'?)",
        unknown,
    ]
