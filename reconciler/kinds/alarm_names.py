"""The alarm names a composite alarm's rule or suppressor and an alarm status widget may name:
the stack's metric and composite alarms, and the alarms its presets generate.

Generated names are known at two moments. At validation (no AWS access), those that need no
discovery: a model monitor's `drift_alarms`. A name that an endpoint monitor would generate
for an endpoint it may discover (`<endpoint>-<variant>-<suffix>` with an endpoint its pattern
matches and a suffix it generates) passes validation and is checked at plan time, when
`generate` has run and every generated name is known (`Kind.check_generated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable
from reconciler.diagnostics import did_you_mean

if TYPE_CHECKING:
    from reconciler.config.stack import Stack

_NOT_GENERATED = ("; no endpoint, lambda or model monitor generates it either (endpoint and "
                  "lambda monitors generate alarms only for the endpoints, variants and functions "
                  "that exist; Lambda Insights alarms only for functions with its layer)")


@dataclass(frozen=True)
class AlarmNames:
    known: frozenset[str]
    maybe_later: Callable[[str], bool]  # may still be generated at plan time
    # Appended to a message about an unknown name: why no generated alarm has it either.
    not_generated: str = ""

    @classmethod
    def at_validation(cls, stack: "Stack") -> "AlarmNames":
        from reconciler.kinds import KINDS  # the registry imports the kinds that use this

        known = _declared(stack).union(*(k.generated_names(stack, "alarms") for k in KINDS.values()))
        return cls(frozenset(known), lambda name: any(k.may_generate(stack, "alarms", name)
                                                       for k in KINDS.values()))

    @classmethod
    def at_plan(cls, stack: "Stack", generated: dict[str, set[str]]) -> "AlarmNames":
        return cls(frozenset(_declared(stack) | generated.get("alarms", set())),
                   lambda name: False, _NOT_GENERATED)

    def unknown(self, name: str) -> bool:
        """A name (ARNs are taken as written) that nothing defines or may still generate."""
        return not name.startswith("arn:") and name not in self.known and not self.maybe_later(name)

    def did_you_mean(self, name: str) -> str | None:
        return did_you_mean(name, self.known)


def _declared(stack: "Stack") -> set[str]:
    return set(stack.section("alarms")) | set(stack.section("composite_alarms"))
