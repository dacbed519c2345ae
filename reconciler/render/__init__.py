"""Renderers: pure functions from the plan document (reconciler/plan_document.py) to text.
Nothing in planning knows about them.

`RENDERERS[format](plan, **options)` renders a Plan: it builds the document once and hands it
to the format's `render(document)`; the text renderer takes `color=True` on a terminal (see
text.color_wanted). A plan that failed: render.failure.render_failure(format, problems).
"""

from reconciler.plan_document import plan_document
from reconciler.render import json_plan, markdown, text


def _from_plan(render_document):
    def render(plan, **options) -> str:
        return render_document(plan_document(plan), **options)
    return render


RENDERERS = {"text": _from_plan(text.render), "json": _from_plan(json_plan.render),
             "markdown": _from_plan(markdown.render)}
