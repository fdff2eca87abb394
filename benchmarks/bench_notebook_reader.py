"""Start-up cost of the ways to read and validate a notebook (issue 10): each variant in a fresh interpreter,
the time of its imports plus one read and validation of fixtures/notebooks/export_head.ipynb; medians of N.

    python benchmarks/bench_notebook_reader.py [N]
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "fixtures" / "notebooks" / "export_head.ipynb"
SCHEMA = "import importlib.util, os; S = os.path.join(os.path.dirname(importlib.util.find_spec('nbformat').origin), 'v4', 'nbformat.v4.schema.json')"
VARIANTS = {
    "json.loads, no validation": f"import json; json.loads(open({str(NB)!r}).read())",
    "nbformat.validate": f"import json, nbformat; nbformat.validate(json.loads(open({str(NB)!r}).read()), version=4)",
    "jsonschema + nbformat's schema file": f"import json, jsonschema; {SCHEMA}; jsonschema.Draft7Validator(json.load(open(S))).validate(json.loads(open({str(NB)!r}).read()))",
    "fastjsonschema + nbformat's schema file (trtlint's choice)": f"import json, fastjsonschema; {SCHEMA}; fastjsonschema.compile(json.load(open(S)))(json.loads(open({str(NB)!r}).read()))",
}


def main() -> None:
    """Variants interleaved, each run timed inside its own fresh interpreter (import + read + validate), so the
    interpreter's start and the load of a shared machine weigh on every variant alike."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(n):
        for name, code in VARIANTS.items():
            timed = f"import time; _t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
            out = subprocess.run([sys.executable, "-c", timed], check=True, capture_output=True, text=True).stdout
            times[name].append(float(out.split()[-1]))
    results = {name: statistics.median(t) for name, t in times.items()}
    for name, value in results.items():
        print(f"{value * 1000:8.1f} ms  {name}")
    out_path = ROOT / "benchmarks" / "results" / "notebook_reader.json"
    out_path.parent.mkdir(exist_ok=True)
    out_path.write_text(json.dumps({"runs": n, "median_seconds": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
