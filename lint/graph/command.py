"""``trtlint graph [ENTRY] [options]``: the parent side. Torch-free: the model runs in a child process."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from .spec import GraphSpec, SpecError, build_spec

SHAPE_HELP = "trtexec spelling: name:1x3x224x224, comma-separated"


def add_parser(sub: Any) -> None:
    g = sub.add_parser("graph", help="run the model (in a child process) and report what only a run shows")
    g.add_argument("entry", nargs="?", help="path/to/file.py:factory or package.module:factory "
                   "(default: [tool.trtlint.graph])")
    g.add_argument("--shapes", metavar="SHAPES", help=f"static input shapes ({SHAPE_HELP})")
    g.add_argument("--min-shapes", metavar="SHAPES", help="smallest shapes of dynamic inputs")
    g.add_argument("--opt-shapes", metavar="SHAPES", help="typical shapes of dynamic inputs (default: the max)")
    g.add_argument("--max-shapes", metavar="SHAPES", help="largest shapes of dynamic inputs")
    g.add_argument("--dtypes", metavar="DTYPES", help="input dtypes, e.g. x:float16 (default float32)")
    g.add_argument("--weights", metavar="CKPT", help="a state_dict, loaded only with torch.load(weights_only=True)")
    g.add_argument("--device", default=None, help="cpu (default) or cuda")
    g.add_argument("--timeout", default=None, metavar="SECONDS", help="kill the model's process after this (300)")
    g.add_argument("--calib-data", action="append", metavar="FILE", help=".npy/.npz/.pt activations for range checks")
    g.add_argument("--user-code", action="append", metavar="DIR",
                   help="another folder whose files count as model code for locations (default: the ENTRY's)")
    g.add_argument("--target", metavar="TARGET", help="deployment target, e.g. trt10.8")
    g.add_argument("--select", action="append", metavar="CODES")
    g.add_argument("--ignore", action="append", metavar="CODES")
    g.add_argument("--output-format", default="full", choices=("full", "concise", "json", "sarif", "github"))
    g.add_argument("-o", "--output-file", metavar="FILE")
    g.add_argument("--exit-zero", action="store_true")
    g.add_argument("--config", metavar="PYPROJECT")
    g.add_argument("--isolated", action="store_true")
    g.add_argument("--debug", action="store_true")


def specs_from_args(args: argparse.Namespace) -> tuple[list[GraphSpec], Path | None]:
    from ..config import find_pyproject

    pyproject = None
    if not args.isolated:
        pyproject = Path(args.config) if args.config else find_pyproject(["."])
        if pyproject is not None and not pyproject.is_file():
            raise SpecError(f"--config {pyproject}: no such file")
    if args.entry:
        return [build_spec(args.entry, shapes=args.shapes, min_shapes=args.min_shapes, opt_shapes=args.opt_shapes,
                           max_shapes=args.max_shapes, dtypes=args.dtypes, weights=args.weights, device=args.device,
                           timeout=args.timeout, target=args.target, calib_data=args.calib_data,
                           user_code=args.user_code)], pyproject
    if pyproject is None:
        raise SpecError("no ENTRY: give path/to/file.py:factory or package.module:factory, or a [tool.trtlint.graph] "
                        "table in pyproject.toml")
    from .config import specs_from_config

    specs = specs_from_config(pyproject)
    for s in specs:  # flags given on the command line win over the table
        if args.device:
            s.device = build_spec(s.entry.text, shapes="x:1", device=args.device, base=Path("/")).device
        if args.timeout:
            from .spec import parse_timeout

            s.timeout = parse_timeout(args.timeout)
        s.target = args.target or s.target
    return specs, pyproject


def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def cmd_graph(args: argparse.Namespace) -> int:
    from ..config import Config, load_config
    from ..finding import Finding
    from ..report import ReportContext, emit, get_reporter
    from ..runner import Result, build_runner
    from .harness import ChildFailure, progress_printer, run_child
    from .lint import findings_for

    specs, pyproject = specs_from_args(args)
    cfg = load_config(pyproject) if pyproject is not None else Config()
    select = [v.strip() for s in args.select or [] for v in s.split(",") if v.strip()] or None
    ignore = [v.strip() for s in args.ignore or [] for v in s.split(",") if v.strip()] or None
    runner = build_runner(cfg, args.target, select, ignore, flag_prefix="--", debug=args.debug)
    result = Result()
    if not torch_available():
        from ..rules.tool.trt907_layer_unavailable import LayerUnavailable

        where = specs[0].entry.path or specs[0].entry.text
        result.findings.append(LayerUnavailable.at(
            os.path.relpath(where) if specs[0].entry.path else where,
            "graph mode needs torch, which is not installed: pip install \"trtlint[graph]\"; the model was NOT run",
            hint='pip install "trtlint[graph]"'))
    else:
        show = progress_printer()
        for spec in specs:
            try:
                outcome = run_child(spec, on_record=show)
            except ChildFailure as exc:
                print(f"trtlint: error: {spec.entry.text}: {exc}", file=sys.stderr)
                return 2
            result.findings.extend(findings_for(outcome.records, spec, runner))
            dump = os.environ.get("TRTLINT_GRAPH_RECORDS")  # the raw observations, for the docs' model runs
            if dump:
                import json

                with open(dump, "a", encoding="utf-8") as fh:
                    for rec in outcome.records:
                        fh.write(json.dumps({"entry": spec.entry.text, **rec}) + "\n")
            result.files += 1
    result.findings.sort(key=lambda f: f.sort_key)
    findings: list[Finding] = result.findings
    ctx = ReportContext(files=result.files, target=runner.target.describe())
    text = get_reporter(args.output_format)(findings, ctx)
    emit(text, findings, ctx, args.output_file, args.output_format)
    code = result.exit_code()
    return 0 if args.exit_zero and code == 1 else code
