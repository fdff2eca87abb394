#!/usr/bin/env python3
"""Prove that trtlint's findings on timm's sources are real: trace the code and collect torch's TracerWarnings.

The real-world false-positive test (tests/test_real_world.py) allows exactly the findings listed in
tests/data/real_world_true_positives.yaml. This script shows, for each, that ``torch.jit.trace`` itself warns
that the trace may be wrong at that very line (the branch or value is frozen), and that the traced module
gives a different answer than eager PyTorch on an input that takes the other branch.
Needs torch and timm (with its dependencies); run: python benchmarks/prove_true_positives.py
"""
from __future__ import annotations

import warnings

import torch


def tracer_warnings(fn, args) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = torch.jit.trace(fn, args, check_trace=False, strict=False)
    lines = sorted({f"{w.filename.split('site-packages/')[-1]}:{w.lineno}" for w in caught
                    if issubclass(w.category, torch.jit.TracerWarning)})
    return traced, lines


def naflex() -> None:
    from timm.models.naflexvit import calculate_naflex_grid_sizes

    def grid(coord: torch.Tensor) -> torch.Tensor:  # what the model does with the sizes: shape a tensor
        h, w = calculate_naflex_grid_sizes(coord)[0]
        return coord.new_zeros(h, w)

    coord = torch.tensor([[[0, 0], [0, 1], [1, 0], [1, 1]]])
    traced, lines = tracer_warnings(grid, (coord,))
    other = torch.tensor([[[0, 0], [0, 1], [0, 2], [0, 3]]])
    print("naflexvit.calculate_naflex_grid_sizes:")
    print("  TracerWarnings at", lines)
    print(f"  grid of a 1x4 input: eager {tuple(grid(other).shape)}, traced {tuple(traced(other).shape)}")


def gemma4() -> None:
    import timm

    model = timm.create_model("gemma4_vit_167m", pretrained=False, depth=1, num_classes=4).eval()
    emb = model.patch_embed if hasattr(model, "patch_embed") else model.encoder.patch_embed
    ph, pw = emb.patch_size
    C = 3
    n = 4
    patches = torch.rand(1, n, ph * pw * C)
    coord = torch.tensor([[[0, 0], [0, 1], [1, 0], [1, 1]]])
    traced, lines = tracer_warnings(model, (patches, coord))
    padded = coord.clone()
    padded[0, -1] = -1  # a padding token: the eager model masks it, the trace took the all-valid branch
    with torch.no_grad():
        eager, frozen = model(patches, padded), traced(patches, padded)
    print("gemma4_vit:")
    print("  TracerWarnings at", lines)
    print(f"  max |eager - traced| with a padding token: {(eager - frozen).abs().max().item():.4g}")
    # traced with a padding token instead, the mask branches are taken and frozen the other way
    _, lines = tracer_warnings(model, (patches, padded))
    print("  TracerWarnings when the example has padding:", lines)
    enc = timm.create_model("gemma4_vit_167m_enc", pretrained=False, depth=1, global_pool="avg").eval()
    _, lines = tracer_warnings(enc, (patches, padded))
    print("  encoder (global_pool='avg') TracerWarnings:", lines)


if __name__ == "__main__":
    naflex()
    gemma4()
