"""Running the emulator: ``serve`` in the foreground, ``Emulator`` as a managed subprocess."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import urllib.request
import weakref
from pathlib import Path
from typing import IO

LISTENING = "obsctl emulator listening on http://{host}:{port}"
_LISTENING_RE = re.compile(r"^obsctl emulator listening on (http://\S+)\s*$")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def _quiet_handler():  # built lazily: importing werkzeug/moto is slow and the CLI may not need it
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        """moto's handler without werkzeug's one-line-per-request access log; 5xx still logged."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if str(code).startswith("5"):
                super().log_request(code, size)

    return QuietRequestHandler


def serve(host: str = "127.0.0.1", port: int = 5000, seed: bool = False) -> None:
    """Install the extensions and serve moto + extensions until interrupted (blocking).

    Prints ``obsctl emulator listening on http://HOST:PORT`` once the server accepts requests
    (and, with ``seed``, after the seed data exists). ``port=0`` picks a free port."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from . import install

    install()
    from .cloudtrail import recording

    # Successful writes become CloudTrail events (LookupEvents), as AWS logs them.
    app = recording(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=_quiet_handler())
    actual_port = server.server_port
    # moto builds some URLs (e.g. SQS queue URLs) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(actual_port)
    endpoint = f"http://{host}:{actual_port}"
    failed: list[BaseException] = []

    def announce() -> None:
        try:
            if seed:
                from .seed import seed as run_seed

                run_seed(endpoint)
        except BaseException as exc:  # report, then stop the server: a half-seeded emulator lies
            failed.append(exc)
            import traceback

            traceback.print_exc()
            server.shutdown()
            return
        print(LISTENING.format(host=host, port=actual_port), flush=True)

    threading.Thread(target=announce, name="obsctl-emulator-announce", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    if failed:
        raise SystemExit(1)


class Emulator:
    """``python -m reconciler.emulator --port 0`` as a context-managed subprocess.

    >>> with Emulator() as emu:
    ...     boto3.client("logs", endpoint_url=emu.endpoint_url, ...)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: bool = False,
        startup_timeout: float = 60.0,
        stop_timeout: float = 5.0,
        stderr: int | IO[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._stderr = stderr  # None: inherit, so server tracebacks stay visible
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._finalizer: weakref.finalize | None = None
        self.endpoint_url: str = ""

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "Emulator":
        if self._proc is not None:
            raise RuntimeError("emulator already started")
        cmd = [sys.executable, "-m", "reconciler.emulator", "--host", self.host, "--port", str(self.port)]
        if self.seed:
            cmd.append("--seed")
        env = dict(os.environ)
        # Importable even when obsctl is not pip-installed (tests run from a checkout).
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO_ROOT), env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
            env=env, text=True, bufsize=1,
        )
        # Kill the server even if the caller forgets to stop it (or the interpreter exits).
        self._finalizer = weakref.finalize(self, _stop_process, self._proc, self.stop_timeout)
        lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(
            target=_pump, args=(self._proc.stdout, lines), name="obsctl-emulator-stdout", daemon=True
        )
        self._reader.start()
        try:
            self.endpoint_url = self._wait_for_listening(lines)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_listening(self, lines: "queue.Queue[str | None]") -> str:
        import time

        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"emulator did not start within {self.startup_timeout:.0f}s")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self._proc.wait() if self._proc else None
                raise RuntimeError(f"emulator exited before listening (exit code {code})")
            match = _LISTENING_RE.match(line)
            if match:
                return match.group(1)

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop_process once
            self._finalizer = None
        if self._reader is not None:
            self._reader.join(timeout=self.stop_timeout)  # EOF follows the process's exit
            self._reader = None
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def reset(self) -> None:
        """Forget every resource (moto's ``/moto-api/reset``; the extensions' state goes too)."""
        if not self.endpoint_url:
            raise RuntimeError("emulator not started")
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()


def _pump(stream: IO[str] | None, lines: "queue.Queue[str | None]") -> None:
    """Forward the server's stdout line by line; keep draining so the pipe never fills up."""
    if stream is None:
        lines.put(None)
        return
    try:
        for line in stream:
            lines.put(line.rstrip("\n"))
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _stop_process(proc: "subprocess.Popen[str]", timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
