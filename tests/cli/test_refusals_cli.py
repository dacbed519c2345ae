"""What AWS would refuse at apply is refused before the first API call, through the CLI."""

from __future__ import annotations

CONFIG = """
stack: test
tags: {team: ml}
topics:
  ml-oncall:
    tags: TAGS
"""


def test_plan_with_a_bad_tag_makes_no_api_call(obsctl, write_config):
    path = write_config(CONFIG.replace("TAGS", '{"aws:owner": ml}'))
    for command in (("plan", path), ("apply", path, "--auto-approve")):
        result = obsctl(*command)
        assert result.exit_code == 1
        assert (f"{path}:6:12: error: topics.ml-oncall.tags: invalid key 'aws:owner': tag keys "
                "starting with 'aws:' are reserved for AWS's own tags") in result.stderr
        assert "nothing was sent to AWS" in result.stderr
        assert "api calls: 0 (0 writes)" in result.stderr
        assert "Traceback" not in result.stderr

    # The control: with a good tag the same plan reads AWS.
    good = obsctl("plan", write_config(CONFIG.replace("TAGS", "{owner: ml}")))
    assert good.exit_code == 0 and sum(good.calls.values()) > 0


def test_every_refusal_of_a_file_is_reported_at_once(obsctl, write_config):
    path = write_config("""\
        stack: test
        tags: {"obsctl:stack": other}
        topics:
          events.fifo:
            subscriptions: [{protocol: email, endpoint: a@example.com}]
        alarms:
          "rate\\x1b[2J":
            expression: "100 * (errors / invocations"
            metrics:
              errors: {namespace: AWS/SageMaker, name: Invocation5XXErrors, stat: Sum}
              invocations: {namespace: AWS/SageMaker, name: Invocations, stat: Sum}
            period: 300
            when: "> 1e400"
        log_groups:
          /ml/app:
            metric_filters:
              slow:
                pattern: '{ $.latency > slow }'
                metric: {namespace: ML, name: Slow, value: "1"}
            subscription_filters:
              out:
                pattern: ""
                destination_arn: arn:aws:lambda:us-east-1:123456789012:function:f
                distribution: Random
        """)
    result = obsctl("validate", path)
    assert result.exit_code == 1
    located = [line.split(": error: ")[0].removeprefix(f"{path}:")
               for line in result.stderr.splitlines() if ": error: " in line]
    # Each at its own key, the FIFO topic's email subscription (a cross-entry check) too.
    assert located == ["2:8", "5:21", "7:3", "8:5", "13:5", "18:9", "24:9"], result.stderr
    assert "7 errors in the configuration; nothing was sent to AWS." in result.stderr
    assert "api calls: 0 (0 writes)" in result.stderr
