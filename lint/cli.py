"""Command line: ``trtlint [check] PATH...``, ``trtlint rule CODE``, ``trtlint compat``. A thin layer over the API."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn, Sequence

from . import __version__
from .config import DEFAULT_FAIL_ON, FAIL_ON

SUBCOMMANDS = ("check", "rule", "compat", "server", "graph", "verify")
MAX_JOBS = 64  # -j is capped at min(4 x CPUs, 64): thousands of worker processes on request help no one
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """Bad flag, config, selector or target: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _csv(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def build_parser(layers: bool = True) -> argparse.ArgumentParser:
    p = _Parser(prog="trtlint", description="Will this PyTorch model survive PyTorch -> ONNX -> TensorRT?")
    p.add_argument("--version", action="version", version=f"trtlint {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    c = sub.add_parser("check", help="lint Python sources and ONNX models (the default command)")
    c.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .); '-' reads standard input")
    c.add_argument("--stdin-filename", metavar="PATH",
                   help="with '-': lint standard input as if it were this file (config, per-file-ignores, kind)")
    c.add_argument("--select", action="append", metavar="CODES", help="codes or prefixes to enable (ALL for all)")
    c.add_argument("--ignore", action="append", metavar="CODES", help="codes or prefixes to disable")
    c.add_argument("--extend-select", action="append", metavar="CODES", help="codes to enable on top of select")
    c.add_argument("--output-format", default="full", choices=("full", "concise", "json", "sarif", "github"))
    c.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    c.add_argument("--fail-on", choices=FAIL_ON,
                   help=f"the least severity that makes the run exit 1 (default: {DEFAULT_FAIL_ON})")
    c.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    c.add_argument("--target", metavar="TARGET", help="deployment target, e.g. trt10.8 or trt8.6,torch1.13")
    c.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    c.add_argument("--unsafe-fixes", action="store_true", help="with --fix/--diff: also apply unsafe fixes")
    c.add_argument("--diff", action="store_true", help="print the fixes as a diff; change nothing")
    c.add_argument("--add-noqa", action="store_true", help="append '# noqa: CODE' to every current finding")
    c.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml instead of searching")
    c.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    c.add_argument("--show-scope", action="store_true",
                   help="print which classes and functions are considered exported, and why; lint nothing")
    c.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: one per CPU, up to 8, when there are many files; "
                        "at most 4 per CPU and 64)")

    r = sub.add_parser("rule", help="print the documentation of a rule")
    r.add_argument("code", nargs="?", help="rule code, e.g. TRT101")
    r.add_argument("--all", action="store_true", help="every rule")
    r.add_argument("--format", choices=("text", "markdown", "json"), default="text")

    m = sub.add_parser("compat", help="the installed or a planned stack against the compatibility matrix")
    m.add_argument("--check", metavar="STACK", help="a planned lock such as trt8.6,torch1.13,onnx1.13,sm72")
    m.add_argument("--format", choices=("text", "json"), default="text")

    sub.add_parser("server", help="the Language Server Protocol over stdio, for editors (needs trtlint[server])")

    if layers:  # their modules cost a pre-commit run (trtlint check) time it does not need
        from .graph.command import add_parser as add_graph_parser
        from .verify.command import add_parser as add_verify_parser

        add_graph_parser(sub)
        add_verify_parser(sub)
    return p


def _normalise_argv(argv: list[str]) -> list[str]:
    if not argv:
        return ["check"]
    first = argv[0]
    if first in SUBCOMMANDS or first in ("-h", "--help", "--version"):
        return argv
    return ["check", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    args_list = _normalise_argv(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in args_list
    try:
        args = build_parser(args_list[0] not in ("check", "rule", "compat", "server")).parse_args(args_list)
        if args.command == "rule":
            return cmd_rule(args)
        if args.command == "graph":
            from .graph.command import cmd_graph

            return cmd_graph(args)
        if args.command == "verify":
            from .verify.command import cmd_verify

            return cmd_verify(args)
        if args.command == "compat":
            from .compat_cmd import cmd_compat

            return cmd_compat(args)
        if args.command == "server":
            from .server import main as serve

            return serve()
        code = cmd_check(args)
        if argv is None:  # the console script or `python -m trtlint.cli`, not a caller in this process
            _exit_now(code)
        return code
    except UsageError as exc:
        print(f"trtlint: error: {_say(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `trtlint rule --all | head`
        sys.stdout = open(os.devnull, "w")
        return EXIT_CLEAN
    except (ValueError, OSError) as exc:  # config, selector and target errors are ValueErrors
        if debug:
            traceback.print_exc()
        print(f"trtlint: error: {_say(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal error: say so plainly
        if debug:
            traceback.print_exc()
        print(f"trtlint: internal error: {type(exc).__name__}: {_say(exc)} (please report it; rerun with --debug)",
              file=sys.stderr)
        return EXIT_ERROR


def _exit_now(code: int) -> None:
    """End the process after a check without the interpreter's teardown, which frees every object one by one: a
    5,000-line file leaves a syntax tree and its analysis behind, and freeing them took ~40 ms, a tenth of the run
    (the OS takes the memory back at once). Output is flushed first; files written are closed and worker pools
    shut down by then, and nothing of trtlint runs at exit. Where flushing fails (a closed pipe), this returns
    and the interpreter exits as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def cmd_rule(args: argparse.Namespace) -> int:
    import json

    from .registry import all_rules

    rules = all_rules()
    if args.all:
        chosen = list(rules.values())
    elif args.code:
        code = args.code.upper()
        if code not in rules:
            raise UsageError(f"unknown rule {args.code!r}; known: {', '.join(rules)}")
        chosen = [rules[code]]
    else:
        raise UsageError("give a rule code (e.g. 'trtlint rule TRT101') or --all")
    if args.format == "json":
        print(json.dumps([
            {"code": c.code, "name": c.name, "severity": c.severity.value, "layer": c.layer, "fixable": c.fixable,
             "summary": c.doc().summary, "sections": c.doc().sections} for c in chosen
        ], indent=2))
    elif args.format == "markdown":
        print("\n".join(c.doc().markdown(c.code, c.name) for c in chosen))
    else:
        for c in chosen:
            print(c.doc().text(c.code, c.name).rstrip())
            print(f"    (layer: {c.layer}; default severity: {c.severity.value}; "
                  f"{'fix available' if c.fixable else 'no automatic fix'})\n")
    return EXIT_CLEAN


def max_jobs() -> int:
    return min(4 * (os.cpu_count() or 1), MAX_JOBS)


def _say(text: object) -> str:
    from .report.escape import inert

    return inert(str(text))


def cmd_check(args: argparse.Namespace) -> int:
    from .config import Config, find_pyproject, load_config
    from .report import ReportContext, emit, get_reporter
    from .report.text import statistics, summary
    from .runner import build_runner

    stdin = "-" in args.paths
    if stdin and len(args.paths) > 1:
        raise UsageError("'-' (standard input) cannot be combined with other paths")
    if args.stdin_filename and not stdin:
        raise UsageError("--stdin-filename needs '-' as the path (e.g. 'trtlint check --stdin-filename x.py -')")
    if stdin and args.add_noqa:
        raise UsageError("--add-noqa does not work on standard input")
    if args.isolated:
        cfg = Config()
    elif args.config:
        if not Path(args.config).is_file():
            raise UsageError(f"--config {args.config}: no such file")
        cfg = load_config(Path(args.config))
    else:
        cfg = load_config(find_pyproject([args.stdin_filename or "."] if stdin else args.paths))
    runner = build_runner(cfg, args.target, _csv(args.select) or None, _csv(args.ignore) or None,
                          _csv(args.extend_select) or [], flag_prefix="--", debug=args.debug)
    target = runner.target
    if args.show_scope:
        sys.stdout.write(runner.show_scope(args.paths))
        return EXIT_CLEAN
    jobs = max_jobs() if args.jobs > max_jobs() else args.jobs if args.jobs > 0 else min(os.cpu_count() or 1, 8)
    if stdin:
        from .stdin import lint_stdin

        return lint_stdin(runner, args)
    result = runner.run(args.paths, jobs=jobs)
    if args.debug:
        for tb in result.debug_tracebacks:
            print(tb, file=sys.stderr)

    findings = result.findings
    if args.diff or args.fix:
        from .fix import fix_files

        diffs, fixed = fix_files(result.reported, write=args.fix and not args.diff, unsafe=args.unsafe_fixes)
        if args.diff:
            sys.stdout.write("".join(diffs))
            print(f"Would fix {len(fixed)} finding{'s' if len(fixed) != 1 else ''}.", file=sys.stderr)
            return EXIT_FINDINGS if fixed else EXIT_CLEAN
        fixed_ids = {id(f) for f in fixed}
        findings = [f for f in findings if id(f) not in fixed_ids]
        result.findings = findings
        if fixed:
            print(f"Fixed {len(fixed)} finding{'s' if len(fixed) != 1 else ''}.", file=sys.stderr)
    if args.add_noqa:
        from .fix import add_noqa

        n = add_noqa(result.reported)
        print(f"Added noqa directives to {n} line{'s' if n != 1 else ''}.", file=sys.stderr)
        return EXIT_CLEAN

    color = args.color == "always" or (
        args.color == "auto" and not args.output_file and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    ctx = ReportContext(files=result.files, target=target.describe(), color=color)
    if args.statistics:
        text = statistics(findings) + summary(findings, ctx) + "\n"
    else:
        text = get_reporter(args.output_format)(findings, ctx)
    emit(text, findings, ctx, args.output_file, args.output_format)
    code = result.exit_code(args.fail_on or runner.config.fail_on)
    if args.exit_zero and code == EXIT_FINDINGS:
        return EXIT_CLEAN
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
