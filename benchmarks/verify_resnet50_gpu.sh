#!/usr/bin/env bash
# The recorded GPU run of `trtlint verify` (docs/verify.md): torchvision resnet50, random weights, batch 1..32,
# PyTorch passes on CUDA, benchmark table, SARIF. Usage: bash benchmarks/verify_resnet50_gpu.sh OUTDIR
set -uo pipefail
out=${1:-verify-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1
python3 -c "import torch, torchvision, onnx, onnxruntime, polygraphy; print('torch', torch.__version__, 'cuda', torch.version.cuda, '| torchvision', torchvision.__version__, '| onnx', onnx.__version__, '| onnxruntime', onnxruntime.__version__, '| polygraphy', polygraphy.__version__)" >> "$out/gpu.txt" 2>&1
start=$(date +%s)
trtlint verify torchvision.models:resnet50 \
  --min-shapes x:1x3x224x224 --opt-shapes x:32x3x224x224 --max-shapes x:32x3x224x224 \
  --device cuda --precision fp32,fp16,int8 --benchmark --timeout 540 \
  --output-format sarif -o "$out/resnet50.sarif" --report-file "$out/report.md" > "$out/stdout.txt" 2> "$out/stderr.txt"
echo "exit code $? after $(( $(date +%s) - start )) s" >> "$out/stderr.txt"
python3 - "$out" <<'PY' > "$out/findings.txt"
import json, sys
doc = json.load(open(sys.argv[1] + "/resnet50.sarif"))
for r in doc["runs"][0]["results"]:
    loc = r["locations"][0]["physicalLocation"]
    print(f'{loc["artifactLocation"]["uri"]}:{loc["region"]["startLine"]}: {r["ruleId"]} [{r["level"]}] {r["message"]["text"]}')
PY
cat "$out/gpu.txt" "$out/findings.txt" "$out/stdout.txt" "$out/stderr.txt"
# the FP16-overflow fixture with its half-precision pass on the GPU (what differs from the CPU run)
trtlint verify fixtures/verify/fp16_overflow.py:overflowing --shapes x:4x16 --precision fp16 --device cuda \
  --output-format concise > "$out/fp16_cuda.txt" 2>&1
echo "exit code $?" >> "$out/fp16_cuda.txt"
cat "$out/fp16_cuda.txt"
