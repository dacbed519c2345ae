"""Renderers: pure functions from a Plan to text. Nothing in planning knows about them."""

from reconciler.render import json_plan, markdown, text

RENDERERS = {"text": text.render, "json": json_plan.render, "markdown": markdown.render}
