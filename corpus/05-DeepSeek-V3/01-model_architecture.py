"""
Module: DeepSeek-V3 model architecture (MLA + DeepSeekMoE + MTP), tiny and runnable

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
The real model is deepseek-ai/DeepSeek-V3 inference/model.py (MLA, Gate, MoE, Block, Transformer),
sized by inference/configs/config_671B.json. A server calls Transformer.forward once per step; each
Block hands its residual stream to the next and the last hands hidden states to the output head. This
version keeps the field names and the math but drops FP8 weights, tensor/expert parallelism, the KV
cache (see 09-FlashMLA), YaRN and the sequence-wise balance loss; it adds the training-side MTP
module, its loss, and the bias update of auxiliary-loss-free balancing.

** Function List **
V3Config(vocab_size, dim, inter_dim, moe_inter_dim, n_layers, n_dense_layers, n_heads, n_routed_experts, n_shared_experts, n_activated_experts, n_expert_groups, n_limited_groups, route_scale, q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim, n_mtp_depth, mtp_lambda, bias_gamma, rope_theta, max_seq_len) - Model sizes, CPU defaults
rope_freqs(cfg, seq_len) - Complex rotations for the decoupled RoPE part of q and k
apply_rope(x, freqs) - Rotate channel pairs of [batch, seq, heads, rope] by position
MLA(cfg) - Multi-head Latent Attention with low-rank q and kv
MLA.forward(x, freqs, absorb=False) - Causal attention; naive (decompress K/V) or absorbed
MLP(dim, inter_dim) - SwiGLU feed-forward: dense FFN, shared expert and routed expert
MLP.forward(x) - w2(silu(w1 x) * w3 x)
Gate(cfg) - V3 router: sigmoid affinities, selection-only bias, group-limited top-k
Gate.forward(x) - [tokens, dim] -> routing weights and expert indices
Gate.update_bias(load) - Aux-loss-free balancing: overloaded experts' bias -= gamma
MoE(cfg) - Shared expert plus routed experts picked by the Gate
MoE.forward(x) - Send each token to its k experts, weight-sum, add the shared expert
moe_reference(moe, x) - Dense reference: run every expert on every token, mask by gate
Block(cfg, layer_id) - Pre-norm block; dense FFN if layer_id < n_dense_layers, else MoE
Block.forward(x, freqs, absorb=False) - x + attn(norm x), then x + ffn(norm x)
MTPModule(cfg) - One multi-token-prediction depth: merge h_i with Emb(t_i+1), one Block
MTPModule.forward(h, emb, freqs) - Hidden states that predict the token two ahead
TinyV3(cfg) - Embedding, blocks, final norm, output head, MTP module (shares embed/head)
TinyV3.forward(tokens, absorb=False) - tokens -> (logits, last hidden states)
TinyV3.loss(tokens) - Next-token loss, MTP loss and their sum main + lambda * mtp
TinyV3.update_biases() - Apply the balancing bias update in every MoE layer
count_params(cfg, include_mtp=False) - Total and activated parameter counts from a config
main() - Parameter counts for 671B, then self-checks and a short training run

** Technical Deep Dive **
Numbers: config_671B.json and arXiv:2412.19437 (the V3 report). 61 layers of width 7168. Attention is MLA
(from V2, arXiv:2405.04434 §2.1): the query goes through a 1536-d bottleneck, keys and values through a
512-d latent c_kv, both RMS-normed. Position rides on a separate 64-d "decoupled" RoPE key shared by all
128 heads, so the content key never sees a rotation. That makes "absorption" legal: W_UK folds into the
query (q_nope times W_UK lives in latent space) and W_UV is applied after attention, so a cache keeps
only c_kv plus the RoPE key, 576 numbers per token per layer. Were RoPE mixed into the content key, a
position-dependent rotation would sit between q and W_UK and nothing could be folded.
The first 3 FFNs are dense (18432 wide); the other 58 are DeepSeekMoE: 1 shared expert that sees every
token plus 256 routed experts of width 2048, 8 per token. The gate scores experts with a sigmoid, adds a
per-expert bias for *selection only*, keeps the best 4 of 8 groups (group score = sum of its top-2 biased
scores, the inference form of "at most 4 nodes"), takes the top 8 experts there and weights them with
their *unbiased* scores, normalized, times route_scale 2.5. After each step the bias moves by gamma =
0.001 (down if overloaded, up if underloaded): load balance without an auxiliary loss pulling against
the LM loss (paper §2.1.2).
MTP (paper §2.2, depth D = 1): at position i, concatenate normed h_i with the normed embedding of token
i+1, project 2*dim -> dim, run one more Block, predict token i+2 with the shared head. Loss = main +
lambda * mtp, lambda 0.3 for the first 10T tokens then 0.1 (paper §4.2, paper-sourced). At inference
the module can be dropped or used for speculative decoding.
Parameter accounting (`count_params`, derived from the config): 671.03B total without MTP, the published
671B. Activated per token, counting attention, dense FFNs, the gate, shared + 8 routed experts, norms and
the output head but not the embedding table (a lookup reads one row): 36.63B, 0.2% under
README_WEIGHTS.md's 36.7B and 1.0% under the paper's rounded 37B. README_WEIGHTS.md says its 36.7B
includes 0.9B of embedding; with the table our count is 37.55B, so that split is not reproduced here.
MTP adds 11.61B unique parameters (README_WEIGHTS.md: 11.5B; ours includes the 0.10B eh_proj); 671.03 +
11.61 + a stored copy of embedding and head (1.85) = 684.5B, the 685B checkpoint (derived; how DeepSeek
counted 685B is unverified). V3 does not route "K=2" with a softmax, as is sometimes said; it routes 8
of 256 + 1 shared with sigmoid scores, and FP8 is its training recipe (02-fp8_training_loop.py).
</karpathys_code_comments>
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

@dataclass
class V3Config:
    vocab_size: int = 256          # 671B: 129280 (all real values: config_671B.json)
    dim: int = 64                  # 7168
    inter_dim: int = 128           # 18432, width of the dense FFN in the first layers
    moe_inter_dim: int = 32        # 2048, width of one expert
    n_layers: int = 4              # 61
    n_dense_layers: int = 1        # 3
    n_heads: int = 4               # 128
    n_routed_experts: int = 16     # 256
    n_shared_experts: int = 1      # 1
    n_activated_experts: int = 4   # 8
    n_expert_groups: int = 4       # 8
    n_limited_groups: int = 2      # 4
    route_scale: float = 1.0       # 2.5
    q_lora_rank: int = 32          # 1536
    kv_lora_rank: int = 16         # 512
    qk_nope_head_dim: int = 16     # 128
    qk_rope_head_dim: int = 8      # 64
    v_head_dim: int = 16           # 128
    n_mtp_depth: int = 1           # 1 (num_nextn_predict_layers, README_WEIGHTS.md)
    mtp_lambda: float = 0.3        # 0.3 for the first 10T tokens, then 0.1 (paper §4.2)
    bias_gamma: float = 0.001      # 0.001, then 0 for the last 500B tokens (paper §4.2)
    rope_theta: float = 10000.0    # 10000 (model.py ModelArgs default)
    max_seq_len: int = 64          # 4096 * 4 in model.py; 128K context after YaRN

# Karpathy: the 671B values, spelled with config_671B.json's own field names.
REAL_671B = dict(vocab_size=129280, dim=7168, inter_dim=18432, moe_inter_dim=2048, n_layers=61, n_dense_layers=3,
                 n_heads=128, n_routed_experts=256, n_shared_experts=1, n_activated_experts=8, n_expert_groups=8,
                 n_limited_groups=4, route_scale=2.5, q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128,
                 qk_rope_head_dim=64, v_head_dim=128)

def rope_freqs(cfg, seq_len):
    half = cfg.qk_rope_head_dim // 2
    inv = cfg.rope_theta ** (-torch.arange(half, dtype=torch.float64) / half)
    # Karpathy: freqs shape [seq_len, half], one unit complex number per (position, channel pair).
    # The real model also applies YaRN stretching past 4096 tokens; we stay short and skip it.
    freqs = torch.polar(torch.ones(seq_len, half, dtype=torch.float64), torch.outer(torch.arange(seq_len).double(), inv))
    return freqs

def apply_rope(x, freqs):
    # Karpathy: x shape [batch, seq, heads, rope]; channel pairs become complex numbers
    xc = torch.view_as_complex(x.to(torch.promote_types(x.dtype, torch.float32)).reshape(*x.shape[:-1], -1, 2))
    # and a position-dependent rotation is one complex multiply (in fp32+, as model.py does).
    rot = freqs[: x.shape[1], None, :].to(xc.dtype)
    return torch.view_as_real(xc * rot).flatten(-2).to(x.dtype)

class MLA(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg, c = cfg, cfg
        # Karpathy: query path: dim -> q_lora_rank -> RMSNorm -> heads * (nope + rope).
        self.wq_a = nn.Linear(c.dim, c.q_lora_rank, bias=False)
        self.q_norm = nn.RMSNorm(c.q_lora_rank, eps=1e-6)
        self.wq_b = nn.Linear(c.q_lora_rank, c.n_heads * (c.qk_nope_head_dim + c.qk_rope_head_dim), bias=False)
        # Karpathy: kv path: dim -> latent c_kv (kv_lora_rank) plus ONE rope key for all heads.
        # wkv_b holds W_UK and W_UV for every head, stacked: it is what absorption folds away.
        self.wkv_a = nn.Linear(c.dim, c.kv_lora_rank + c.qk_rope_head_dim, bias=False)
        self.kv_norm = nn.RMSNorm(c.kv_lora_rank, eps=1e-6)
        self.wkv_b = nn.Linear(c.kv_lora_rank, c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), bias=False)
        self.wo = nn.Linear(c.n_heads * c.v_head_dim, c.dim, bias=False)
        self.scale = (c.qk_nope_head_dim + c.qk_rope_head_dim) ** -0.5  # (128+64)^-0.5 in V3

    def forward(self, x, freqs, absorb=False):
        c, H = self.cfg, self.cfg.n_heads
        # Karpathy: x shape [batch, seq, dim]
        bsz, seq, _ = x.shape
        # Karpathy: q shape [batch, seq, n_heads, qk_head]: qk_head = 16 content + 8 rope here.
        q = self.wq_b(self.q_norm(self.wq_a(x))).view(bsz, seq, H, -1)
        q_nope, q_pe = q.split([c.qk_nope_head_dim, c.qk_rope_head_dim], dim=-1)
        q_pe = apply_rope(q_pe, freqs)
        c_kv, k_pe = self.wkv_a(x).split([c.kv_lora_rank, c.qk_rope_head_dim], dim=-1)
        # Karpathy: c_kv shape [batch, seq, kv_lora_rank]. This and k_pe are all a cache keeps.
        c_kv = self.kv_norm(c_kv)
        # Karpathy: k_pe shape [batch, seq, qk_rope_head_dim], shared by all heads (like MQA).
        k_pe = apply_rope(k_pe.unsqueeze(2), freqs).squeeze(2)
        # Karpathy: w shape [n_heads, nope_v, kv_lora_rank]: first 16 rows W_UK, last 16 W_UV.
        w = self.wkv_b.weight.view(H, -1, c.kv_lora_rank)
        w_uk, w_uv = w[:, : c.qk_nope_head_dim], w[:, c.qk_nope_head_dim:]
        if absorb:
            # Karpathy: fold W_UK into the query: q_lat shape [batch, seq, n_heads, kv_lora_rank].
            # Scores then read the 512-d latent directly; no per-head key is ever built.
            q_lat = torch.einsum("bshd,hdc->bshc", q_nope, w_uk)
            scores = torch.einsum("bshc,btc->bsht", q_lat, c_kv) + torch.einsum("bshr,btr->bsht", q_pe, k_pe)
        else:
            # Karpathy: naive: decompress per-head keys and values from the latent first.
            # k shape [batch, seq, n_heads, qk_head]
            k = torch.cat([torch.einsum("btc,hdc->bthd", c_kv, w_uk),
                           k_pe[:, :, None, :].expand(-1, -1, H, -1)], dim=-1)
            v = torch.einsum("btc,hdc->bthd", c_kv, w_uv)
            scores = torch.einsum("bshd,bthd->bsht", torch.cat([q_nope, q_pe], dim=-1), k)
        causal = torch.full((seq, seq), float("-inf"), dtype=x.dtype, device=x.device).triu(1)
        # Karpathy: probs shape [batch, seq, n_heads, seq]; the mask broadcasts over heads.
        probs = F.softmax(scores * self.scale + causal[:, None, :], dim=-1)
        if absorb:
            # Karpathy: attend in latent space, THEN apply W_UV: o shape [batch, seq, n_heads, v_head_dim]
            o = torch.einsum("bshc,hdc->bshd", torch.einsum("bsht,btc->bshc", probs, c_kv), w_uv)
        else:
            o = torch.einsum("bsht,bthd->bshd", probs, v)
        return self.wo(o.flatten(2))

class MLP(nn.Module):
    def __init__(self, dim, inter_dim):
        super().__init__()
        self.w1, self.w3 = nn.Linear(dim, inter_dim, bias=False), nn.Linear(dim, inter_dim, bias=False)
        self.w2 = nn.Linear(inter_dim, dim, bias=False)  # Karpathy: gate w1, value w3, down w2

    def forward(self, x):
        # Karpathy: SwiGLU, three matrices: 3 * dim * inter_dim parameters. h shape [..., inter_dim]
        h = F.silu(self.w1(x)) * self.w3(x)
        return self.w2(h)

class Gate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        # Karpathy: self.weight shape [n_routed_experts, dim]: one "centroid" per expert.
        self.weight = nn.Parameter(torch.randn(cfg.n_routed_experts, cfg.dim) * cfg.dim ** -0.5)
        # Karpathy: bias moves by `update_bias`, not gradients (model.py has it only if dim == 7168).
        self.bias = nn.Parameter(torch.zeros(cfg.n_routed_experts), requires_grad=False)

    def forward(self, x):
        c = self.cfg
        # Karpathy: x shape [tokens, dim]; scores shape [tokens, n_routed_experts], in (0, 1).
        # Sigmoid, not softmax: each affinity stands alone, so adding experts doesn't dilute it.
        scores = torch.sigmoid(x @ self.weight.t())
        # Karpathy: biased shape [tokens, n_expert_groups, group_size]. Bias steers WHO is picked.
        biased = (scores + self.bias).view(x.shape[0], c.n_expert_groups, -1)
        # Karpathy: group score = sum of its top-2 biased scores (2 = 8 experts / 4 groups in V3).
        group_scores = biased.topk(2, dim=-1).values.sum(dim=-1)
        top_groups = group_scores.topk(c.n_limited_groups, dim=-1).indices
        keep = torch.zeros_like(group_scores, dtype=torch.bool).scatter_(1, top_groups, True)
        # Karpathy: -inf (not 0) outside the kept groups, so no expert there can ever win.
        masked = biased.masked_fill(~keep[..., None], float("-inf")).flatten(1)
        indices = masked.topk(c.n_activated_experts, dim=-1).indices
        # Karpathy: weights shape [tokens, n_activated_experts]: UNBIASED scores, normalized.
        weights = scores.gather(1, indices)
        weights = weights / weights.sum(dim=-1, keepdim=True) * c.route_scale
        return weights, indices

    @torch.no_grad()
    def update_bias(self, load):
        # Karpathy: load shape [n_routed_experts]; overloaded experts get -gamma, underloaded +gamma.
        self.bias += self.cfg.bias_gamma * torch.sign(load.float().mean() - load.float())

class MoE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg, self.gate = cfg, Gate(cfg)
        self.experts = nn.ModuleList(MLP(cfg.dim, cfg.moe_inter_dim) for _ in range(cfg.n_routed_experts))
        self.shared_experts = MLP(cfg.dim, cfg.n_shared_experts * cfg.moe_inter_dim)
        # Karpathy: self.last_load shape [n_routed_experts], tokens per expert in the last forward.
        self.register_buffer("last_load", torch.zeros(cfg.n_routed_experts, dtype=torch.long))

    def forward(self, x):
        # Karpathy: flat shape [tokens, dim]: routing is per token, batch and seq don't matter.
        flat = x.reshape(-1, self.cfg.dim)
        weights, indices = self.gate(flat)
        self.last_load = torch.bincount(indices.flatten(), minlength=self.cfg.n_routed_experts)
        y = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            tok, slot = torch.where(indices == e)
            # Karpathy: gather this expert's tokens, run it once, scatter back weighted.
            y = y.index_add(0, tok, expert(flat[tok]) * weights[tok, slot, None])
        # Karpathy: the shared expert sees every token: common knowledge lives there.
        return (y + self.shared_experts(flat)).view_as(x)

def moe_reference(moe, x):
    weights, indices = moe.gate(x)
    # Karpathy: dense shape [tokens, n_routed_experts]: zero except the k chosen experts.
    dense = torch.zeros(x.shape[0], moe.cfg.n_routed_experts, dtype=x.dtype).scatter(1, indices, weights)
    outs = torch.stack([expert(x) for expert in moe.experts], dim=1)
    # Karpathy: every expert ran on every token (wasteful on purpose): outs shape [tokens, n_routed_experts, dim]
    mixed = (dense[..., None] * outs).sum(dim=1)
    return mixed + moe.shared_experts(x)

class Block(nn.Module):
    def __init__(self, cfg, layer_id):
        super().__init__()
        self.attn = MLA(cfg)
        # Karpathy: the first n_dense_layers FFNs are dense (3 in V3), the rest MoE.
        self.ffn = MLP(cfg.dim, cfg.inter_dim) if layer_id < cfg.n_dense_layers else MoE(cfg)
        self.attn_norm, self.ffn_norm = nn.RMSNorm(cfg.dim, eps=1e-6), nn.RMSNorm(cfg.dim, eps=1e-6)

    def forward(self, x, freqs, absorb=False):
        # Karpathy: x shape [batch, seq, dim], pre-norm residual, twice.
        x = x + self.attn(self.attn_norm(x), freqs, absorb)
        return x + self.ffn(self.ffn_norm(x))

class MTPModule(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.hnorm, self.enorm = nn.RMSNorm(cfg.dim, eps=1e-6), nn.RMSNorm(cfg.dim, eps=1e-6)
        self.eh_proj = nn.Linear(2 * cfg.dim, cfg.dim, bias=False)
        # Karpathy: layer id n_layers (61 in V3) >= n_dense_layers, so this Block is MoE.
        self.block = Block(cfg, cfg.n_layers)
        self.norm = nn.RMSNorm(cfg.dim, eps=1e-6)

    def forward(self, h, emb, freqs):
        # Karpathy: h is the main model's state at i, emb the embedding of token i+1:
        # merged shape [batch, seq, dim] after the 2*dim -> dim projection.
        merged = self.eh_proj(torch.cat([self.hnorm(h), self.enorm(emb)], dim=-1))
        return self.norm(self.block(merged, freqs))

class TinyV3(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.norm, self.head = nn.RMSNorm(cfg.dim, eps=1e-6), nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        # Karpathy: D = 1 MTP module; embed and head are shared with it, not copied.
        self.mtp = MTPModule(cfg)
        self.register_buffer("freqs", rope_freqs(cfg, cfg.max_seq_len), persistent=False)

    def forward(self, tokens, absorb=False):
        # Karpathy: h shape [batch, seq, dim]
        h = self.embed(tokens)
        for layer in self.layers:
            h = layer(h, self.freqs, absorb)
        return self.head(self.norm(h)), h

    def loss(self, tokens):
        T = tokens.shape[1]
        # Karpathy: logits shape [batch, seq, vocab_size]; position i predicts token i+1.
        logits, h = self(tokens)
        main = F.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten())
        # Karpathy: MTP at i sees h_i and Emb(t_i+1) and predicts t_i+2, so T-2 positions.
        # h_mtp shape [batch, mtp_seq, dim]
        h_mtp = self.mtp(h[:, : T - 2], self.embed(tokens[:, 1 : T - 1]), self.freqs)
        mtp = F.cross_entropy(self.head(h_mtp).flatten(0, 1), tokens[:, 2:].flatten())
        # Karpathy: L = L_main + lambda / D * sum_k L_mtp_k, with D = 1 here.
        return main, mtp, main + self.cfg.mtp_lambda / self.cfg.n_mtp_depth * mtp

    def update_biases(self):
        for m in self.modules():  # Karpathy: every MoE layer, the MTP block's included
            if isinstance(m, MoE):
                m.gate.update_bias(m.last_load)

def count_params(cfg, include_mtp=False):
    d, H = cfg.dim, cfg.n_heads
    # Karpathy: one MLA: wq_a + q_norm, wq_b, wkv_a + kv_norm, wkv_b, wo; plus the block's 2 norms.
    attn = (d * cfg.q_lora_rank + cfg.q_lora_rank
            + cfg.q_lora_rank * H * (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim)
            + d * (cfg.kv_lora_rank + cfg.qk_rope_head_dim) + cfg.kv_lora_rank
            + cfg.kv_lora_rank * H * (cfg.qk_nope_head_dim + cfg.v_head_dim)
            + H * cfg.v_head_dim * d + 2 * d)
    expert, gate = 3 * d * cfg.moe_inter_dim, cfg.n_routed_experts * (d + 1)  # gate: weight + bias
    moe_total = (cfg.n_routed_experts + cfg.n_shared_experts) * expert + gate
    # Karpathy: the whole gate runs for every token; only k of the routed experts do.
    moe_active = (cfg.n_activated_experts + cfg.n_shared_experts) * expert + gate
    n_moe = cfg.n_layers - cfg.n_dense_layers
    body_total = cfg.n_layers * attn + cfg.n_dense_layers * 3 * d * cfg.inter_dim + n_moe * moe_total
    body_active = cfg.n_layers * attn + cfg.n_dense_layers * 3 * d * cfg.inter_dim + n_moe * moe_active
    embed, head = cfg.vocab_size * d, cfg.vocab_size * d + d  # head includes the final norm
    # Karpathy: activated leaves out the embedding TABLE: a lookup touches one row per token.
    total, active = embed + head + body_total, head + body_active
    if include_mtp:
        # Karpathy: MTP unique params: hnorm, enorm, its final norm, eh_proj, one MoE block.
        total += 3 * d + 2 * d * d + attn + moe_total
        active += 3 * d + 2 * d * d + attn + moe_active
    return total, active

def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)  # Karpathy: tiny ops; set one thread per process when CPUs are shared
    real = V3Config(**REAL_671B)
    total, active = count_params(real)
    mtp, embed = count_params(real, include_mtp=True)[0] - total, real.vocab_size * real.dim
    print(f"{'DeepSeek-V3 (config_671B.json)':<44}{'derived':>10}{'published':>11}")
    for name, n, pub in [("total, main model", total, "671B"), ("activated (no embedding table)", active, "36.7B"),
                         ("activated incl. embedding table", active + embed, ""), ("MTP unique", mtp, "11.5B"),
                         ("main + MTP + stored embed/head copy", total + mtp + 2 * embed, "685B")]:
        print(f"{name:<44}{n / 1e9:>9.2f}B{pub:>11}")
    # Karpathy: 671B within 1%; activated within 1% of README_WEIGHTS' 36.7B, rounds to the paper's 37B.
    assert abs(total / 671e9 - 1) < 0.01 and abs(active / 36.7e9 - 1) < 0.01 and round(active / 1e9) == 37
    assert abs((total + mtp + 2 * embed) / 685e9 - 1) < 0.01  # 685B = main + MTP (README.md)
    print(f"check: total {total / 671e9 - 1:+.3%} vs 671B; activated {active / 36.7e9 - 1:+.2%} vs 36.7B, "
          f"{active / 37e9 - 1:+.2%} vs 37B OK")
    cfg = V3Config()
    model = TinyV3(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == count_params(cfg, include_mtp=True)[0]
    print(f"check: tiny model has {n_params:,} params == count_params(cfg, include_mtp=True) OK")
    # Karpathy: naive vs absorbed MLA in float64: same math, different association order.
    mla = MLA(cfg).double()
    # Karpathy: x shape [2, 12, 64]
    x = torch.randn(2, 12, cfg.dim, dtype=torch.float64)
    diff = (mla(x, model.freqs) - mla(x, model.freqs, absorb=True)).abs().max().item()
    assert diff < 1e-10, diff
    print(f"check: naive vs absorbed MLA max |diff| = {diff:.1e} (float64) OK")
    moe, per_group = model.layers[1].ffn, cfg.n_routed_experts // cfg.n_expert_groups
    # Karpathy: xt shape [tokens, 64]
    xt = torch.randn(64, cfg.dim)
    w, idx = moe.gate(xt)
    assert all(len(set(row.tolist())) == cfg.n_activated_experts for row in idx)
    assert all(len(set((row // per_group).tolist())) <= cfg.n_limited_groups for row in idx)
    assert (w >= 0).all() and torch.allclose(w.sum(-1), torch.full((64,), cfg.route_scale))
    print(f"check: gate picks {cfg.n_activated_experts} distinct experts in <= {cfg.n_limited_groups} groups, weights sum to route_scale OK")
    ref_diff = (moe(xt) - moe_reference(moe, xt)).abs().max().item()
    assert ref_diff < 1e-5
    print(f"check: sparse MoE == dense reference (max |diff| {ref_diff:.1e}) OK")
    # Karpathy: a short run on "count by a step" sequences: t_i+1 = t_i + step (mod vocab).
    start, step = torch.randint(0, cfg.vocab_size, (8, 1)), torch.randint(1, 4, (8, 1))
    # Karpathy: tokens shape [batch, seq]
    tokens = (start + step * torch.arange(32)) % cfg.vocab_size
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    for it in range(25):
        main_l, mtp_l, loss = model.loss(tokens)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.update_biases()
        first = (main_l.item(), mtp_l.item()) if it == 0 else first
        if it % 8 == 0:
            print(f"step {it:2d}  main {main_l.item():.3f}  mtp {mtp_l.item():.3f}  total {loss.item():.3f}")
    assert main_l.item() < 0.5 * first[0] and mtp_l.item() < 0.5 * first[1]
    bias = model.layers[1].ffn.gate.bias / cfg.bias_gamma
    assert torch.allclose(bias, bias.round(), atol=1e-3) and bias.abs().max() > 0
    print("check: main and MTP losses fell by more than half; biases moved in steps of gamma OK")

if __name__ == "__main__":
    main()

# Karpathy: 576 cached values per token, 8 of 256 experts by a biased sigmoid, one MTP depth: 671B total, ~37B active.
