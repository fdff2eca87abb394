"""The held-out corpus benchmark's files and its join of findings with judgements (no network, no corpus run)."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "benchmarks" / "corpus"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", CORPUS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("corpus", ["corpus.yaml", "corpus_v2.yaml", "corpus_v3.yaml", "corpus_v4.yaml", "corpus_v5.yaml",
                                    "corpus_v6.yaml", "corpus_v7.yaml"])
def test_corpus_records_commits_and_subpaths(corpus: str) -> None:
    entries = yaml.safe_load((CORPUS_DIR / corpus).read_text(encoding="utf-8"))["codebases"]
    assert len(entries) >= 10
    assert len({e["name"] for e in entries}) == len(entries)
    for e in entries:
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", e["url"]), e["url"]
        assert re.fullmatch(r"[0-9a-f]{40}", e["commit"]), e["name"]
        assert e["subpaths"] and all(not p.startswith("/") and ".." not in p for p in e["subpaths"]), e["name"]
        assert str(e["why"]).strip()


def test_corpus_v2_is_disjoint_from_v1() -> None:
    """v2 is the held-out corpus: none of its code bases may come from v1, which was used for tuning."""
    def urls(name: str) -> set[str]:
        entries = yaml.safe_load((CORPUS_DIR / name).read_text(encoding="utf-8"))["codebases"]
        return {e["url"].lower() for e in entries}
    assert not urls("corpus.yaml") & urls("corpus_v2.yaml")


def test_corpus_v3_shares_no_code_base_with_v1_v2_or_the_tuning_set() -> None:
    """v3 is the held-out corpus of the final measurement: v1 and v2 were both used for tuning after their first
    measurement, and the tuning set and the in-repo tests were seen while writing the rules."""
    def entries(name: str) -> list[dict[str, str]]:
        out: list[dict[str, str]] = yaml.safe_load((CORPUS_DIR / name).read_text(encoding="utf-8"))["codebases"]
        return out
    v3 = entries("corpus_v3.yaml")
    seen = entries("corpus.yaml") + entries("corpus_v2.yaml")
    assert not {e["url"].lower() for e in v3} & {e["url"].lower() for e in seen}
    assert not {e["name"].lower() for e in v3} & {e["name"].lower() for e in seen}
    tuned = {"ultralytics/ultralytics", "ultralytics/yolov5", "open-mmlab/mmdetection", "huggingface/diffusers",
             "facebookresearch/detectron2", "open-mmlab/mmdeploy", "nvidia/tensorrt", "nvidia-ai-iot/torch2trt",
             "wongkinyiu/yolov7", "megvii-basedetection/yolox", "nvidia/tensorrt-llm", "triple-mu/yolov8-tensorrt",
             "pytorch/vision", "huggingface/pytorch-image-models"}
    assert not {"/".join(e["url"].lower().split("/")[-2:]) for e in v3} & tuned


TUNED = {"ultralytics/ultralytics", "ultralytics/yolov5", "open-mmlab/mmdetection", "huggingface/diffusers",
         "facebookresearch/detectron2", "open-mmlab/mmdeploy", "nvidia/tensorrt", "nvidia-ai-iot/torch2trt",
         "wongkinyiu/yolov7", "megvii-basedetection/yolox", "nvidia/tensorrt-llm", "triple-mu/yolov8-tensorrt",
         "idea-research/dino", "fundamentalvision/deformable-detr", "pytorch/vision",
         "huggingface/pytorch-image-models"}
DEVELOPMENT = {"mask2former", "detic", "yolos", "yolor", "yolov3", "blip", "lavis", "imagebind", "guided-diffusion",
               "generative-models", "ssd.pytorch", "deep-text-recognition-benchmark"}


def _entries(name: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = yaml.safe_load((CORPUS_DIR / name).read_text(encoding="utf-8"))["codebases"]
    return out


def _repo(e: dict[str, str]) -> str:
    return "/".join(e["url"].lower().split("/")[-2:])


def test_corpus_v4_shares_no_code_base_with_v1_v2_v3_the_tuning_set_or_round_4s_development_list() -> None:
    """v4 is the held-out corpus of the last measurement: v1, v2 and v3 were each used for tuning after their first
    measurement, the tuning set and the in-repo tests were seen while writing the rules, and round 4 develops on
    another list of code bases."""
    v4 = _entries("corpus_v4.yaml")
    seen = _entries("corpus.yaml") + _entries("corpus_v2.yaml") + _entries("corpus_v3.yaml")
    assert len(v4) >= 12
    assert not {_repo(e) for e in v4} & {_repo(e) for e in seen}
    assert not {e["name"].lower() for e in v4} & {e["name"].lower() for e in seen}
    # Names alone too: a fork or mirror under another owner is the same code base.
    assert not {_repo(e).split("/")[1] for e in v4} & {_repo(e).split("/")[1] for e in seen}
    assert not {_repo(e) for e in v4} & TUNED
    assert not {_repo(e).split("/")[1] for e in v4} & DEVELOPMENT


def _assert_held_out(corpus: str, seen_corpora: tuple[str, ...], same_name_other_project: frozenset[str]) -> None:
    """`corpus` shares no code base with the corpora used for tuning, the tuning set or the development list, by
    owner/name, by corpus name and by repository name alone (a fork or mirror under another owner is the same code
    base); `same_name_other_project` lists generic repository names whose owner/name here is a different project
    from the one of that name seen before (the owner/name check still keeps the seen one out)."""
    held = _entries(corpus)
    seen = [e for name in seen_corpora for e in _entries(name)]
    assert len(held) >= 15
    assert not {_repo(e) for e in held} & {_repo(e) for e in seen}
    assert not {e["name"].lower() for e in held} & {e["name"].lower() for e in seen}
    assert not {_repo(e).split("/")[1] for e in held} & {_repo(e).split("/")[1] for e in seen} - same_name_other_project
    assert not {_repo(e) for e in held} & TUNED
    assert not {_repo(e).split("/")[1] for e in held} & {t.split("/")[1] for t in TUNED} - same_name_other_project
    assert not {_repo(e).split("/")[1] for e in held} & DEVELOPMENT


def test_corpus_v5_shares_no_code_base_with_v1_v4_the_tuning_set_or_the_development_list() -> None:
    """v5 was the held-out corpus of round 5: v1-v4 were each used for tuning after their first measurement, the
    tuning set and the in-repo tests were seen while writing the rules, and the last round develops on another list of
    code bases."""
    _assert_held_out("corpus_v5.yaml", ("corpus.yaml", "corpus_v2.yaml", "corpus_v3.yaml", "corpus_v4.yaml"),
                     frozenset({"vision"}))


def test_corpus_v6_shares_no_code_base_with_v1_v5_the_tuning_set_or_the_development_list() -> None:
    """v6 was the held-out corpus of round 6 (v1-v5 were used for tuning after their first measurement).
    facebookresearch/dino (self-supervised ViT) only shares its repository name with IDEA-Research/DINO (the DETR-style
    detector of the tuning set)."""
    _assert_held_out("corpus_v6.yaml", ("corpus.yaml", "corpus_v2.yaml", "corpus_v3.yaml", "corpus_v4.yaml",
                                        "corpus_v5.yaml"), frozenset({"vision", "dino"}))
    v6 = {_repo(e) for e in _entries("corpus_v6.yaml")}
    assert "idea-research/dino" not in v6


def test_corpus_v7_shares_no_code_base_with_v1_v6_the_tuning_set_or_the_development_list() -> None:
    """v7 is the held-out corpus of the final measurement (v1-v6 were used for tuning after their first
    measurement). Two generic names are other projects: pytorch/TensorRT is Torch-TensorRT, not NVIDIA/TensorRT of the
    tuning set, and sithu31296/semantic-segmentation is not NVIDIA/semantic-segmentation of v5."""
    _assert_held_out("corpus_v7.yaml", ("corpus.yaml", "corpus_v2.yaml", "corpus_v3.yaml", "corpus_v4.yaml",
                                        "corpus_v5.yaml", "corpus_v6.yaml"),
                     frozenset({"vision", "tensorrt", "semantic-segmentation"}))
    v7 = {_repo(e) for e in _entries("corpus_v7.yaml")}
    assert {"pytorch/tensorrt", "sithu31296/semantic-segmentation"} <= v7
    assert not {"nvidia/tensorrt", "nvidia/semantic-segmentation"} & v7


def test_named_corpora_pick_their_own_files() -> None:
    run_corpus, precision = _load("run_corpus"), _load("precision")
    assert run_corpus.CORPORA["v1"] == (CORPUS_DIR / "corpus.yaml", run_corpus.OUT)
    assert run_corpus.CORPORA["v2"][0] == CORPUS_DIR / "corpus_v2.yaml"
    assert precision.CORPORA["v1"] == (precision.FINDINGS, precision.JUDGEMENTS, precision.OUT)
    v2 = precision.CORPORA["v2"]
    assert [p.name for p in v2] == ["corpus_v2_findings.json", "judgements_v2.yaml", "corpus_v2_precision.json"]
    assert v2[0] == run_corpus.CORPORA["v2"][1]
    assert run_corpus.CORPORA["v3"][0] == CORPUS_DIR / "corpus_v3.yaml"
    v3 = precision.CORPORA["v3"]
    assert [p.name for p in v3] == ["corpus_v3_findings.json", "judgements_v3.yaml", "corpus_v3_precision.json"]
    assert v3[0] == run_corpus.CORPORA["v3"][1]
    assert run_corpus.CORPORA["v4"][0] == CORPUS_DIR / "corpus_v4.yaml"
    v4 = precision.CORPORA["v4"]
    assert [p.name for p in v4] == ["corpus_v4_findings.json", "judgements_v4.yaml", "corpus_v4_precision.json"]
    assert v4[0] == run_corpus.CORPORA["v4"][1]
    assert run_corpus.CORPORA["v5"][0] == CORPUS_DIR / "corpus_v5.yaml"
    v5 = precision.CORPORA["v5"]
    assert [p.name for p in v5] == ["corpus_v5_findings.json", "judgements_v5.yaml", "corpus_v5_precision.json"]
    assert v5[0] == run_corpus.CORPORA["v5"][1]
    assert run_corpus.CORPORA["v6"][0] == CORPUS_DIR / "corpus_v6.yaml"
    v6 = precision.CORPORA["v6"]
    assert [p.name for p in v6] == ["corpus_v6_findings.json", "judgements_v6.yaml", "corpus_v6_precision.json"]
    assert v6[0] == run_corpus.CORPORA["v6"][1]
    assert run_corpus.CORPORA["v7"][0] == CORPUS_DIR / "corpus_v7.yaml"
    v7 = precision.CORPORA["v7"]
    assert [p.name for p in v7] == ["corpus_v7_findings.json", "judgements_v7.yaml", "corpus_v7_precision.json"]
    assert v7[0] == run_corpus.CORPORA["v7"][1]


def test_judgement_files_are_well_formed() -> None:
    precision = _load("precision")
    for path in sorted(CORPUS_DIR.glob("judgements*.yaml")):
        judged = precision.load_judgements(path)  # raises SystemExit on a malformed or contradicting entry
        assert judged, path.name
        assert {j["verdict"] for j in judged.values()} <= {"TP", "FP"}


def test_precision_joins_on_normalised_source_not_line(tmp_path: Path) -> None:
    finding = {"repo": "r", "path": "m.py", "column": 1, "severity": "error", "message": "m"}
    findings = {
        "trtlint": {"version": "0", "commit": None, "branch": None},
        "codebases": [{"name": "r"}],
        "total": {"files": 1, "lines": 10},
        "findings": [
            {**finding, "line": 7, "code": "TRT102", "source": "n = x.item()"},  # judged at line 5, reindented
            {**finding, "line": 9, "code": "TRT101", "source": "if x.sum() > 0:"},
            {**finding, "line": 3, "code": "TRT105", "source": "y = x[x > 0]"},  # nobody judged it
            {**finding, "line": 4, "code": "TRT103", "severity": "note", "source": "t = time.time()"},  # notes: not judged
        ],
    }
    (tmp_path / "f.json").write_text(json.dumps(findings))
    base = {"repo": "r", "path": "m.py"}
    judgements = {"judgements": [
        {**base, "line": 5, "code": "TRT102", "source": "n  =  x.item()", "verdict": "TP", "reason": "traced head"},
        {**base, "line": 9, "code": "TRT101", "source": "if x.sum() > 0:", "verdict": "FP", "reason": "loss"},
        {**base, "line": 1, "code": "TRT104", "source": "gone()", "verdict": "FP", "reason": "stale"},
    ]}
    (tmp_path / "j.yaml").write_text(yaml.safe_dump(judgements))
    cmd = [sys.executable, str(CORPUS_DIR / "precision.py"), "--findings", str(tmp_path / "f.json"),
           "--judgements", str(tmp_path / "j.yaml"), "-o", str(tmp_path / "p.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one error/warning finding is unjudged
    result = json.loads((tmp_path / "p.json").read_text())
    assert result["findings"] == 3
    assert result["overall"]["tp"] == 1 and result["overall"]["fp"] == 1 and result["overall"]["precision"] == 0.5
    assert [f["code"] for f in result["unjudged_findings"]] == ["TRT105"]
    assert [j["code"] for j in result["stale_judgements"]] == ["TRT104"]
    assert result["per_rule"]["TRT102"]["precision"] == 1.0
    proc = subprocess.run([*cmd, "--allow-unjudged"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
