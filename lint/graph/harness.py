"""Run a task in a child Python process: spec in as JSON, records out as JSON lines, every failure one line.

The parent never imports torch. The child (:mod:`trtlint.graph.child`) writes records to a dedicated pipe, so
whatever the user's code prints cannot corrupt them; its stdout and stderr are collected and only their last lines
are quoted when something goes wrong. A hang (past ``timeout``), a crash (signal, ``os._exit``), an out-of-memory
kill, an import failure of the user's factory: each becomes :class:`ChildFailure` with one line, never a traceback.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .spec import GraphSpec

Record = dict[str, Any]
DEFAULT_TASK = "trtlint.graph.observe:run"


class ChildFailure(Exception):
    """The child did not finish: ``str(exc)`` is one line for the user (exit 2)."""


@dataclass
class ChildOutcome:
    records: list[Record] = field(default_factory=list)
    returncode: int | None = None
    seconds: float = 0.0
    output_tail: str = ""  # the last lines the child (and the user's code) printed

    def of(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.get("type") == type_]


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _describe_exit(rc: int, tail: str) -> str:
    if rc < 0:
        name = _signal_name(-rc)
        why = {"SIGSEGV": "a segmentation fault, in native code the model called",
               "SIGKILL": "killed, most often by the kernel's out-of-memory killer",
               "SIGABRT": "aborted by native code", "SIGBUS": "a bus error in native code",
               "SIGFPE": "a floating-point exception in native code"}.get(name, "killed by a signal")
        return f"the model's process died with {name} ({why})"
    if rc == 137:
        return "the model's process was killed (exit 137: SIGKILL, most often the out-of-memory killer)"
    last = tail.strip().splitlines()[-1:] if tail.strip() else []
    said = f"; it last printed: {last[0][:200]}" if last else ""
    return f"the model's process exited with status {rc} before finishing (os._exit or sys.exit in user code?){said}"


def run_child(spec: GraphSpec, task: str = DEFAULT_TASK, *, on_record: Callable[[Record], None] | None = None,
              extra: dict[str, Any] | None = None, python: str | None = None,
              env: dict[str, str] | None = None) -> ChildOutcome:
    """Run ``task`` (``"package.module:function"``, called as ``function(spec, emit, extra)`` in the child) and
    return its records. Raises :class:`ChildFailure` (one line) when it fails, hangs past ``spec.timeout`` or
    dies. ``on_record`` sees each record as it arrives (progress, observations)."""
    payload = json.dumps({"spec": json.loads(spec.to_json()), "task": task, "extra": extra or {}})
    rfd, wfd = os.pipe()
    fd, spec_path = tempfile.mkstemp(prefix="trtlint-graph-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(payload)
    child_env = dict(os.environ if env is None else env)
    child_env["TRTLINT_RECORD_FD"] = str(wfd)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    child_env.pop("PYTHONBREAKPOINT", None)
    cmd = [python or sys.executable, "-m", "trtlint.graph.child", spec_path]
    start = time.monotonic()
    outcome = ChildOutcome()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                pass_fds=(wfd,), env=child_env, start_new_session=True)
    except OSError as exc:
        os.close(rfd)
        os.close(wfd)
        os.unlink(spec_path)
        raise ChildFailure(f"cannot start {cmd[0]}: {exc.strerror or exc}") from None
    os.close(wfd)
    tail = bytearray()
    buf = bytearray()
    failure: str | None = None
    done = False
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(rfd, selectors.EVENT_READ, "records")
    sel.register(proc.stdout, selectors.EVENT_READ, "output")
    open_streams = 2
    try:
        while open_streams:
            left = spec.timeout - (time.monotonic() - start)
            if left <= 0:
                failure = (f"the model did not finish within --timeout {spec.timeout:g}s (a hang, or raise --timeout); "
                           "its process was killed")
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                stream = key.fileobj
                chunk = os.read(stream if isinstance(stream, int) else stream.fileno(), 65536)  # type: ignore[arg-type]
                if not chunk:
                    sel.unregister(stream)
                    open_streams -= 1
                    continue
                if key.data == "output":
                    tail += chunk
                    del tail[:-8192]
                    continue
                buf += chunk
                while b"\n" in buf:
                    line, _, rest = bytes(buf).partition(b"\n")
                    buf = bytearray(rest)
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    if rec.get("type") == "done":
                        done = True
                    outcome.records.append(rec)
                    if on_record is not None:
                        on_record(rec)
        if failure is None:
            try:
                proc.wait(timeout=max(1.0, spec.timeout - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                failure = f"the model did not finish within --timeout {spec.timeout:g}s; its process was killed"
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        sel.close()
        os.close(rfd)
        proc.stdout.close()
        try:
            os.unlink(spec_path)
        except OSError:
            pass
    outcome.returncode = proc.returncode
    outcome.seconds = time.monotonic() - start
    outcome.output_tail = tail.decode("utf-8", "replace")
    if failure is not None:
        raise ChildFailure(failure)
    fatal = outcome.of("fatal")
    if fatal:
        raise ChildFailure(str(fatal[0].get("message", "the model failed")))
    if not done or proc.returncode != 0:
        raise ChildFailure(_describe_exit(proc.returncode or 0, outcome.output_tail))
    return outcome


def progress_printer(enabled: bool | None = None) -> Callable[[Record], None]:
    """An ``on_record`` that prints progress records on stderr, only when stderr is a terminal (or ``enabled``)."""
    show = (sys.stderr.isatty() or os.environ.get("TRTLINT_PROGRESS") == "1") if enabled is None else enabled
    start = time.monotonic()

    def on_record(rec: Record) -> None:
        if show and rec.get("type") == "progress":
            print(f"trtlint graph [{time.monotonic() - start:5.1f}s]: {rec.get('message', '')}", file=sys.stderr,
                  flush=True)

    return on_record
