"""``python -m reconciler.emulator [--host H] [--port N] [--seed]``"""

from __future__ import annotations

import argparse

from . import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reconciler.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to bind; 0 picks a free one")
    parser.add_argument("--seed", action="store_true", help="create the demo SageMaker endpoints")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, seed=args.seed)


if __name__ == "__main__":
    main()
