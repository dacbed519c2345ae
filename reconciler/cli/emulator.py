"""`obsctl emulator`: the embedded AWS emulator in the foreground (needs the `emulator` extra)."""

from __future__ import annotations

import importlib

import click

from reconciler.cli.common import fail

# What the emulator's server imports from the `emulator` extra (moto[server]): checked
# before serving, so a missing extra is one line, not a traceback from inside the server.
EXTRA_MODULES = ("moto", "moto.moto_server.werkzeug_app", "werkzeug.serving")
MISSING_EXTRA = ("error: the emulator needs the 'emulator' extra: "
                 "pip install 'obsctl[emulator]'")


@click.command("emulator")
@click.option("--port", default=5000, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", is_flag=True, help="Create demo SageMaker endpoints to discover.")
def emulator_command(port, host, seed):
    """Run the embedded AWS emulator (moto server + the calls moto lacks) in the foreground."""
    try:
        for module in EXTRA_MODULES:
            importlib.import_module(module)
        from reconciler.emulator import serve
    except ImportError:
        fail(MISSING_EXTRA)
    serve(host=host, port=port, seed=seed)
