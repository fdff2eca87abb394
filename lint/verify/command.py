"""``trtlint verify MODEL.onnx | ENTRY [options]`` and ``trtlint verify --check-engine FILE``. Torch-free parent.

An ONNX file is verified in this process (ONNX Runtime, TensorRT where it imports); an ENTRY runs in the graph
layer's child process (:func:`trtlint.graph.harness.run_child`), which exports it first.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

PRECISIONS = ("fp32", "fp16", "int8")  # as trtlint.verify.pipeline (which imports numpy)

DEFAULT_TIMEOUT = 900.0
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.I)
INSTALL = 'pip install "trtlint[verify]"'


class VerifyUsageError(ValueError):
    """A flag that cannot be used: one line, exit 2."""


def add_parser(sub: Any) -> None:
    v = sub.add_parser("verify", help="build and run the model beside the reference and report every divergence")
    v.add_argument("model", nargs="?", help="model.onnx, or path/to/file.py:factory / package.module:factory")
    v.add_argument("--check-engine", metavar="ENGINE", help="refuse a saved engine that does not fit this machine")
    v.add_argument("--precision", default=None, metavar="LIST", help="fp32,fp16,int8 (default fp32,fp16)")
    v.add_argument("--atol", metavar="TOL", help="absolute tolerance: a number, or per precision fp16:1e-2,int8:0.1")
    v.add_argument("--rtol", metavar="TOL", help="relative tolerance, same spelling as --atol")
    for flag, what in (("--shapes", "static input shapes, name:1x3x224x224"), ("--min-shapes", "smallest shapes"),
                       ("--opt-shapes", "typical shapes (default: the max)"), ("--max-shapes", "largest shapes")):
        v.add_argument(flag, metavar="SHAPES", help=what + " (the optimization profile)")
    v.add_argument("--dtypes", metavar="DTYPES", help="input dtypes for ENTRY, e.g. x:float16")
    v.add_argument("--weights", metavar="CKPT", help="ENTRY: a state_dict, loaded with torch.load(weights_only=True)")
    v.add_argument("--device", default=None, help="ENTRY: cpu (default) or cuda for the PyTorch passes")
    v.add_argument("--timeout", default=None, metavar="SECONDS", help=f"ENTRY: kill the child after this ({DEFAULT_TIMEOUT:g})")
    v.add_argument("--workspace", metavar="SIZE", help="TensorRT workspace memory-pool limit, e.g. 4GiB")
    v.add_argument("--timing-cache", metavar="FILE", help="TensorRT timing cache, read and updated")
    v.add_argument("--save-engine", metavar="FILE", help="write the engine and FILE.manifest.json")
    v.add_argument("--save-onnx", metavar="FILE", help="ENTRY: keep the exported ONNX model here")
    v.add_argument("--calib-data", nargs="+", action="extend", metavar="FILE", help="INT8 calibration .npz/.npy files")
    v.add_argument("--benchmark", action="store_true", help="latency / throughput / memory / accuracy table")
    v.add_argument("--report-file", metavar="FILE", help="write the parity and benchmark tables (.md or .json)")
    v.add_argument("--select", action="append", metavar="CODES")
    v.add_argument("--ignore", action="append", metavar="CODES")
    v.add_argument("--target", metavar="TARGET", help="deployment target, e.g. trt10.8")
    v.add_argument("--output-format", default="full", choices=("full", "concise", "json", "sarif", "github"))
    v.add_argument("-o", "--output-file", metavar="FILE")
    v.add_argument("--exit-zero", action="store_true")
    v.add_argument("--isolated", action="store_true", help="ignore [tool.trtlint] configuration")
    v.add_argument("--debug", action="store_true")


def parse_size(text: str) -> int:
    m = SIZE_RE.match(text or "")
    if not m:
        raise VerifyUsageError(f"--workspace {text!r}: give bytes or a size such as 512MiB or 4GiB")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    return int(float(m.group(1)) * 1024 ** " kmgt".index(unit or " "))


def parse_tol(text: str | None, flag: str, precisions: list[str]) -> dict[str, float]:
    if not text:
        return {}
    out: dict[str, float] = {}
    for item in (s.strip() for s in text.split(",") if s.strip()):
        prec, sep, val = item.rpartition(":")
        try:
            number = float(val)
        except ValueError:
            raise VerifyUsageError(f"{flag} {text!r}: expected a number or precision:number, e.g. fp16:1e-2") from None
        if number < 0:
            raise VerifyUsageError(f"{flag}: tolerances are >= 0, got {val}")
        if sep:
            if prec not in PRECISIONS:
                raise VerifyUsageError(f"{flag}: unknown precision {prec!r}; choose from {', '.join(PRECISIONS)}")
            out[prec] = number
        else:
            out.update({p: number for p in precisions})
    return out


def parse_precisions(text: str | None) -> list[str]:
    items = [s.strip().lower() for s in (text or "fp32,fp16").split(",") if s.strip()]
    bad = [p for p in items if p not in PRECISIONS]
    if bad or not items:
        raise VerifyUsageError(f"--precision {text!r}: choose from {', '.join(PRECISIONS)}")
    return list(dict.fromkeys(items))


def missing_modules(entry: bool) -> list[str]:
    needed = ["numpy", "onnx", "onnxruntime", "polygraphy"] + (["torch"] if entry else [])
    out = []
    for name in needed:
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):
            out.append(name)
    return out


def cmd_verify(args: argparse.Namespace) -> int:
    from ..config import Config, find_pyproject, load_config
    from ..report import ReportContext, get_reporter
    from ..report.text import summary
    from ..runner import build_runner

    cfg = Config() if args.isolated else load_config(find_pyproject([args.model or "."]))
    if cfg.path is not None:  # [tool.trtlint.verify] fills what the command line left unset
        from .config import verify_defaults

        for key, value in verify_defaults(cfg.path).items():
            if getattr(args, key, None) is None:
                setattr(args, key, value)
    runner = build_runner(cfg, args.target, _csv(args.select), _csv(args.ignore), flag_prefix="--", debug=args.debug)
    records: list[dict[str, Any]] = []
    fallback: tuple[str, int]
    if args.check_engine:
        fallback = (args.check_engine, 1)
        records.append(check_engine_record(args.check_engine, args.model if args.model and
                                           args.model.endswith(".onnx") else None))
    elif not args.model:
        raise VerifyUsageError("give model.onnx or an ENTRY (path/to/file.py:factory), or --check-engine ENGINE")
    else:
        entry = not (args.model.lower().endswith(".onnx") or os.path.isfile(args.model))
        if not entry and not args.model.lower().endswith(".onnx"):
            raise VerifyUsageError(f"{args.model}: give an .onnx file, or an ENTRY such as {args.model}:factory")
        missing = missing_modules(entry)
        if missing:
            from ..rules.tool.trt907_layer_unavailable import LayerUnavailable

            where = args.model.rpartition(":")[0] if entry else args.model
            f = LayerUnavailable.at(where, f"trtlint verify needs {', '.join(missing)}, which "
                                    f"{'is' if len(missing) == 1 else 'are'} not installed; nothing was run",
                                    hint=INSTALL)
            return _report([f], args, ReportContext(files=1, target=runner.target.describe()), [], summary,
                           get_reporter)
        from .pipeline import VerifyOptions

        precisions = parse_precisions(args.precision)
        opts = VerifyOptions(precisions=precisions, atol=parse_tol(args.atol, "--atol", precisions),
                             rtol=parse_tol(args.rtol, "--rtol", precisions),
                             workspace=parse_size(args.workspace) if args.workspace else None,
                             timing_cache=args.timing_cache, save_engine=args.save_engine,
                             calib_data=[str(Path(c).resolve()) for c in args.calib_data or []],
                             benchmark=args.benchmark)
        for c in opts.calib_data:
            if not os.path.isfile(c):
                raise VerifyUsageError(f"--calib-data {c}: no such file")
        work = tempfile.mkdtemp(prefix="trtlint-verify-")
        opts.work_dir = work
        try:
            if entry:
                code, fallback = _run_entry(args, opts, records, runner.target.torch)
                if code:
                    return code
            else:
                fallback = (args.model, 1)
                _run_onnx(args, opts, records)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _finish(records, fallback, args, runner, summary, get_reporter)


def _csv(values: list[str] | None) -> list[str] | None:
    out = [v.strip() for s in values or [] for v in s.split(",") if v.strip()]
    return out or None


def check_engine_record(engine: str, onnx_path: str | None) -> dict[str, Any]:
    from .backends import tensorrt_unavailable
    from .manifest import check_engine, gpu_info

    trt_version = None
    if tensorrt_unavailable() is None:
        import tensorrt

        trt_version = tensorrt.__version__
    check = check_engine(engine, onnx_path=onnx_path, trt_version=trt_version, gpu=gpu_info())
    if not check.problems and trt_version is not None:
        from .trt_build import deserialize

        with open(engine, "rb") as fh:
            if deserialize(fh.read()) is None:
                check.problems.append("TensorRT's deserialize_cuda_engine returned None for it (see its log)")
    return {"type": "engine-check", "problems": check.problems, "manifest": check.manifest}


def _run_onnx(args: argparse.Namespace, opts: Any, records: list[dict[str, Any]]) -> None:
    from ..graph.spec import build_inputs
    from .pipeline import onnx_feed_sets, verify_onnx

    if not os.path.isfile(args.model):
        raise VerifyUsageError(f"{args.model}: no such file")
    profile = {}
    if args.shapes or args.min_shapes or args.opt_shapes or args.max_shapes:
        profile = {i.name: (tuple(i.min), tuple(i.opt), tuple(i.max))
                   for i in build_inputs(args.shapes, args.min_shapes, args.opt_shapes, args.max_shapes)}

    def emit(type_: str, **fields: Any) -> None:
        records.append({"type": type_, **fields})
        _progress(records[-1])

    feed_sets, notes = onnx_feed_sets(args.model, profile, seed=opts.seed)
    for n in notes:
        emit("note", message=n)
    if "fp16" in opts.precisions:
        emit("note", message="fp16: no half-precision prediction for an ONNX file (it needs the PyTorch model: "
                             "give ENTRY); fp16 is checked only by a TensorRT build")
    from .backends import tensorrt_unavailable

    if "fp32" in opts.precisions and tensorrt_unavailable() is not None:
        emit("note", message="fp32: ONNX Runtime is the reference for an ONNX file and no other fp32 backend ran, "
                             "so there is no fp32 comparison (give ENTRY to compare with PyTorch)")
    verify_onnx(args.model, feed_sets, opts, emit, profile=profile)


def _run_entry(args: argparse.Namespace, opts: Any, records: list[dict[str, Any]],
               target_torch: tuple[int, ...] | None) -> tuple[int, tuple[str, int]]:
    from ..graph.harness import ChildFailure, run_child
    from ..graph.spec import build_spec

    spec = build_spec(args.model, shapes=args.shapes, min_shapes=args.min_shapes, opt_shapes=args.opt_shapes,
                      max_shapes=args.max_shapes, dtypes=args.dtypes, weights=args.weights, device=args.device,
                      timeout=args.timeout if args.timeout is not None else DEFAULT_TIMEOUT, target=args.target,
                      calib_data=opts.calib_data)
    fallback = (os.path.relpath(spec.entry.path) if spec.entry.path else spec.entry.text, 1)
    onnx_out = str(Path(args.save_onnx).resolve()) if args.save_onnx else None
    try:
        outcome = run_child(spec, "trtlint.verify.child:run", on_record=_progress,
                            extra={"options": opts.to_dict(), "onnx_out": onnx_out,
                                   "target_torch": list(target_torch) if target_torch else None})
    except Exception as exc:  # ChildFailure: one line
        if not isinstance(exc, ChildFailure):
            raise
        print(f"trtlint: error: {spec.entry.text}: {exc}", file=sys.stderr)
        return 2, fallback
    records.extend(outcome.records)
    model = next((r for r in records if r.get("type") == "model" and r.get("file")), None)
    if model is not None:
        from trtlint.rules.verify._base import display

        fallback = (display(str(model["file"])), int(model["line"]))
    return 0, fallback


def _progress(rec: dict[str, Any]) -> None:
    if rec.get("type") == "progress" and sys.stderr.isatty():
        print(f"trtlint verify: {rec.get('message', '')}", file=sys.stderr, flush=True)


def findings_from(records: list[dict[str, Any]], fallback: tuple[str, int], runner: Any) -> list[Any]:
    from trtlint.rules.verify._base import VerifyRule, VerifyRun

    from ..registry import all_rules

    run = VerifyRun(records=records, fallback=fallback)
    found = []
    for code, cls in all_rules().items():
        if code in runner.enabled and issubclass(cls, VerifyRule):
            rule: VerifyRule = cls()
            found.extend(rule.check(run))
    by_path: dict[str, list[Any]] = {}
    for f in found:
        by_path.setdefault(f.path, []).append(f)
    out = []
    for path, group in by_path.items():
        text = ""
        if not path.endswith((".onnx", ".engine", ".plan", ".trt")):
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
        out.extend(runner._filter(group, path, text.splitlines(), text))
    return sorted(out, key=lambda f: f.sort_key)


def parity_table(records: list[dict[str, Any]]) -> str:
    rows = [r for r in records if r.get("type") == "parity"]

    def n(v: Any, spec: str) -> str:
        return "inf" if v is None else format(float(v), spec)

    lines = ["| candidate | reference | precision | output | max abs | max rel | cosine | top-1 | NaN/Inf | verdict | "
             "worst input set |", "|---|---|---|---|---|---|---|---|---|---|---|"] if rows else []
    for r in rows:
        lines.append("| " + " | ".join([
            str(r["candidate"]), str(r["reference"]), str(r["precision"]), str(r["output"]),
            n(r.get("max_abs"), ".2e"), n(r.get("max_rel"), ".2e"),
            "n/a" if r.get("cosine") is None else f"{r['cosine']:.6f}",
            "n/a" if r.get("top1") is None else f"{r['top1']:.1%}", f"{r.get('nan', 0)}/{r.get('inf', 0)}",
            ("pass" if r.get("passed") else "FAIL") + f" (atol {r['atol']:g}, rtol {r['rtol']:g})",
            f"{r.get('inputs', '?')} (of {r.get('input_sets', 1)})"]) + " |")
    notes = [f"- {r['message']}" for r in records if r.get("type") == "note"]
    fp16 = next((r for r in records if r.get("type") == "fp16-layer"), None)
    if fp16 is not None and fp16.get("status") == "ok":
        notes.append(f"- fp16 prediction (PyTorch half vs fp32 on {fp16.get('device')}, {fp16.get('layers')} modules): "
                     f"no overflow, largest relative error {max([w['rel_err'] for w in fp16.get('worst', [])] or [0]):.2e}")
    for r in records:
        if r.get("type") == "export":
            notes.append(f"- exported with torch {r.get('torch')} ({r.get('exporter')} exporter) in {r['seconds']:.1f} s")
        if r.get("type") == "qdq":
            notes.append(f"- INT8: {r.get('qdq_nodes')} Q/DQ nodes (ONNX Runtime static quantization, QDQ format, "
                         "symmetric int8)")
    out = lines + ([""] + notes if notes and lines else notes)
    return "\n".join(out) + "\n" if out else ""


def _finish(records: list[dict[str, Any]], fallback: tuple[str, int], args: argparse.Namespace, runner: Any,
            summary: Any, get_reporter: Any) -> int:
    from ..report import ReportContext

    findings = findings_from(records, fallback, runner)
    ctx = ReportContext(files=1, target=runner.target.describe())
    tables = parity_table(records)
    bench = next((r for r in records if r.get("type") == "bench"), None)
    bench_md = ""
    if bench is not None:
        from .bench import render_json, render_markdown, rows_from_records

        bench_md = render_markdown(rows_from_records(bench["rows"]), bench["meta"])
    if args.report_file:
        if args.report_file.endswith(".json"):
            data = {"parity": [r for r in records if r.get("type") == "parity"],
                    "fp16": next((r for r in records if r.get("type") == "fp16-layer"), None),
                    "benchmark": json.loads(render_json(rows_from_records(bench["rows"]), bench["meta"]))
                    if bench is not None else None}
            Path(args.report_file).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n",
                                              encoding="utf-8")
        else:
            Path(args.report_file).write_text("\n".join(x for x in (tables, bench_md) if x), encoding="utf-8")
    return _report(findings, args, ctx, [tables, bench_md], summary, get_reporter)


def _report(findings: list[Any], args: argparse.Namespace, ctx: Any, tables: list[str], summary: Any,
            get_reporter: Any) -> int:
    from ..registry import all_rules
    from ..report import emit

    text = get_reporter(args.output_format)(findings, ctx)
    extra = "\n".join(t for t in tables if t)
    if args.output_file:
        emit(text, findings, ctx, args.output_file, args.output_format)
        if extra:
            sys.stdout.write("\n" + extra)
    elif args.output_format in ("full", "concise"):
        sys.stdout.write(text + ("\n" + extra if extra else ""))
    else:
        sys.stdout.write(text)
        if extra:
            sys.stderr.write(extra)
    rules = all_rules()
    if any(getattr(rules.get(f.code), "input_error", False) for f in findings):
        return 2
    failing = [f for f in findings if f.suppressed is None and f.severity.value in ("error", "warning")]
    return 0 if (not failing or args.exit_zero) else 1
