"""Tests for corpus/06-DeepSeek-VL2/01-vision_encoder.py (dynamic tiling, 2x2 fold, layout)."""
import math

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "06-DeepSeek-VL2/01-vision_encoder.py"
vl2 = load_corpus(REL)
REAL = vl2.candidate_resolutions(384, 9)


def test_candidates_respect_tile_budget():
    assert (384, 384) in REAL and (384 * 9, 384) in REAL and (1152, 1152) in REAL
    assert all((w // 384) * (h // 384) <= 9 and w % 384 == 0 and h % 384 == 0 for w, h in REAL)
    assert len(REAL) == len(set(REAL)) == 23


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 5000))
def test_selection_is_max_effective_then_least_waste(w, h):
    best = vl2.select_best_resolution((w, h), REAL)
    scores = {c: vl2.canvas_score((w, h), c) for c in REAL}
    top_eff = max(s[0] for s in scores.values())
    assert scores[best][0] == top_eff  # effective resolution first
    assert scores[best][1] == max(s[1] for s in scores.values() if s[0] == top_eff)  # then least waste


def test_waste_only_breaks_ties():
    # every canvas upscales a 100x100 image: a tie on effective area, waste picks 1x1
    assert vl2.select_best_resolution((100, 100), REAL) == (384, 384)
    # the waste-free 768x384 canvas loses to 1152x768 because it would shrink the image
    assert vl2.canvas_score((800, 400), (768, 384))[1] == 0
    assert vl2.select_best_resolution((800, 400), REAL) == (1152, 768)
    # a pure "least waste" rule would have picked differently
    least_waste = max(REAL, key=lambda c: vl2.canvas_score((800, 400), c)[1])
    assert least_waste != (1152, 768)


def test_token_formula_at_real_sizes():
    assert vl2.num_vision_tokens(1, 1) == 421
    for n_h in range(1, 4):
        for n_w in range(1, 4):
            assert vl2.num_vision_tokens(n_h, n_w) == 14 * 15 + 1 + (14 * n_h) * (14 * n_w + 1)
    assert vl2.num_vision_tokens(3, 3) == 2017


@pytest.mark.parametrize("n_h,n_w,h", [(1, 1, 14), (2, 3, 3), (3, 1, 2), (1, 4, 5)])
def test_layout_round_trips(n_h, n_w, h):
    torch.manual_seed(0)
    d = 8
    glob, tiles = torch.randn(h * h, d), torch.randn(n_h * n_w, h * h, d)
    newline, sep = torch.randn(d), torch.randn(d)
    seq = vl2.layout_tokens(glob, tiles, n_h, n_w, newline, sep)
    assert seq.shape[0] == h * (h + 1) + 1 + (h * n_h) * (h * n_w + 1)
    g2, t2, nl, s2 = vl2.unpack_layout(seq, n_h, n_w, h)
    assert torch.equal(g2, glob) and torch.equal(t2, tiles) and torch.equal(s2, sep)
    assert torch.equal(nl, newline.expand(h + h * n_h, d))
    # stitched order: the first local row runs across tile 0, tile 1, ... before its newline
    first_row = seq[h * (h + 1) + 1: h * (h + 1) + 1 + n_w * h]
    assert torch.equal(first_row, torch.cat([tiles[j, :h] for j in range(n_w)]))


@pytest.mark.parametrize("grid", [5, 6, 27, 28])
def test_fold_is_invertible_and_pads_odd_grids(grid):
    x = torch.randn(3, grid * grid, 4)
    y = vl2.fold_2x2(x)
    side = math.ceil(grid / 2)
    assert y.shape == (3, side * side, 16)
    assert torch.equal(vl2.unfold_inverse(y, grid), x)
    # token (0, 0) holds exactly the 2x2 block of patches (0,0), (0,1), (1,0), (1,1)
    block = x[:, [0, 1, grid, grid + 1]]  # [3, 4, c]
    assert torch.equal(y[:, 0].view(3, 4, 4), block.transpose(1, 2))
    if grid % 2:  # the last folded column holds zero padding on its right half
        right = y[:, side - 1].view(3, 4, 2, 2)[..., 1]
        assert torch.count_nonzero(right) == 0


def test_single_vit_no_hybrid():
    enc = vl2.VL2VisionEncoder(vl2.VL2Config())
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    assert convs == [enc.vit.patch_embed]
    assert convs[0].kernel_size == convs[0].stride == (14, 14)


def test_views_tiles_reassemble_to_canvas():
    cfg = vl2.VL2Config()
    image = torch.rand(3, 80, 150)
    cands = vl2.candidate_resolutions(cfg.tile_size, cfg.max_tiles)
    views, (n_h, n_w) = vl2.make_views(image, cfg, cands)
    assert (n_h, n_w) == (2, 3) and views.shape == (1 + 6, 3, 70, 70)
    canvas = vl2.resize_and_pad(image, n_w * 70, n_h * 70)
    for r in range(n_h):
        for c in range(n_w):
            assert torch.equal(views[1 + r * n_w + c], canvas[:, r * 70:(r + 1) * 70, c * 70:(c + 1) * 70])
    torch.testing.assert_close(views[0], vl2.resize_and_pad(image, 70, 70))


@pytest.mark.parametrize("w,h", [(60, 60), (150, 80), (90, 200), (300, 40)])
def test_forward_token_count_matches_formula(w, h):
    torch.manual_seed(0)
    cfg = vl2.VL2Config()
    enc = vl2.VL2VisionEncoder(cfg).eval()
    with torch.no_grad():
        seq, (n_h, n_w) = enc(torch.rand(3, h, w))
    assert n_h * n_w <= cfg.max_tiles
    assert seq.shape == (vl2.num_vision_tokens(n_h, n_w, 70, 14, 2), cfg.lm_dim)
    assert seq.shape[0] == 3 * 4 + 1 + (3 * n_h) * (3 * n_w + 1)


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    for line in ("check: chosen canvas maximizes effective resolution, waste only breaks ties OK",
                 "421 tokens OK", "layout round-trips", "exactly invertible"):
        assert line in proc.stdout, line


@pytest.mark.gpu
@requires_cuda
def test_encoder_on_cuda_bf16_matches_fp32():
    torch.manual_seed(0)
    cfg = vl2.VL2Config()
    enc = vl2.VL2VisionEncoder(cfg).eval()
    image = torch.rand(3, 80, 150)
    with torch.no_grad():
        ref, grid = enc(image)
        out, grid_gpu = enc.to("cuda", torch.bfloat16)(image.to("cuda", torch.bfloat16))
    assert grid == grid_gpu and out.shape == ref.shape
    rel = (out.float().cpu() - ref).norm() / ref.norm()
    print(f"bf16 CUDA vs fp32 CPU relative error {rel:.3e}")
    assert rel < 5e-2
    x = torch.randn(2, 27 * 27, 16, device="cuda")
    assert torch.equal(vl2.unfold_inverse(vl2.fold_2x2(x), 27), x)
