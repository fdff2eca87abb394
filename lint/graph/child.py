"""The child process: ``python -m trtlint.graph.child SPEC.json``. Runs one task with torch, in isolation.

Records go to the file descriptor in ``TRTLINT_RECORD_FD`` as JSON lines: ``{"type": "progress", "message"}``,
any task-defined record types, ``{"type": "fatal", "kind", "message"}`` for a failure that has one line to say,
and ``{"type": "done", "torch": version}`` last. A process that dies without ``done`` is a crash to the parent.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any, Callable, TextIO

from trtlint.graph.frames import UserError, user_location

Emit = Callable[..., None]


class _Channel:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def emit(self, type_: str, **fields: Any) -> None:
        rec = {"type": type_, **fields}
        self.stream.write(json.dumps(rec, default=str) + "\n")
        self.stream.flush()


def main(argv: list[str]) -> int:
    fd = int(os.environ.get("TRTLINT_RECORD_FD", "1"))
    chan = _Channel(os.fdopen(fd, "w", encoding="utf-8", closefd=False))
    with open(argv[1], encoding="utf-8") as fh:
        payload = json.load(fh)
    from trtlint.graph.spec import GraphSpec

    spec = GraphSpec.from_json(json.dumps(payload["spec"]))
    try:
        import torch
    except ImportError as exc:
        chan.emit("fatal", kind="torch", message=f"graph mode needs torch, which this Python cannot import ({exc}); "
                  'pip install "trtlint[graph]"')
        return 0
    modname, _, fn = payload["task"].partition(":")
    task = getattr(importlib.import_module(modname), fn)
    try:
        task(spec, chan.emit, payload.get("extra", {}))
    except UserError as exc:
        chan.emit("fatal", kind=exc.kind, message=str(exc))
        return 0
    except MemoryError:
        chan.emit("fatal", kind="oom", message="the model ran out of memory (MemoryError); try smaller shapes")
        return 0
    except Exception as exc:  # the user's code failed somewhere: one line, with the user's line where we have one
        if type(exc).__name__ == "OutOfMemoryError":
            chan.emit("fatal", kind="oom", message=f"the model ran out of {spec.device} memory; try smaller shapes")
            return 0
        where = user_location(exc.__traceback__, spec.user_roots)
        msg = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        chan.emit("fatal", kind="exception",
                  message=f"the model raised {type(exc).__name__}{': ' + msg if msg else ''}"
                          f"{' at ' + where if where else ''} (torch {torch.__version__})")
        return 0
    chan.emit("done", torch=torch.__version__)
    return 0


if __name__ == "__main__":
    sys.stdout.flush()
    sys.exit(main(sys.argv))
