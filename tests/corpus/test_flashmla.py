"""Tests for corpus/09-FlashMLA/01-mla_attention.py (paged, absorbed, split-KV MLA decoding)."""
import math
import time

import pytest
import torch

from corpus_helpers import CORPUS, load_corpus, requires_cuda, run_demo

REL = "09-FlashMLA/01-mla_attention.py"
m = load_corpus(REL)


def _setup(cfg, lengths, dtype=torch.float64, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    seqlens = torch.tensor(lengths)
    width = cfg.kv_lora_rank + cfg.qk_rope_head_dim
    cache = torch.randn(len(lengths), max(max(lengths), 1), width, generator=g, dtype=dtype)
    cache[torch.arange(cache.shape[1]) >= seqlens[:, None]] = float("nan")
    q_nope = torch.randn(len(lengths), cfg.n_heads, cfg.qk_nope_head_dim, generator=g, dtype=dtype)
    q_pe = torch.randn(len(lengths), cfg.n_heads, cfg.qk_rope_head_dim, generator=g, dtype=dtype)
    torch.manual_seed(seed)
    w_uk, w_uv = m.make_weights(cfg, dtype=dtype)
    to = lambda t: t.to(device)
    return to(cache), to(seqlens), to(q_nope), to(q_pe), to(w_uk), to(w_uv)


def test_absorbed_equals_naive_float64():
    cfg = m.MLAConfig()
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(cfg, [3, 50, 200, 1])
    ref, ref_lse = m.naive_decode(q_nope, q_pe, cache, seqlens, w_uk, w_uv, cfg)
    out, lse = m.absorbed_decode(q_nope, q_pe, cache, seqlens, w_uk, w_uv, cfg)
    assert torch.isfinite(ref).all() and (out - ref).abs().max() < 1e-12
    assert torch.allclose(lse, ref_lse, atol=1e-12)


@pytest.mark.parametrize("workers", [1, 2, 5, 13, 64])
@pytest.mark.parametrize("block_size", [4, 16, 64])
def test_paged_split_kv_equals_naive(workers, block_size):
    cfg = m.MLAConfig(block_size=block_size)
    lengths = [0, 1, 15, 16, 17, 64, 129, 200]
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(cfg, lengths, seed=workers)
    ref, ref_lse = m.naive_decode(q_nope, q_pe, cache, seqlens, w_uk, w_uv, cfg)
    pool, table = m.build_paged_cache(cache, seqlens, block_size, torch.Generator().manual_seed(1))
    plan = m.plan_splits(seqlens, block_size, workers)
    out, lse = m.paged_decode(q_nope, q_pe, pool, table, seqlens, w_uk, w_uv, cfg, plan)
    assert (out - ref).abs().max() < 1e-12 and torch.allclose(lse, ref_lse, atol=1e-12)
    assert (out[0] == 0).all() and torch.isneginf(lse[0]).all()


def test_plan_splits_covers_each_block_once_and_balances():
    lengths = [0, 5, 64, 65, 300, 1000, 7]
    bs, workers = 16, 6
    plan = m.plan_splits(torch.tensor(lengths), bs, workers)
    seen = {}
    for w in plan:
        for b, j0, j1 in w:
            assert 0 <= j0 < j1
            for j in range(j0, j1):
                assert (b, j) not in seen
                seen[(b, j)] = True
    expected = {(b, j) for b, n in enumerate(lengths) for j in range(math.ceil(n / bs))}
    assert set(seen) == expected
    per = math.ceil(len(expected) / workers)
    assert len(plan) <= workers and all(sum(j1 - j0 for _, j0, j1 in w) <= per for w in plan)


def test_merge_partials_is_exact_for_any_cut():
    torch.manual_seed(0)
    q, kv = torch.randn(4, 12, dtype=torch.float64), torch.randn(30, 12, dtype=torch.float64)
    scores = q @ kv.t()
    full = torch.softmax(scores, -1) @ kv
    for cuts in ([10], [1, 2, 29], [7, 8, 20]):
        edges = [0, *cuts, 30]
        outs, lses = [], []
        for a, b in zip(edges, edges[1:]):
            s = scores[:, a:b]
            lses.append(torch.logsumexp(s, -1))
            outs.append(torch.softmax(s, -1) @ kv[a:b])
        o, lse = m.merge_partials(outs, lses)
        assert torch.allclose(o, full, atol=1e-12) and torch.allclose(lse, torch.logsumexp(scores, -1))


@pytest.mark.parametrize("poison", [float("nan"), float("inf"), 1e30, -1e30])
def test_padding_never_leaks(poison):
    cfg = m.MLAConfig()
    lengths = [3, 17, 40]
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(cfg, lengths, dtype=torch.float32)
    pool, table = m.build_paged_cache(cache, seqlens, cfg.block_size)
    plan = m.plan_splits(seqlens, cfg.block_size, 3)
    clean, _ = m.paged_decode(q_nope, q_pe, pool.nan_to_num(0.0), table, seqlens, w_uk, w_uv, cfg, plan)
    bad, _ = m.paged_decode(q_nope, q_pe, torch.where(torch.isnan(pool), poison, pool), table, seqlens,
                            w_uk, w_uv, cfg, plan)
    assert torch.isfinite(bad).all() and torch.equal(clean, bad)
    # The padding really is there: every partially filled page holds poison past its length.
    assert torch.isnan(pool).any()


def test_block_table_indirection_reproduces_cache():
    cfg = m.MLAConfig(block_size=8)
    cache, seqlens, *_ = _setup(cfg, [5, 8, 30])
    pool, table = m.build_paged_cache(cache, seqlens, 8, torch.Generator().manual_seed(3))
    for b, n in enumerate(seqlens.tolist()):
        pages = table[b, : math.ceil(n / 8)]
        assert len(set(pages.tolist())) == len(pages)
        got = pool[pages].reshape(-1, cache.shape[-1])[:n]
        assert torch.equal(got, cache[b, :n])
    used = {p for p in table.flatten().tolist() if p >= 0}
    assert len(used) == sum(math.ceil(n / 8) for n in seqlens.tolist()) < pool.shape[0]


def test_kv_cache_table_v3_numbers():
    rows = {name.split(",")[0]: r for name, *r in m.kv_cache_table()}
    assert rows["MHA"][0] == 128 * (192 + 128) == 40960
    assert rows["MLA"][0] == 576 and rows["MLA"][1] == 1152
    assert abs(rows["MLA"][3] - 576 / 40960) < 1e-12 and 0.014 < rows["MLA"][3] < 0.0141
    assert rows["GQA"][0] == 8 * 320 and rows["MQA"][0] == 320
    assert m.softmax_scale(m.MLAConfig(qk_nope_head_dim=128, qk_rope_head_dim=64)) == 192 ** -0.5


def test_cal_diff_gate():
    x = torch.randn(1000, dtype=torch.float64)
    assert m.cal_diff(x, x) < 1e-12 and m.cal_diff(x, x * 1.001) < 1e-5 and m.cal_diff(x, -x) > 1.9


def test_kernel_default_scale_is_576_and_wrong_for_mla():
    # deepseek-ai/FlashMLA flash_mla_interface.py: softmax_scale defaults to q.shape[-1] ** -0.5.
    cfg = m.MLAConfig(**V3_DIMS)
    q = torch.zeros(1, cfg.n_heads, cfg.kv_lora_rank + cfg.qk_rope_head_dim)
    assert m.kernel_default_scale(q) == 576 ** -0.5 and m.softmax_scale(cfg) == 192 ** -0.5
    small = m.MLAConfig()
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(small, [5, 40, 70])
    ref, _ = m.naive_decode(q_nope, q_pe, cache, seqlens, w_uk, w_uv, small)
    pool, table = m.build_paged_cache(cache, seqlens, small.block_size)
    plan = m.plan_splits(seqlens, small.block_size, 2)
    good, _ = m.paged_decode(q_nope, q_pe, pool, table, seqlens, w_uk, w_uv, small, plan)
    default = m.kernel_default_scale(m.absorb_query(q_nope, q_pe, w_uk))
    bad, _ = m.paged_decode(q_nope, q_pe, pool, table, seqlens, w_uk, w_uv, small, plan, default)
    assert m.cal_diff(good, ref) < 1e-5 < m.cal_diff(bad, ref)


def test_header_says_why_padding_is_nan():
    header = (CORPUS / REL).read_text(encoding="utf-8").split('"""')[1]
    assert "leak detector" in header and "576 ** -0.5" in header and "mscale^2" in header


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    for key in ["check: absorbed == naive", "check: paged split-KV decode == naive",
                "check: NaN (or 1e30) padding", "MLA, latent 512 + rope 64", "1.41%", "93.3%",
                "check: the kernel's default scale (query width ** -0.5) fails the cal_diff gate"]:
        assert key in proc.stdout, key


V3_DIMS = dict(n_heads=128, kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
               block_size=64, num_workers=132)


@pytest.mark.gpu
@requires_cuda
def test_cuda_bf16_paged_decode_matches_fp32_reference():
    cfg = m.MLAConfig(**V3_DIMS)
    lengths = [1, 64, 700, 4097]
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(cfg, lengths, dtype=torch.float32, device="cuda")
    ref, _ = m.naive_decode(q_nope, q_pe, cache, seqlens, w_uk, w_uv, cfg)
    bf = [t.to(torch.bfloat16) for t in (q_nope, q_pe, cache, w_uk, w_uv)]
    pool, table = m.build_paged_cache(bf[2], seqlens, cfg.block_size)
    plan = m.plan_splits(seqlens, cfg.block_size, 16)
    out, lse = m.paged_decode(bf[0], bf[1], pool, table, seqlens, bf[3], bf[4], cfg, plan)
    diff = m.cal_diff(out.float(), ref)
    print(f"bf16 paged split-KV decode vs fp32 naive: cal_diff {diff:.2e}")
    assert torch.isfinite(out).all() and diff < 1e-3


@pytest.mark.gpu
@requires_cuda
def test_cuda_timing_absorbed_vs_naive():
    cfg = m.MLAConfig(**V3_DIMS)
    batch, seqlen = 8, 4096
    cache, seqlens, q_nope, q_pe, w_uk, w_uv = _setup(cfg, [seqlen] * batch, dtype=torch.float32, device="cuda")
    args = [t.to(torch.bfloat16) for t in (q_nope, q_pe, cache)] + [seqlens] + \
           [t.to(torch.bfloat16) for t in (w_uk, w_uv)] + [cfg]

    def bench(fn, iters=10):
        for _ in range(3):
            fn(*args)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(iters):
            fn(*args)
        torch.cuda.synchronize()
        return (time.perf_counter() - t0) / iters * 1e3

    naive_ms, absorbed_ms = bench(m.naive_decode), bench(m.absorbed_decode)
    print(f"{torch.cuda.get_device_name()}: one MLA decode step, batch {batch}, cache {seqlen}, 128 heads, bf16: "
          f"naive {naive_ms:.2f} ms, absorbed {absorbed_ms:.2f} ms ({naive_ms / absorbed_ms:.1f}x)")
    a = m.absorbed_decode(*args)[0].float()
    n = m.naive_decode(*args)[0].float()
    assert m.cal_diff(a, n) < 1e-3
    # Naive builds 128 heads x (192 + 128) values per cached token per step; absorbed reads 576.
    assert absorbed_ms < naive_ms
