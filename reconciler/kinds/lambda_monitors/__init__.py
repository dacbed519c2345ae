"""Lambda monitors: a preset that watches every Lambda function matching a pattern
(serverless inference).

    lambda_monitors:
      serverless:
        functions: {match: "infer-*"}       # or a list: [infer-churn, infer-fraud]
        error_rate_percent: 1
        duration_p90_ms: 800
        throttles: 1
        concurrent_executions: 900
        memory_utilization_percent: 80      # Lambda Insights
        init_duration_ms: 3000              # Lambda Insights
        actions: {alarm: [topic:ml-oncall]}

It owns no AWS resources. At plan time `generate` discovers the live functions and expands,
per function, into alarms (kinds/alarms' own models, so they compare exactly like declared
ones) with the origin `lambda_monitors.<monitor>[<function>]`:

  <function>-error-rate             100 * Errors / Invocations (Sums) > error_rate_percent
  <function>-duration-p90           Duration p90 > duration_p90_ms
  <function>-throttles              Throttles (Sum) >= throttles
  <function>-concurrent-executions  ConcurrentExecutions (Maximum) >= concurrent_executions
  <function>-memory-utilization     LambdaInsights memory_utilization (Maximum) > the percentage
  <function>-init-duration          LambdaInsights init_duration (Maximum) > init_duration_ms
  (names <= 64 + 22 characters: within the 255 AWS allows)

Metrics, from the Lambda developer guide ("Types of metrics for Lambda functions"): namespace
`AWS/Lambda`, dimension FunctionName; Invocations, Errors and Throttles are counts (Sum),
Duration is in milliseconds (percentiles valid), ConcurrentExecutions is read with Maximum.
Lambda Insights (CloudWatch user guide, "Metrics collected by Lambda Insights"): namespace
`LambdaInsights`, dimension function_name; memory_utilization in percent, init_duration in
milliseconds. Only functions with the extension publish them, so those alarms are generated
only for functions with the Lambda Insights extension layer (insights.py holds the rule) and
the plan notes the others, with how to enable it: obsctl never changes functions, that is the
app's deployment. No invocations publish no datapoints, so every alarm treats missing data as
not breaching.

Discovery: one ListFunctions listing per run (50 a page), shared by every monitor; a listed
function that does not exist is no error and gets nothing (as endpoint monitors do). A
function that disappears takes its alarms out of the desired state: `--prune` deletes them.
Composite alarms and alarm status widgets may name the generated alarms: a name this monitor
could generate passes validation and must exist among the generated alarms at plan time
(`may_generate`; reconciler/kinds/alarm_names.py).
"""

from reconciler.kinds.lambda_monitors.kind import LambdaMonitors
from reconciler.kinds.lambda_monitors.model import LambdaMonitorConfig

__all__ = ["LambdaMonitorConfig", "LambdaMonitors"]
