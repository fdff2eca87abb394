"""Start-up cost of the ways to read and validate a notebook (issue 10): each variant in a fresh interpreter,
import plus one read and validation of fixtures/notebooks/export_head.ipynb; the median of N runs.

    python benchmarks/bench_notebook_reader.py [N]
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "fixtures" / "notebooks" / "export_head.ipynb"
SCHEMA = "import importlib.util, os; S = os.path.join(os.path.dirname(importlib.util.find_spec('nbformat').origin), 'v4', 'nbformat.v4.schema.json')"
VARIANTS = {
    "python only (interpreter start)": "pass",
    "json.loads, no validation": f"import json; json.loads(open({str(NB)!r}).read())",
    "nbformat.validate": f"import json, nbformat; nbformat.validate(json.loads(open({str(NB)!r}).read()), version=4)",
    "jsonschema + nbformat's schema file": f"import json, jsonschema; {SCHEMA}; jsonschema.Draft7Validator(json.load(open(S))).validate(json.loads(open({str(NB)!r}).read()))",
    "fastjsonschema + nbformat's schema file (trtlint's choice)": f"import json, fastjsonschema; {SCHEMA}; fastjsonschema.compile(json.load(open(S)))(json.loads(open({str(NB)!r}).read()))",
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    results = {}
    for name, code in VARIANTS.items():
        times = []
        for _ in range(n):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t)
        results[name] = statistics.median(times)
        print(f"{results[name] * 1000:8.1f} ms  {name}")
    out = ROOT / "benchmarks" / "results" / "notebook_reader.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": n, "median_seconds": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
