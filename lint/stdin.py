"""``trtlint check --stdin-filename PATH -``: lint standard input as if it were PATH, the way editor
integrations call ruff. The report goes to standard output; with ``--fix`` the fixed text goes to standard
output instead and the report of what remains to standard error (ruff's convention)."""
from __future__ import annotations

import argparse
import difflib
import sys

from .finding import Finding
from .runner import Runner

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


def fixed_text(data: bytes, display: str, findings: list[Finding], unsafe: bool) -> tuple[str, list[Finding]]:
    """The input with the safe (or all) fixes applied, and the findings fixed; the text unchanged when a fix
    would break the parse."""
    import ast

    from .fix import apply_edits

    text = data.decode("utf-8-sig", errors="replace")
    if any(f.cell is not None for f in findings):
        from .loaders.notebook import fix_notebook_text

        new, _, fixed = fix_notebook_text(text, display, findings, unsafe)
        return new, fixed
    new, fixed = apply_edits(text, [f for f in findings if f.fix is not None], unsafe)
    try:
        ast.parse(new)
    except SyntaxError:
        return text, []
    return new, fixed


def lint_stdin(runner: Runner, args: argparse.Namespace) -> int:
    from .report import ReportContext, get_reporter
    from .report.text import summary

    display = args.stdin_filename or "-"
    data = sys.stdin.buffer.read()
    result = runner.lint_bytes(data, display)
    if args.debug:
        for tb in result.debug_tracebacks:
            print(tb, file=sys.stderr)
    report_to = sys.stdout
    if args.fix or args.diff:
        new, fixed = fixed_text(data, display, result.reported, args.unsafe_fixes)
        if args.diff:
            old = data.decode("utf-8-sig", errors="replace")
            sys.stdout.write("".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                          f"a/{display}", f"b/{display}")))
            print(f"Would fix {len(fixed)} finding{'s' if len(fixed) != 1 else ''}.", file=sys.stderr)
            return EXIT_FINDINGS if fixed else EXIT_CLEAN
        sys.stdout.write(new)
        sys.stdout.flush()
        done = {id(f) for f in fixed}
        result.findings = [f for f in result.findings if id(f) not in done]
        report_to = sys.stderr
    ctx = ReportContext(files=1, target=runner.target.describe(), color=False)
    if args.statistics:
        from .report.text import statistics

        text = statistics(result.findings) + summary(result.findings, ctx) + "\n"
    else:
        text = get_reporter(args.output_format)(result.findings, ctx)
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(summary(result.findings, ctx), file=sys.stderr)
    else:
        report_to.write(text)
    code = result.exit_code(getattr(args, "fail_on", None) or runner.config.fail_on)
    return EXIT_CLEAN if args.exit_zero and code == EXIT_FINDINGS else code

