"""EventBridge rules with SNS topic (or any ARN) targets.

    event_rules:
      training-job-failed:
        pattern: {source: [aws.sagemaker], detail-type: [SageMaker Training Job State Change],
                  detail: {TrainingJobStatus: [Failed]}}
        targets: [topic:ml-oncall]

The pattern is checked locally against the "Event patterns" / "Content filtering" pages of
the EventBridge user guide (so `obsctl validate` needs no TestEventPattern call): a non-empty
mapping whose keys map to a nested mapping or to a non-empty array of values (strings,
numbers, booleans, null) and matchers (`prefix`, `suffix`, `anything-but`, `numeric`,
`exists`, `cidr`, `equals-ignore-case`, `wildcard`), `$or` to a list of at least two
patterns; at most 4096 characters as sent (PutRule EventPattern). A topic that a rule of the
stack targets gets a topic policy statement letting EventBridge publish (reconciler/kinds/topics.py).

Live state: ListRules (paginated) per event bus the stack uses, tags in bulk (`events:rule`),
and ListTargetsByRule for the rules the stack declares or owns only (no batched form exists),
a few at a time.

Comparable form:
  event_bus     bus name ("default")
  pattern       parsed; mappings by key, value arrays sorted (an array is an OR: order is no change)
  state         ENABLED | DISABLED
  description   absent when empty
  targets       target ARNs, sorted (a duplicate ARN is listed twice). Target ids are not
                compared: a rule made elsewhere keeps its ids (the console picks random ones);
                targets obsctl adds get an id derived from the target (the topic name)
  tags

Import (`obsctl import --kind event_rules`): the rules of every event bus (ListEventBuses)
whose name starts with the prefix, with their targets and all their tags. The pattern is
written as AWS holds it (the author's key and value order); targets as `topic:NAME` where a
topic of the config has that ARN, otherwise as the ARN; `enabled`, `description` and
`event_bus` only when not the default. Left out: rules an AWS service manages (ManagedBy) and
rules without an event pattern (schedules), which `event_rules` has no form for. A rule name
used on several buses, or a rule the config cannot express (no targets, a state other than
ENABLED/DISABLED, a pattern obsctl's local check refuses, a target with settings beyond its
ARN such as an input transformer, a role or a dead-letter queue: obsctl's PutTargets would
drop them) stops the import with the reason. A retry policy equal to EventBridge's default
(185 attempts, 24 hours) is no setting: the console writes it out.

One difference can remain after an import, and `--adopt` then reports the rule instead of
tagging it (take it over with `obsctl apply --adopt event_rules/NAME`):
- the topic policy: a topic of the config that a rule now targets gets obsctl's policy for
  EventBridge (reconciler/kinds/topics.py), which replaces the statement the console or
  another tool added; the plan shows it as an update of that topic.
"""

from reconciler.kinds.event_rules.model import (BusName, DEFAULT_BUS, EventRuleConfig,
                                                MAX_PATTERN_LENGTH, MAX_TARGETS, RuleName,
                                                TARGET_ID, TargetRef)
from reconciler.kinds.event_rules.pattern import pattern_problems
from reconciler.kinds.event_rules.forms import (DEFAULT_RETRY_POLICY, canonical_pattern,
                                                desired_spec, importable, live_spec, rule_arn,
                                                rule_config, rule_name, target_id, topics_targeted,
                                                unexpressed_target_settings)
from reconciler.kinds.event_rules.kind import EventRules, target_changes

__all__ = ["BusName", "DEFAULT_BUS", "DEFAULT_RETRY_POLICY", "EventRuleConfig", "EventRules",
           "MAX_PATTERN_LENGTH", "MAX_TARGETS", "RuleName", "TARGET_ID", "TargetRef",
           "canonical_pattern", "desired_spec", "importable", "live_spec", "pattern_problems",
           "rule_arn", "rule_config", "rule_name", "target_changes", "target_id", "topics_targeted",
           "unexpressed_target_settings"]
