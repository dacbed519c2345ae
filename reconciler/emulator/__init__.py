"""obsctl's embedded AWS emulator: moto's server plus extensions that make it answer like AWS
where obsctl relies on it (pagination, validation, update semantics, missing operations).

The extensions patch moto internals (response classes and backends) and target
moto==5.2.5 exactly (pinned in pyproject.toml); re-check every module under this package
before changing that pin.

Public API: ``serve`` (foreground server), ``Emulator`` (subprocess context manager),
``install`` (apply the extensions to moto in this process; idempotent).
"""

from __future__ import annotations

import threading

from .server import Emulator, serve

__all__ = ["Emulator", "install", "serve"]

MOTO_VERSION = "5.2.5"
_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto's CloudWatch, Logs and tagging classes. Call before the server starts;
    calling again does nothing. State added by the extensions lives on moto's backends, so
    ``/moto-api/reset`` clears it with the rest."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from importlib.metadata import version

        if version("moto") != MOTO_VERSION:
            import warnings

            warnings.warn(f"obsctl's emulator extensions target moto=={MOTO_VERSION}, found {version('moto')}",
                          RuntimeWarning, stacklevel=2)
        from . import (autoscaling, awslambda, cloudtrail, cloudwatch, iam_resources, logs,
                       logs_insights, logs_subscriptions, oam, sagemaker, tagging)

        autoscaling.install()
        awslambda.install()
        cloudtrail.install()
        cloudwatch.install()
        iam_resources.install()
        logs.install()
        logs_insights.install()
        logs_subscriptions.install()
        oam.install()
        sagemaker.install()
        tagging.install()
        _installed = True
