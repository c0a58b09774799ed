"""
Module: FlashMLA-style MLA decoding over a paged latent KV cache

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
The real thing is deepseek-ai/FlashMLA: Hopper CUDA kernels behind the Python API get_mla_metadata
and flash_mla_with_kvcache (first-release test: tests/test_flash_mla.py). An inference engine calls
get_mla_metadata for the current cache lengths, then flash_mla_with_kvcache once per layer in each
decode step, handing it the absorbed queries, the paged cache, the block table and cache_seqlens; it
returns the attention output in the 512-d latent space plus the log-sum-exp (LSE), and the caller
applies the value up-projection and the output projection. This CPU version keeps the data layout
and the math (absorption, paging, split-KV with an LSE merge) and drops everything that makes the
kernel fast: tiles, shared memory, TMA, warp specialization, FP8 caches and the sparse V3.2 path.

** Function List **
MLAConfig(n_heads, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim, block_size, num_workers) - Sizes, CPU defaults
make_weights(cfg, dtype=torch.float32, device="cpu") - W_UK and W_UV, the per-head slices of wkv_b
softmax_scale(cfg) - (nope + rope) ** -0.5, the scale of the ORIGINAL head dim
kernel_default_scale(q) - what flash_mla_with_kvcache uses when no scale is passed: q.shape[-1] ** -0.5
naive_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg) - Reference: decompress K and V
    per head from the latent, then ordinary multi-head attention (output and LSE)
absorb_query(q_nope, q_pe, w_uk) - Fold W_UK into the query: [batch, heads, 576] "MQA" queries
absorbed_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg) - Absorbed attention on a
    contiguous cache: one 576-d key and one 512-d value per token, shared by all heads
build_paged_cache(cache, cache_seqlens, block_size, generator=None) - Cut sequences into
    blocks, scatter them to shuffled physical pages, NaN-fill the padding; returns pool and block table
plan_splits(cache_seqlens, block_size, num_workers) - get_mla_metadata's job: deal the blocks of
    the whole batch out evenly to workers, splitting long sequences
partial_attention(q, kv_pool, blocks, first_block, seqlen, cfg, scale) - One worker's piece: attention
    over a run of pages, returns normalized output and LSE
merge_partials(outs, lses) - Combine split-KV pieces exactly through their LSEs
paged_decode(q_nope, q_pe, kv_pool, block_table, cache_seqlens, w_uk, w_uv, cfg, plan, scale=None) - The
    FlashMLA-style path: absorb, run every worker's pieces, merge, apply W_UV
kv_cache_table(n_heads=128, k_head_dim=192, v_head_dim=128, latent=576, n_layers=61) - KV cache
    values per token for MHA, GQA, MQA and MLA at V3's sizes
cal_diff(x, y) - FlashMLA's test gate: 1 - 2*sum(xy) / sum(x^2 + y^2)
main() - Build a mixed-length paged cache, check every path against the reference, print the table

** Technical Deep Dive **
MLA (DeepSeek-V2, arXiv:2405.04434 §2.1) caches per token and layer a 512-d latent c_kv plus one
64-d RoPE key shared by all heads: 576 values. Naively you decompress c_kv into 128 per-head keys
(128-d content + the 64-d RoPE part) and values (128-d) and run multi-head attention. Decoding is
memory-bound, so that is backwards: it reads a small cache and then builds a huge one. Absorption
(a reordering of the same products): score_h = q_nope_h . (W_UK_h c) + q_pe_h . k_pe = (W_UK_h^T
q_nope_h) . c + q_pe_h . k_pe, so fold W_UK into the query once per step, and since the output is
W_UV_h (sum_t p_t c_t), attend in latent space and apply W_UV once at the end. Now every head reads
the same 576-d key and the same 512-d value (the first 512 of the 576): it is MQA with head_dim_k
576 and head_dim_v 512, exactly FlashMLA's "MQA mode" (README support matrix; test uses h_kv = 1,
d = 576, dv = 512). The softmax scale stays (128 + 64) ** -0.5: the scores are the same numbers.
But flash_mla_with_kvcache defaults softmax_scale to q.shape[-1] ** -0.5, which for these 576-wide
queries is 576 ** -0.5 (deepseek-ai/FlashMLA flash_mla_interface.py), so callers pass
(128 + 64) ** -0.5 themselves, times YaRN's mscale^2 when the context is extended (V3's MLA does
this in inference/model.py); the demo shows the default gives a different answer.
Paging: the cache is a pool of fixed-size blocks (64 tokens in FlashMLA; 16 here so short CPU
sequences still span several pages) and a block table maps (sequence, logical block) to a physical
page, as in vLLM-style paged attention, so sequences grow without copying. Split-KV: with batch 1
and 128 heads a decode step has too little parallel work for 132 SMs, so get_mla_metadata splits the
batch's blocks evenly across SM partitions, a long sequence landing on several of them. Each piece
returns an output normalized over its own tokens and its LSE; with L = logsumexp over pieces, the
exact result is sum_i exp(lse_i - L) o_i. Padding: FlashMLA's test fills cache slots past
cache_seqlens with NaN as a leak detector: a kernel that reads even one value past a sequence's
end turns that output NaN and fails the test. That forces this code to mask the value rows, not
only the scores, since probability 0 times a NaN value is still NaN.
Numbers (FlashMLA README): first release BF16, block size 64, up to 3000 GB/s memory-bound and 580
TFLOPS compute-bound on H800 SXM5; the 2025-04-22 kernel up to 660 TFLOPS. For V3 dims MLA caches
576 values per token per layer against 128 x (192 + 128) = 40960 for MHA with the same heads: 1.41%
(derived); V2 §2.1.4 calls it equal to GQA with only 2.25 groups. The popular line "93% KV cache
compression via shared latent space" misplaces a number: the 93.3% is DeepSeek-V2's KV cache against
DeepSeek 67B (V2 abstract, with 5.76x max generation throughput), a result of the MLA architecture
chosen at training time. FlashMLA compresses nothing; it reads the already-small cache fast.
</karpathys_code_comments>
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class MLAConfig:
    n_heads: int = 8            # V3: 128 query heads (FlashMLA test: h_q 16..128 for TP 8..1)
    kv_lora_rank: int = 32      # 512, the latent; also head_dim_v of the absorbed attention
    qk_rope_head_dim: int = 8   # 64; latent + rope = 576 = head_dim_k in FlashMLA
    qk_nope_head_dim: int = 16  # 128, content part of each head's query/key
    v_head_dim: int = 16        # 128, each head's value after W_UV
    block_size: int = 16        # 64 in FlashMLA; smaller on CPU so sequences span several pages
    num_workers: int = 4        # SM partitions the metadata deals work to (132 SMs on H800)


def make_weights(cfg, dtype=torch.float32, device="cpu"):
    # Karpathy: the two halves of V3's wkv_b, viewed per head (05-DeepSeek-V3/01-model_architecture.py).
    w_uk = torch.randn(cfg.n_heads, cfg.qk_nope_head_dim, cfg.kv_lora_rank, dtype=dtype, device=device)
    # Karpathy: w_uk shape [n_heads, qk_nope_head_dim, kv_lora_rank], w_uv shape [n_heads, v_head_dim, kv_lora_rank]
    w_uv = torch.randn(cfg.n_heads, cfg.v_head_dim, cfg.kv_lora_rank, dtype=dtype, device=device)
    return w_uk / cfg.kv_lora_rank ** 0.5, w_uv / cfg.kv_lora_rank ** 0.5


def softmax_scale(cfg):
    # Karpathy: NOT 576 ** -0.5: absorption reorders the products, the scores stay the same numbers.
    return (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5


def kernel_default_scale(q):
    # Karpathy: the API's fallback: the width of the query it was handed, 576 for absorbed MLA.
    return q.shape[-1] ** -0.5


def naive_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg):
    H = cfg.n_heads
    # Karpathy: cache shape [batch, max_len, kv_width]: per token the latent (32) + rope key (8) = 40 here.
    c_kv, k_pe = cache.split([cfg.kv_lora_rank, cfg.qk_rope_head_dim], dim=-1)
    valid = torch.arange(cache.shape[1], device=cache.device) < cache_seqlens[:, None]
    c_kv = torch.where(valid[..., None], c_kv, 0.0)
    # Karpathy: the decompression that makes naive decoding slow: k shape [batch, max_len, n_heads, qk_head]
    # (16 content + 8 rope = 24 here) per head, per token; the rope part is copied into every head.
    k = torch.cat([torch.einsum("btc,hdc->bthd", c_kv, w_uk),
                   torch.where(valid[..., None], k_pe, 0.0)[:, :, None].expand(-1, -1, H, -1)], dim=-1)
    # Karpathy: v shape [batch, max_len, n_heads, v_head_dim]
    v = torch.einsum("btc,hdc->bthd", c_kv, w_uv)
    scores = torch.einsum("bhd,bthd->bht", torch.cat([q_nope, q_pe], dim=-1), k) * softmax_scale(cfg)
    # Karpathy: scores shape [batch, n_heads, max_len]; padding gets -inf, so probability exactly 0.
    scores = scores.masked_fill(~valid[:, None, :], float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)
    # Karpathy: an empty sequence has all -inf: softmax gives NaN; we define its output as 0.
    probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return torch.einsum("bht,bthd->bhd", probs, v), lse


def absorb_query(q_nope, q_pe, w_uk):
    # Karpathy: q_lat shape [batch, n_heads, kv_lora_rank]: each head's query moved into latent space.
    q_lat = torch.einsum("bhd,hdc->bhc", q_nope, w_uk)
    return torch.cat([q_lat, q_pe], dim=-1)


def absorbed_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg):
    # Karpathy: q_full shape [batch, n_heads, kv_width]; every head now shares ONE key per token: MQA.
    q_full = absorb_query(q_nope, q_pe, w_uk)
    valid = torch.arange(cache.shape[1], device=cache.device) < cache_seqlens[:, None]
    kv = torch.where(valid[..., None], cache, 0.0)
    # Karpathy: scores shape [batch, n_heads, max_len], one matmul against the raw cache.
    scores = torch.einsum("bhk,btk->bht", q_full, kv) * softmax_scale(cfg)
    scores = scores.masked_fill(~valid[:, None, :], float("-inf"))
    probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    # Karpathy: o_lat shape [batch, n_heads, kv_lora_rank]: the value IS the latent (first 32 of the 40).
    o_lat = torch.einsum("bht,btc->bhc", probs, kv[..., : cfg.kv_lora_rank])
    return torch.einsum("bhc,hdc->bhd", o_lat, w_uv), torch.logsumexp(scores, dim=-1)


def build_paged_cache(cache, cache_seqlens, block_size, generator=None):
    batch, width = cache.shape[0], cache.shape[-1]
    n_blocks = [math.ceil(int(n) / block_size) for n in cache_seqlens]
    # Karpathy: physical pages in a shuffled order: the block table, not adjacency, says where data is.
    # Two spare pages stay unused, as in a real pool with free pages.
    perm = torch.randperm(sum(n_blocks) + 2, generator=generator).tolist()
    # Karpathy: kv_pool shape [pages, block_size, kv_width], all NaN until written (like FlashMLA's test).
    kv_pool = torch.full((len(perm), block_size, width), float("nan"), dtype=cache.dtype, device=cache.device)
    # Karpathy: block_table shape [batch, max_blocks]; -1 marks "no page" (never read).
    block_table = torch.full((batch, max(max(n_blocks), 1)), -1, dtype=torch.long)
    for b in range(batch):
        for j in range(n_blocks[b]):
            page, start = perm.pop(), j * block_size
            block_table[b, j] = page
            take = min(block_size, int(cache_seqlens[b]) - start)
            kv_pool[page, :take] = cache[b, start : start + take]
    return kv_pool, block_table.to(cache.device)


def plan_splits(cache_seqlens, block_size, num_workers):
    n_blocks = [math.ceil(int(n) / block_size) for n in cache_seqlens]
    per_worker = max(1, math.ceil(sum(n_blocks) / num_workers))
    plan, room = [[]], per_worker
    # Karpathy: walk the batch's blocks in order and deal them out in equal shares: a long sequence
    # is cut across workers, short ones share a worker. Each piece is (seq, first block, end block).
    for b, nb in enumerate(n_blocks):
        j = 0
        while j < nb:
            take = min(room, nb - j)
            plan[-1].append((b, j, j + take))
            j, room = j + take, room - take
            if room == 0:
                plan, room = plan + [[]], per_worker
    return [w for w in plan if w]


def partial_attention(q, kv_pool, blocks, first_block, seqlen, cfg, scale):
    bs = kv_pool.shape[1]
    # Karpathy: kv shape [tokens, kv_width]: gather whole pages through the block table, as a kernel would.
    kv = kv_pool[blocks].reshape(-1, kv_pool.shape[-1])
    pos = first_block * bs + torch.arange(kv.shape[0], device=kv.device)
    valid = pos < seqlen
    # Karpathy: zero the padding rows BEFORE any matmul: 0 * NaN = NaN, so a -inf score alone
    # would still let the NaN value rows poison the output.
    kv = torch.where(valid[:, None], kv, 0.0)
    # Karpathy: scores shape [n_heads, tokens]
    scores = (q @ kv.t() * scale).masked_fill(~valid, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)
    # Karpathy: o shape [n_heads, kv_lora_rank], normalized over THIS piece only; lse remembers its mass.
    o = torch.exp(scores - lse[:, None]) @ kv[:, : cfg.kv_lora_rank]
    return o, lse


def merge_partials(outs, lses):
    # Karpathy: lses shape [pieces, n_heads]. The true normalizer is logsumexp over pieces, so each
    # piece is reweighted by exp(lse_i - L): the same trick as the online softmax in FlashAttention.
    lses = torch.stack(lses)
    total = torch.logsumexp(lses, dim=0)
    return (torch.exp(lses - total)[..., None] * torch.stack(outs)).sum(dim=0), total


def paged_decode(q_nope, q_pe, kv_pool, block_table, cache_seqlens, w_uk, w_uv, cfg, plan, scale=None):
    # Karpathy: q_full shape [batch, n_heads, kv_width], 576 wide in FlashMLA
    q_full = absorb_query(q_nope, q_pe, w_uk)
    scale = softmax_scale(cfg) if scale is None else scale
    pieces = [([], []) for _ in range(q_full.shape[0])]
    for worker in plan:  # Karpathy: on a GPU these run at once, one SM partition each
        for b, j0, j1 in worker:
            o, lse = partial_attention(q_full[b], kv_pool, block_table[b, j0:j1], j0, int(cache_seqlens[b]), cfg,
                                       scale)
            pieces[b][0].append(o)
            pieces[b][1].append(lse)
    outs, lses = [], []
    for b, (o_list, lse_list) in enumerate(pieces):
        if not o_list:  # Karpathy: empty sequence: output 0, lse -inf (our convention)
            o_list, lse_list = [q_full.new_zeros(cfg.n_heads, cfg.kv_lora_rank)], [q_full.new_full((cfg.n_heads,), float("-inf"))]
        o, lse = merge_partials(o_list, lse_list) if len(o_list) > 1 else (o_list[0], lse_list[0])
        outs.append(o)
        lses.append(lse)
    # Karpathy: o_lat shape [batch, n_heads, kv_lora_rank]; W_UV maps it to per-head values last.
    o_lat = torch.stack(outs)
    return torch.einsum("bhc,hdc->bhd", o_lat, w_uv), torch.stack(lses)


def kv_cache_table(n_heads=128, k_head_dim=192, v_head_dim=128, latent=576, n_layers=61):
    # Karpathy: values cached per token per layer; GQA/MQA keep V3's head dims with fewer KV heads.
    rows = [("MHA, 128 KV heads", n_heads * (k_head_dim + v_head_dim)),
            ("GQA, 8 KV heads", 8 * (k_head_dim + v_head_dim)),
            ("MQA, 1 KV head", k_head_dim + v_head_dim),
            ("MLA, latent 512 + rope 64", latent)]
    mha = rows[0][1]
    return [(name, n, 2 * n, 2 * n * n_layers / 1024, n / mha) for name, n in rows]


def cal_diff(x, y):
    # Karpathy: x shape [n], y too: flattened, in float64 so the gate itself adds no error.
    x, y = x.double().flatten(), y.double().flatten()
    return (1 - 2 * (x * y).sum() / (x * x + y * y).sum()).item()


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)  # Karpathy: tiny ops, so one thread is faster and timing-stable on CPU
    cfg = MLAConfig()
    w_uk, w_uv = make_weights(cfg)
    # Karpathy: mixed lengths 0..200, including an empty sequence and exact block multiples.
    cache_seqlens = torch.tensor([0, 1, 16, 37, 64, 150, 200])
    batch, width = len(cache_seqlens), cfg.kv_lora_rank + cfg.qk_rope_head_dim
    # Karpathy: cache shape [batch, 200, 40], NaN past each sequence's length.
    cache = torch.randn(batch, int(cache_seqlens.max()), width)
    cache[torch.arange(cache.shape[1]) >= cache_seqlens[:, None]] = float("nan")
    # Karpathy: q_nope shape [batch, 8, 16]: one decode query per sequence and head (s_q = 1; FlashMLA
    # also takes s_q = 2 for MTP speculative decoding).
    q_nope = torch.randn(batch, cfg.n_heads, cfg.qk_nope_head_dim)
    q_pe = torch.randn(batch, cfg.n_heads, cfg.qk_rope_head_dim)

    ref, ref_lse = naive_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg)
    out, lse = absorbed_decode(q_nope, q_pe, cache, cache_seqlens, w_uk, w_uv, cfg)
    diff = (out - ref).abs().max().item()
    assert diff < 1e-5 and torch.allclose(lse, ref_lse, atol=1e-5, equal_nan=False)
    print(f"check: absorbed == naive MLA decode, max |diff| {diff:.1e} (fp32) OK")

    kv_pool, block_table = build_paged_cache(cache, cache_seqlens, cfg.block_size, torch.Generator().manual_seed(0))
    print(f"paged cache: {kv_pool.shape[0]} pages of {cfg.block_size} tokens; block table for the 37- and 200-token sequences:")
    print("   ", block_table[3, :3].tolist(), "|", block_table[6].tolist())
    for workers in (1, 3, cfg.num_workers, 16):
        plan = plan_splits(cache_seqlens, cfg.block_size, workers)
        splits = [sum(p[0] == b for w in plan for p in w) for b in range(batch)]
        out_p, lse_p = paged_decode(q_nope, q_pe, kv_pool, block_table, cache_seqlens, w_uk, w_uv, cfg, plan)
        d = (out_p - ref).abs().max().item()
        assert d < 1e-5 and torch.isfinite(out_p).all() and torch.allclose(lse_p, ref_lse, atol=1e-5)
        assert cal_diff(out_p[1:], ref[1:]) < 1e-5  # Karpathy: FlashMLA's own test gate
        print(f"  {workers:2d} workers, splits per sequence {splits}: max |diff| vs naive {d:.1e}")
    print("check: paged split-KV decode == naive for every split count; LSE equal too OK")
    assert (out_p[0] == 0).all() and torch.isinf(lse_p[0]).all()
    kv_pool2 = torch.where(torch.isnan(kv_pool), torch.tensor(1e30), kv_pool)
    out2, _ = paged_decode(q_nope, q_pe, kv_pool2, block_table, cache_seqlens, w_uk, w_uv, cfg, plan)
    assert torch.equal(out2, out_p)
    print("check: NaN (or 1e30) padding past cache_seqlens never leaks; empty sequence -> 0 OK")

    # Karpathy: the scale trap. Left to its default the kernel would scale by the absorbed width.
    q_width = cfg.kv_lora_rank + cfg.qk_rope_head_dim
    default = kernel_default_scale(absorb_query(q_nope, q_pe, w_uk))
    out_d, _ = paged_decode(q_nope, q_pe, kv_pool, block_table, cache_seqlens, w_uk, w_uv, cfg, plan, default)
    wrong = cal_diff(out_d[1:], ref[1:])
    v3 = MLAConfig(kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128)
    print(f"softmax scale: correct ({cfg.qk_nope_head_dim} + {cfg.qk_rope_head_dim}) ** -0.5 = {softmax_scale(cfg):.4f}, "
          f"kernel default {q_width} ** -0.5 = {default:.4f} -> cal_diff vs naive {wrong:.1e}; V3 sizes: "
          f"{softmax_scale(v3):.4f} vs 576 ** -0.5 = {576 ** -0.5:.4f}")
    assert default == q_width ** -0.5 != softmax_scale(cfg) and wrong > 1e-5
    print("check: the kernel's default scale (query width ** -0.5) fails the cal_diff gate; pass (nope + rope) ** -0.5 OK")

    # Karpathy: the cache per token is (latent + rope) values whatever the head count: heads cost
    # query-side compute, not cache bytes. The naive path's decompressed K/V grows with heads.
    for heads in (8, 128):
        c2 = MLAConfig(n_heads=heads)
        w2 = make_weights(c2)
        pool, table2 = build_paged_cache(cache, cache_seqlens, c2.block_size)
        per_token = pool.nbytes // (pool.shape[0] * pool.shape[1])
        naive_bytes = heads * (c2.qk_nope_head_dim + c2.qk_rope_head_dim + c2.v_head_dim) * 4
        assert per_token == (c2.kv_lora_rank + c2.qk_rope_head_dim) * pool.element_size() == 160
        assert paged_decode(q_nope[:, :1].expand(-1, heads, -1), q_pe[:, :1].expand(-1, heads, -1), pool, table2,
                            cache_seqlens, *w2, c2, plan_splits(cache_seqlens, c2.block_size, 4))[0].isfinite().all()
        print(f"  {heads:3d} heads: paged cache {per_token} B/token; naive decompressed K+V {naive_bytes:,} B/token")
    print("check: cache bytes per token = (kv_lora_rank + rope) x 4 B, independent of head count OK")

    print(f"\nKV cache per token, DeepSeek-V3 sizes (bf16, 61 layers)")
    print(f"{'attention':<28}{'values/layer':>13}{'bytes/layer':>12}{'KiB/token':>11}{'vs MHA':>9}")
    table = kv_cache_table()
    for name, n, nbytes, kib, frac in table:
        print(f"{name:<28}{n:>13,}{nbytes:>12,}{kib:>11.1f}{frac:>9.2%}")
    assert table[0][1] == 40960 and table[3][1] == 576 and abs(table[3][4] - 0.0141) < 1e-4
    assert 576 == 2 * 2.25 * 128  # Karpathy: V2 §2.1.4: 4.5 d_h = GQA with 2.25 groups (d_h = 128)
    print("check: MLA caches 576 / 40960 = 1.41% of MHA's values, = GQA with 2.25 groups OK")
    print("note: the often-quoted 93.3% is DeepSeek-V2 vs DeepSeek 67B (V2 abstract), a model-level "
          "result of MLA, not something the FlashMLA kernel does.")


if __name__ == "__main__":
    main()

# Karpathy: Absorbed MLA is MQA over a 576-wide latent key: read 576 values per token, scale by (128 + 64) ** -0.5.
