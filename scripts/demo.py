"""`make demo`: start the embedded emulator, then validate -> plan -> apply -> plan (must be empty).

Every step runs the real `obsctl` console script against the emulator over HTTP, as a user
would; the emulator this script started is stopped however the demo ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reconciler.emulator import Emulator

OBSCTL = str(Path(sys.executable).with_name("obsctl"))


def run(step: str, *args: str, env: dict, expect: int = 0) -> None:
    print(f"\n$ obsctl {' '.join(args)}    # {step}", flush=True)
    code = subprocess.run([OBSCTL, *args], env=env).returncode
    if code != expect:
        sys.exit(f"demo failed: `obsctl {' '.join(args)}` exited {code}, expected {expect}")


def main() -> None:
    paths = sys.argv[1:] or ["examples/"]
    # Seeded: the ML examples discover and monitor the emulator's SageMaker endpoints.
    with Emulator(seed=True) as emulator:
        print(f"emulator running at {emulator.endpoint_url}")
        env = {**os.environ, "AWS_ENDPOINT_URL": emulator.endpoint_url,
               "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
               "AWS_DEFAULT_REGION": "us-east-1"}
        env.pop("AWS_PROFILE", None)
        run("parse and validate, no AWS calls", "validate", *paths, env=env)
        run("what would change (everything is new)", "plan", *paths, env=env)
        run("make it so", "apply", *paths, "--auto-approve", env=env)
        run("nothing left to do: exit 0", "plan", *paths, "--detailed-exitcode", env=env)
    print("\ndemo passed: plan -> apply -> plan is empty.")


if __name__ == "__main__":
    main()
