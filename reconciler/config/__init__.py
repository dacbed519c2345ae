"""Config: YAML files -> validated stacks (`load_stacks`), and the JSON Schema of a file."""

from reconciler.config.loader import SourceDocument, load_documents
from reconciler.config.registry import ConfigKind, Registry
from reconciler.config.validate import load_stacks, stack_model

__all__ = ["ConfigKind", "Registry", "SourceDocument", "load_documents", "load_stacks",
           "stack_model"]
