"""Tests for corpus/02-DeepGEMM/02-fp8_quantization.py (block-scaled FP8, DeepGEMM recipe)."""
import re

from corpus_helpers import CORPUS, load_corpus, run_demo, requires_cuda

import pytest
import torch

REL = "02-DeepGEMM/02-fp8_quantization.py"
fq = load_corpus(REL)


def _data(seed, rows=256, cols=512, spread=3.0):
    g = torch.Generator().manual_seed(seed)
    scale = 10.0 ** (-spread * torch.rand(rows, 1, generator=g))
    return torch.randn(rows, cols, generator=g) * scale


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("magnitude", [1e-6, 1.0, 1e5])
def test_tile_round_trip_bound_and_amax(seed, magnitude):
    x = _data(seed) * magnitude
    q, s = fq.quantize_tiles_1x128(x)
    assert q.dtype == torch.float8_e4m3fn and s.shape == (256, 4)
    deq = fq.dequantize_tiles(q, s)
    s_full = s.repeat_interleave(128, dim=1)
    bound = torch.maximum(2.0 ** -4 * x.abs(), s_full * 2.0 ** -10) * (1 + 1e-6)
    assert ((deq - x).abs() <= bound).all()
    # the largest |value| of every tile becomes exactly +-448
    amax_q = q.float().view(256, 4, 128).abs().amax(dim=-1)
    assert (amax_q == 448.0).all()


def test_block_quant_bound_and_transpose_symmetry():
    g = torch.Generator().manual_seed(3)
    w = torch.randn(384, 256, generator=g) * 0.02
    q, s = fq.quantize_blocks_128x128(w)
    assert s.shape == (3, 2)
    deq = fq.dequantize_blocks(q, s)
    s_full = s.repeat_interleave(128, 0).repeat_interleave(128, 1)
    assert ((deq - w).abs() <= torch.maximum(2.0 ** -4 * w.abs(), s_full * 2.0 ** -10) * (1 + 1e-6)).all()
    # square blocks: quantising w.T gives the transposed codes and scales
    qt, st = fq.quantize_blocks_128x128(w.T.contiguous())
    assert torch.equal(qt.float(), q.float().T) and torch.equal(st, s.T)


def test_zero_tile_is_finite():
    x = torch.zeros(2, 256)
    x[1, 200] = 3.0
    q, s = fq.quantize_tiles_1x128(x)
    deq = fq.dequantize_tiles(q, s)
    assert torch.isfinite(deq).all() and torch.equal(deq[0], torch.zeros(256))
    assert deq[1, 200].item() == pytest.approx(3.0, rel=1e-6)


def test_fine_grained_beats_per_tensor_on_outliers():
    cfg = fq.FP8Config()
    x, _ = fq.make_activations(cfg, torch.Generator().manual_seed(0))
    fine = fq.dequantize_tiles(*fq.quantize_tiles_1x128(x))
    q, s = fq.quantize_per_tensor(x)
    coarse = q.float() * s
    row = lambda d: ((d - x).norm(dim=1) / x.norm(dim=1))
    assert row(fine).max() < 0.05
    assert row(coarse).max() > 0.5  # some token is almost entirely flushed to zero
    assert fq.relative_error(fine, x) < fq.relative_error(coarse, x)


def test_calc_diff_values():
    x = torch.randn(64, 64, generator=torch.Generator().manual_seed(4))
    assert fq.calc_diff(x, x) == pytest.approx(0.0, abs=1e-12)
    assert fq.calc_diff(x, -x) == pytest.approx(2.0)
    assert fq.calc_diff(x, 1.01 * x) == pytest.approx(0.01 ** 2 / (1 + 1.01 ** 2), rel=1e-3)


def test_block_gemm_matches_reference_and_gate():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(128, 512, generator=g)
    w = torch.randn(256, 512, generator=g)
    xq, xs = fq.quantize_tiles_1x128(x)
    wq, ws = fq.quantize_blocks_128x128(w)
    out = fq.fp8_block_gemm(xq, xs, wq, ws)
    plain = fq.dequantize_tiles(xq, xs) @ fq.dequantize_blocks(wq, ws).T
    assert fq.relative_error(out, plain) < 1e-5
    assert fq.calc_diff(out, x @ w.T) < 1e-3
    # the gate can fail: a wrong weight-scale layout (blocks swapped) is caught
    bad = fq.fp8_block_gemm(xq, xs, wq, ws.flip(0))
    assert fq.calc_diff(bad, x @ w.T) > 1e-3


def test_round_to_mantissa():
    g = torch.Generator().manual_seed(6)
    x = torch.randn(4096, generator=g)
    assert torch.equal(fq.round_to_mantissa(x, 23), x)  # FP32 already has 23 stored bits
    # 3 stored bits + round-to-nearest-even is exactly E4M3 in its normal range
    normal = x.abs().clamp(2.0 ** -6, 400.0) * x.sign()
    assert torch.equal(fq.round_to_mantissa(normal, 3), normal.to(torch.float8_e4m3fn).float())
    t = fq.round_to_mantissa(x, 5, mode="truncate")
    assert (t.abs() <= x.abs()).all() and ((t - x).abs() <= x.abs() * 2.0 ** -5).all()
    with pytest.raises(ValueError):
        fq.round_to_mantissa(x, 5, mode="stochastic")


def test_promotion_reduces_accumulation_error():
    g = torch.Generator().manual_seed(7)
    a = fq.quantize_per_tensor(torch.randn(8, 2048, generator=g))[0].float()
    b = fq.quantize_per_tensor(torch.randn(8, 2048, generator=g))[0].float()
    exact = a.double() @ b.double().T
    # with a full FP32 mantissa the serial sum is (nearly) exact
    assert fq.relative_error(fq.limited_precision_matmul(a, b, 23), exact) < 1e-6
    for mode in ["nearest", "truncate"]:
        raw = fq.max_relative_error(fq.limited_precision_matmul(a, b, 13, None, mode), exact)
        promoted = fq.max_relative_error(fq.limited_precision_matmul(a, b, 13, 128, mode), exact)
        assert promoted < raw / 3


def test_e4m3_thresholds_come_from_real_casts():
    span, zero_at, err_1000 = fq.e4m3_ratios()
    assert span == 448 / 2**-6 == 28672
    assert 4.58e5 < zero_at < 4.59e5  # 448 / 2^-10: half the smallest subnormal rounds to 0
    # a value 1000x below the absmax is a normal E4M3 number; ~2.9e4x and beyond is subnormal
    fi = torch.finfo(torch.float8_e4m3fn)
    assert 448 / 1000 >= fi.smallest_normal and err_1000 <= 2**-4
    below = torch.tensor([448 / 4e4, 448 / 5e5]).to(torch.float8_e4m3fn).float()
    assert 0 < below[0] < fi.smallest_normal and below[1] == 0


def test_header_states_the_true_e4m3_range():
    header = (CORPUS / REL).read_text(encoding="utf-8").split('"""')[1]
    assert "28,672x" in header and "~2.9e4x" in header and "~4.6e5x" in header
    assert not re.search(r"1000x smaller than the outlier\s+slide into the subnormal", header)


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in [
        "check: 1x128 tiles keep every token under 5% error, per-tensor does not OK",
        "check: each tile's amax element quantises to exactly 448 OK",
        "check: calc_diff(fp8_block_gemm, fp32) < 1e-3 (DeepGEMM's gate) OK",
        "check: promotion every N_C = 128 cuts the simulated error at least 4x OK",
        "check: 1000x below the absmax stays a normal E4M3 number (error <= 2^-4) OK",
        "paper-sourced",
    ]:
        assert line in out


def _fp8_capable():
    return torch.cuda.is_available() and torch.cuda.get_device_capability() >= (8, 9)


def _scaled_mm_fp32(a8, b8):
    """a8 [m, k] row-major FP8, b8 [n, k] row-major FP8 -> a8 @ b8.T in FP32 on tensor cores."""
    one = torch.ones((), device=a8.device)
    out = torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.float32)
    return out[0] if isinstance(out, tuple) else out  # torch < 2.4 returned (out, amax)


def _scaled_mm_block_gemm(xq, xs, wq, ws, dev):
    """DeepGEMM's scheme with torch._scaled_mm: one FP8 K-block per call, scales in FP32."""
    xq_d, wq_d, xs_d = xq.to(dev), wq.to(dev), xs.to(dev)
    ws_cols = ws.repeat_interleave(128, dim=0).to(dev)
    acc = torch.zeros(xq.shape[0], wq.shape[0], device=dev)
    for kb in range(xq.shape[1] // 128):
        cols = slice(kb * 128, (kb + 1) * 128)
        partial = _scaled_mm_fp32(xq_d[:, cols].contiguous(), wq_d[:, cols].contiguous())
        acc += partial * xs_d[:, kb, None] * ws_cols[None, :, kb]  # promotion, in FP32
    return acc.cpu()


def _check_scaled_mm_block_gemm(dev, m, n, k):
    g = torch.Generator().manual_seed(8)
    x = torch.randn(m, k, generator=g)
    w = torch.randn(n, k, generator=g)
    xq, xs = fq.quantize_tiles_1x128(x)
    wq, ws = fq.quantize_blocks_128x128(w)
    cpu = fq.fp8_block_gemm(xq, xs, wq, ws)
    real = _scaled_mm_block_gemm(xq, xs, wq, ws, dev)
    print(f"\n{dev} torch._scaled_mm block-scaled FP8: calc_diff vs CPU reference "
          f"{fq.calc_diff(real, cpu):.2e}, vs FP32 {fq.calc_diff(real, x @ w.T):.2e}")
    assert fq.calc_diff(real, cpu) < 1e-6
    assert fq.calc_diff(real, x @ w.T) < 1e-3


def test_scaled_mm_block_gemm_on_cpu_when_supported():
    try:
        _scaled_mm_fp32(torch.zeros(16, 16, dtype=torch.float8_e4m3fn),
                        torch.zeros(16, 16, dtype=torch.float8_e4m3fn))
    except (RuntimeError, NotImplementedError) as err:
        pytest.skip(f"torch._scaled_mm has no CPU kernel here: {err}")
    _check_scaled_mm_block_gemm("cpu", 64, 128, 512)


@pytest.mark.gpu
@requires_cuda
def test_gpu_block_scaled_fp8_gemm_matches_cpu_reference():
    if not _fp8_capable():
        pytest.skip("FP8 tensor cores need compute capability >= 8.9")
    _check_scaled_mm_block_gemm("cuda", 512, 1024, 4096)


@pytest.mark.gpu
@requires_cuda
def test_gpu_fast_accumulation_vs_promotion():
    if not _fp8_capable():
        pytest.skip("FP8 tensor cores need compute capability >= 8.9")
    g = torch.Generator().manual_seed(9)
    a8 = fq.quantize_per_tensor(torch.randn(256, 4096, generator=g))[0]
    b8 = fq.quantize_per_tensor(torch.randn(256, 4096, generator=g))[0]
    exact = a8.double() @ b8.double().T
    a_d, b_d = a8.cuda(), b8.cuda()
    one = torch.ones((), device="cuda")
    errs = {}
    for fast in [True, False]:
        out = torch._scaled_mm(a_d, b_d.t(), scale_a=one, scale_b=one,
                               out_dtype=torch.float32, use_fast_accum=fast)
        out = out[0] if isinstance(out, tuple) else out
        errs[fast] = fq.max_relative_error(out.cpu(), exact)
    print(f"\nreal H/W, K=4096, max rel err: use_fast_accum=True {errs[True]:.2e},"
          f" False {errs[False]:.2e}")
    assert errs[False] < 1e-3
    assert errs[False] <= errs[True]
