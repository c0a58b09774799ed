"""
Module: DeepSeekMoE routing, from softmax top-k to V3's sigmoid gate with bias

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
Every MoE layer of DeepSeekMoE 16B, V2 and V3 starts with this router. In the real code it is the
MoEGate class of the Hugging Face modeling_deepseek.py (a V2-style copy sits in deepseek-ai/ESFT
deepseek/modeling_deepseek.py) and the Gate class of deepseek-ai/DeepSeek-V3 inference/model.py,
called by the MoE block with the normed hidden states; it hands expert ids and gate weights to the
dispatch step, which in a cluster is the DeepEP all-to-all. This teaching version runs on one CPU
and leaves out expert parallelism, the device-level balance loss and all kernel work.

** Function List **
MoEConfig(d_model, n_routed, n_shared, top_k, expert_inter, n_groups, topk_groups, route_scale, norm_topk_prob, aux_alpha, gamma, n_tokens) - CPU-sized config, real values cited beside each field
Expert(d_model, inter) - One SwiGLU feed-forward expert
Expert.forward(x) - [tokens, d_model] -> [tokens, d_model]
split_expert(expert, m) - Cut one expert into m narrower ones whose outputs sum to the original
softmax_topk_gate(logits, k, norm_topk_prob) - DeepSeekMoE 16B / V2-Lite gate: softmax over experts, keep the top k
v2_device_limited_gate(logits, k, n_groups, topk_groups, norm_topk_prob) - V2 gate: softmax, then top-k
    only inside the topk_groups devices whose best expert scores highest ("group_limited_greedy")
expert_balance_loss(scores, idx, n_routed, k, alpha) - The expert-level balance loss of arXiv:2401.06066
v3_sigmoid_gate(logits, bias, k, n_groups, topk_groups, route_scale) - V3 gate: sigmoid, bias for
    selection only, group-limited top-k, renormalised weights
expert_load(idx, n_routed) - How many token slots each expert received
update_bias(bias, load, gamma) - One auxiliary-loss-free bias step: overloaded down, underloaded up
dispatch_combine(x, weights, idx, experts) - Sparse MoE: group tokens by expert, run each expert once, scatter back
dense_loop_moe(x, weights, idx, experts) - Plain reference: a Python loop over tokens and their k experts
DeepSeekMoE(cfg) - Shared experts plus routed experts behind either gate
DeepSeekMoE.forward(x, bias) - Route and mix; bias=None uses softmax, a tensor uses the V3 sigmoid gate
main() - Demo: both gates, dispatch vs loop, balance loss, and the bias driving load toward uniform

** Technical Deep Dive **
DeepSeekMoE (arXiv:2401.06066) changes two things about a classic top-k MoE. First, fine-grained
expert segmentation: cut each FFN expert into m narrower experts and activate m times as many, so
the parameter count and the FLOPs stay the same but the number of expert combinations explodes
(16 experts top-2 gives C(16,2) = 120 choices; cut each in 4 and route top-8 of 64 and it is
C(64,8), about 4.4 billion; `main` computes both). Second, shared expert isolation: K_s experts see
every token and soak up common knowledge, so the routed experts can specialise. DeepSeekMoE 16B
uses 64 routed + 2 shared experts with top-6 routing (its Hugging Face config.json, checked here
only through a third-party copy, so strictly unverified).

The gate in that paper (and in V2-Lite) is softmax over all routed experts, then top-k. DeepSeek-V2
adds device-limited routing (arXiv:2405.04434 §2.2.2): a token's experts may sit on at most M = 3
devices. Its MoEGate does this with topk_method "group_limited_greedy": experts form n_group groups
(one per device), a group scores its best softmax value, the top topk_group groups stay and top-k
runs inside them (n_group 8, topk_group 3 in V2's config, read from third-party copies: unverified).
`v2_device_limited_gate` implements it; with topk_groups = n_groups it is plain top-k again. In the Hugging
Face code the k kept probabilities are renormalised only when norm_topk_prob is True (default False);
otherwise they are raw softmax values, so they sum to at most 1 (then scaled by
routed_scaling_factor, 1.0 here). Balance comes from an auxiliary loss alpha * sum_i f_i * P_i, where
f_i is the expert's share of token slots times N/K (so uniform gives f_i = 1) and P_i its mean
softmax score. Whenever the slot counts are even it is exactly alpha (all f_i = 1 and the P_i sum
to 1), and it grows when the popular experts are also the high-scoring ones.

V3 (arXiv:2412.19437 §2.1.2) keeps the expert layout but changes the gate: 256 routed + 1 shared
experts, top-8, with sigmoid affinities instead of softmax. A per-expert bias is added to the scores
only to choose experts; the weights are the original sigmoid scores of the chosen experts divided
by their sum, times route_scale 2.5. The bias is trained without gradients: after each step it
drops by gamma for overloaded experts and rises by gamma for underloaded ones (gamma 0.001 for the
first 14.3T tokens, then 0; paper §4.2). So balance no longer fights the language-model loss, only a tiny
sequence-wise loss (alpha 0.0001) remains. Routing is node-limited: in inference/model.py the 256
experts form 8 groups, a group scores the sum of its top-2 biased affinities, and only the top 4
groups are searched. The popular "For V3, K=2 with softmax" is wrong on both counts, and the 671B
total / 37B active figures belong to V3 (V3 report), not to DeepSeekMoE 16B (16.4B total, its README).
</karpathys_code_comments>
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class MoEConfig:
    # 16B values: HF config.json via a third-party copy (unverified); V3 values: config_671B.json.
    d_model: int = 64  # DeepSeekMoE 16B: 2048 hidden; V3: 7168 (config_671B.json dim)
    n_routed: int = 16  # 16B: 64 routed experts; V3: 256
    n_shared: int = 2  # 16B: 2 shared experts; V3: 1
    top_k: int = 4  # 16B: top-6; V3: top-8
    expert_inter: int = 32  # 16B: 1408 per expert; V3: moe_inter_dim 2048
    n_groups: int = 4  # V3: n_expert_groups 8 (stand-in for nodes)
    topk_groups: int = 2  # V3: n_limited_groups 4 ("at most 4 nodes")
    route_scale: float = 1.0  # V3: route_scale 2.5; 1.0 makes "weights sum to 1" easy to read
    norm_topk_prob: bool = False  # HF DeepSeek config default: keep raw softmax values
    aux_alpha: float = 0.001  # demo value; the paper's per-model alphas are not re-checked here
    gamma: float = 0.01  # V3 uses 0.001; 10x larger so 30 CPU steps are enough to see it work
    n_tokens: int = 64  # one toy batch of flattened tokens


class Expert(nn.Module):
    def __init__(self, d_model, inter):
        super().__init__()
        # Karpathy: SwiGLU, the FFN layout DeepSeek uses everywhere: gate, up, down, no biases.
        self.w_gate = nn.Linear(d_model, inter, bias=False)
        self.w_up = nn.Linear(d_model, inter, bias=False)
        self.w_down = nn.Linear(inter, d_model, bias=False)

    def forward(self, x):
        # Karpathy: h shape [tokens, inter]. The narrow middle is what "fine-grained" shrinks.
        h = F.silu(self.w_gate(x)) * self.w_up(x)
        return self.w_down(h)


def split_expert(expert, m):
    # Karpathy: fine-grained segmentation in one picture. Slice the inner dimension into m pieces;
    # each piece is a complete (narrower) expert, and because SwiGLU acts elementwise on the inner
    # dim, the m outputs add up to the big expert's output exactly. Same params, same FLOPs.
    inter = expert.w_up.out_features
    d_model = expert.w_up.in_features
    step = inter // m
    pieces = []
    for j in range(m):
        piece = Expert(d_model, step)
        rows = slice(j * step, (j + 1) * step)
        piece.w_gate.weight.data.copy_(expert.w_gate.weight.data[rows])
        piece.w_up.weight.data.copy_(expert.w_up.weight.data[rows])
        piece.w_down.weight.data.copy_(expert.w_down.weight.data[:, rows])
        pieces.append(piece)
    return pieces


def softmax_topk_gate(logits, k, norm_topk_prob):
    # Karpathy: scores shape [tokens, n_routed]. A probability per expert, rows sum to 1.
    scores = torch.softmax(logits.float(), dim=-1)
    # Karpathy: weights shape [tokens, k], idx shape [tokens, k]. topk never repeats an index,
    # so every token gets exactly k distinct experts.
    weights, idx = torch.topk(scores, k, dim=-1)
    if norm_topk_prob:
        # Karpathy: optional renormalisation (the HF flag); off by default for DeepSeekMoE/V2,
        # where the k raw probabilities sum to less than 1.
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, idx, scores


def v2_device_limited_gate(logits, k, n_groups, topk_groups, norm_topk_prob):
    # Karpathy: scores shape [tokens, n_routed], the same softmax as the plain gate.
    scores = torch.softmax(logits.float(), dim=-1)
    tokens = scores.shape[0]
    # Karpathy: group_score shape [tokens, n_groups]. V2 scores a device by its single best expert.
    group_score = scores.view(tokens, n_groups, -1).amax(dim=-1)
    keep = group_score.topk(topk_groups, dim=-1).indices
    allowed = torch.zeros_like(group_score, dtype=torch.bool).scatter_(1, keep, True)
    # Karpathy: allowed shape [tokens, n_routed]: True on the experts of the kept devices.
    allowed = allowed.repeat_interleave(scores.shape[1] // n_groups, dim=1)
    weights, idx = scores.masked_fill(~allowed, 0.0).topk(k, dim=-1)
    if norm_topk_prob:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, idx, scores


def expert_balance_loss(scores, idx, n_routed, k, alpha):
    # Karpathy: counts shape [n_routed]. Token slots per expert, summed over the batch.
    counts = torch.bincount(idx.flatten(), minlength=n_routed).float()
    tokens = scores.shape[0]
    # Karpathy: f_i = (N / (K T)) * count_i, so a perfectly even split gives f_i = 1 for all i.
    f = counts * n_routed / (k * tokens)
    # Karpathy: p shape [n_routed]. P_i = mean softmax score; this is where the gradient flows.
    p = scores.mean(dim=0)
    return alpha * (f * p).sum()


def v3_sigmoid_gate(logits, bias, k, n_groups, topk_groups, route_scale):
    # Karpathy: s shape [tokens, n_routed]. Sigmoid, not softmax: each affinity lives on its own
    # in (0, 1), so adding a bias to one expert doesn't squeeze the others.
    s = torch.sigmoid(logits.float())
    # Karpathy: the bias only steers WHICH experts get picked, never how much they weigh.
    biased = s + bias
    tokens = s.shape[0]
    # Karpathy: grouped shape [tokens, n_groups, per_group]. Group = node in the real cluster.
    grouped = biased.view(tokens, n_groups, -1)
    # Karpathy: group_score shape [tokens, n_groups]. V3 scores a group by its top-2 affinities.
    group_score = grouped.topk(2, dim=-1).values.sum(dim=-1)
    keep = group_score.topk(topk_groups, dim=-1).indices
    # Karpathy: mask shape [tokens, n_groups]. True for groups this token may NOT use.
    mask = torch.ones_like(group_score, dtype=torch.bool).scatter_(1, keep, False)
    masked = grouped.masked_fill(mask.unsqueeze(-1), float("-inf")).flatten(1)
    # Karpathy: idx shape [tokens, k]. Top-k over the surviving groups' biased scores.
    idx = masked.topk(k, dim=-1).indices
    # Karpathy: weights shape [tokens, k]. Gather the UNbiased s, renormalise, scale.
    weights = s.gather(1, idx)
    weights = weights / weights.sum(dim=-1, keepdim=True) * route_scale
    return weights, idx


def expert_load(idx, n_routed):
    # Karpathy: load shape [n_routed]. Integer slot counts; they always sum to tokens * k.
    load = torch.bincount(idx.flatten(), minlength=n_routed)
    return load


def update_bias(bias, load, gamma):
    # Karpathy: sign-based step from V3 §2.1.2: no gradient, no loss term, just a nudge.
    # Overloaded (above the mean) goes down by gamma, underloaded goes up by gamma.
    err = load.float().mean() - load.float()
    # Karpathy: new_bias shape [n_routed].
    new_bias = bias + gamma * torch.sign(err)
    return new_bias


def dispatch_combine(x, weights, idx, experts):
    tokens, k = idx.shape
    # Karpathy: flat_idx shape [slots]. One slot per (token, choice) pair, slots = tokens * k.
    flat_idx = idx.flatten()
    order = torch.argsort(flat_idx, stable=True)
    # Karpathy: token_of shape [slots]. Which token each sorted slot came from (the "dispatch").
    token_of = order // k
    counts = torch.bincount(flat_idx, minlength=len(experts)).tolist()
    # Karpathy: slot_w shape [slots, 1]. Gate weight of each sorted slot.
    slot_w = weights.flatten()[order].unsqueeze(-1)
    # Karpathy: y shape [tokens, d_model]. The output buffer we scatter-add into ("combine").
    y = torch.zeros_like(x)
    start = 0
    for e, n in enumerate(counts):
        if n == 0:
            continue
        rows = token_of[start:start + n]
        # Karpathy: one batched matmul per expert instead of one tiny call per token. On GPUs
        # this grouping (and the all-to-all that feeds it) is where MoE speed is won or lost.
        y.index_add_(0, rows, experts[e](x[rows]) * slot_w[start:start + n])
        start += n
    return y


def dense_loop_moe(x, weights, idx, experts):
    # Karpathy: y shape [tokens, d_model]. The obviously-correct version, slow on purpose.
    y = torch.zeros_like(x)
    for t in range(x.shape[0]):
        for j in range(idx.shape[1]):
            e = int(idx[t, j])
            y[t] += weights[t, j] * experts[e](x[t:t + 1])[0]
    return y


class DeepSeekMoE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        # Karpathy: self.gate shape [n_routed, d_model]. The router is one matrix with no bias,
        # like the HF MoEGate; a token's logits are just dot products with these rows.
        self.gate = nn.Parameter(torch.randn(cfg.n_routed, cfg.d_model) / math.sqrt(cfg.d_model))
        self.experts = nn.ModuleList(Expert(cfg.d_model, cfg.expert_inter) for _ in range(cfg.n_routed))
        # Karpathy: the HF code fuses the shared experts into ONE FFN of width n_shared * inter;
        # `split_expert` shows that is the same thing as n_shared separate experts summed.
        self.shared = Expert(cfg.d_model, cfg.n_shared * cfg.expert_inter)

    def forward(self, x, bias=None):
        cfg = self.cfg
        # Karpathy: logits shape [tokens, n_routed]. Token-expert affinities.
        logits = x @ self.gate.t()
        aux = None
        if bias is None:
            weights, idx, scores = softmax_topk_gate(logits, cfg.top_k, cfg.norm_topk_prob)
            aux = expert_balance_loss(scores, idx, cfg.n_routed, cfg.top_k, cfg.aux_alpha)
        else:
            weights, idx = v3_sigmoid_gate(logits, bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, cfg.route_scale)
        # Karpathy: y shape [tokens, d_model]. Shared experts see every token, routed ones only theirs.
        y = self.shared(x) + dispatch_combine(x, weights, idx, self.experts)
        return y, weights, idx, aux


def main():
    torch.manual_seed(0)
    # Karpathy: tiny tensors: one thread avoids thread hand-offs that cost more than these ops.
    torch.set_num_threads(1)
    cfg = MoEConfig()
    moe = DeepSeekMoE(cfg)
    # Karpathy: x shape [n_tokens, d_model]. A flat batch of tokens: routing never looks across them.
    x = torch.randn(cfg.n_tokens, cfg.d_model)

    # Karpathy: 1) fine-grained segmentation: same params, same FLOPs, way more combinations.
    big = Expert(cfg.d_model, 4 * cfg.expert_inter)
    pieces = split_expert(big, 4)
    with torch.no_grad():
        assert torch.allclose(big(x), sum(p(x) for p in pieces), atol=1e-5)
    print(f"combinations: 16 experts top-2 = {math.comb(16, 2)}, 64 experts top-8 = {math.comb(64, 8):,}")
    print("check: one expert == sum of its 4 fine-grained pieces OK")
    per_expert = 3 * cfg.d_model * cfg.expert_inter
    print(f"active expert params per token (toy): ({cfg.n_shared} shared + {cfg.top_k} routed) x {per_expert} = "
          f"{(cfg.n_shared + cfg.top_k) * per_expert}")
    print(f"per MoE layer, 16B: (2 + 6) x 3 x 2048 x 1408 = {8 * 3 * 2048 * 1408:,}; "
          f"V3: (1 + 8) x 3 x 7168 x 2048 = {9 * 3 * 7168 * 2048:,}")

    # Karpathy: 2) the DeepSeekMoE / V2 softmax gate.
    with torch.no_grad():
        y, w, idx, aux = moe(x)
        ref = moe.shared(x) + dense_loop_moe(x, w, idx, moe.experts)
    assert all(len(set(row.tolist())) == cfg.top_k for row in idx)
    assert bool((w.sum(-1) <= 1 + 1e-6).all())
    print(f"softmax gate, norm_topk_prob=False: gate sums in [{w.sum(-1).min():.3f}, {w.sum(-1).max():.3f}] (<= 1)")
    print(f"check: exactly {cfg.top_k} distinct experts per token, softmax gates sum <= 1 OK")
    w_norm, _, _ = softmax_topk_gate(x @ moe.gate.t(), cfg.top_k, True)
    assert torch.allclose(w_norm.sum(-1), torch.ones(cfg.n_tokens))
    print("check: with norm_topk_prob=True the same k gates sum to exactly 1 OK")
    # Karpathy: V2's device limit: groups stand in for devices, topk_groups for M.
    logits = x @ moe.gate.t()
    per_group = cfg.n_routed // cfg.n_groups
    w2, idx2, _ = v2_device_limited_gate(logits, cfg.top_k, cfg.n_groups, cfg.topk_groups, False)
    devices = torch.tensor([len(set((row // per_group).tolist())) for row in idx2])
    plain_devices = torch.tensor([len(set((row // per_group).tolist())) for row in idx])
    same = v2_device_limited_gate(logits, cfg.top_k, cfg.n_groups, cfg.n_groups, False)
    assert devices.max() <= cfg.topk_groups < plain_devices.max()
    assert torch.equal(same[1], idx) and torch.equal(same[0], w)
    print(f"V2 device-limited gate: devices per token max {devices.max()} (M = {cfg.topk_groups}), plain top-k "
          f"max {plain_devices.max()}; {(idx2.sort(-1).values != idx.sort(-1).values).any(-1).sum()} of "
          f"{cfg.n_tokens} tokens rerouted")
    print("check: V2 gate keeps every token on <= M devices and equals plain top-k when M = all OK")
    assert torch.allclose(y, ref, atol=1e-5)
    print(f"check: sparse dispatch/combine == dense per-token loop (max diff {(y - ref).abs().max():.1e}) OK")

    # Karpathy: 3) the balance loss is exactly alpha for uniform routing and bigger when skewed.
    n, k, t = cfg.n_routed, cfg.top_k, 1024
    uniform_idx = torch.arange(t * k).remainder(n).view(t, k)
    flat = torch.full((t, n), 1.0 / n)
    skew_scores = torch.softmax(torch.randn(t, n) + torch.linspace(3, 0, n), dim=-1)
    skew_idx = skew_scores.topk(k, dim=-1).indices
    l_uni = expert_balance_loss(flat, uniform_idx, n, k, cfg.aux_alpha)
    l_skew = expert_balance_loss(skew_scores, skew_idx, n, k, cfg.aux_alpha)
    print(f"balance loss: uniform {l_uni:.6f} (= alpha), skewed router {l_skew:.6f}")
    assert abs(l_uni - cfg.aux_alpha) < 1e-9 and l_skew > l_uni
    print("check: expert-level balance loss == alpha for uniform routing, larger when skewed OK")

    # Karpathy: 4) the V3 gate: sigmoid, bias for selection only, group limit, weights sum to route_scale.
    bias = torch.zeros(cfg.n_routed)
    with torch.no_grad():
        y3, w3, idx3, _ = moe(x, bias)
        ref3 = moe.shared(x) + dense_loop_moe(x, w3, idx3, moe.experts)
    per_group = cfg.n_routed // cfg.n_groups
    groups_used = max(len(set((row // per_group).tolist())) for row in idx3)
    assert all(len(set(row.tolist())) == cfg.top_k for row in idx3) and groups_used <= cfg.topk_groups
    assert torch.allclose(w3.sum(-1), torch.full((cfg.n_tokens,), cfg.route_scale))
    assert torch.allclose(y3, ref3, atol=1e-5)
    print(f"check: V3 gate picks {cfg.top_k} distinct experts from <= {cfg.topk_groups} of {cfg.n_groups} groups, "
          f"weights sum to route_scale={cfg.route_scale}, sparse == loop OK")
    # Karpathy: now push expert 0 with a huge bias. It wins every token's selection, yet the weights
    # are still plain sigmoid scores renormalised (times V3's real route_scale 2.5 this time).
    logits = x @ moe.gate.t()
    big_bias = torch.zeros(cfg.n_routed).index_fill_(0, torch.tensor([0]), 10.0)
    w_b, idx_b = v3_sigmoid_gate(logits, big_bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 2.5)
    s_sel = torch.sigmoid(logits).gather(1, idx_b)
    assert bool((idx_b == 0).any(-1).all()) and torch.allclose(w_b, 2.5 * s_sel / s_sel.sum(-1, keepdim=True))
    print("check: bias changes selection (expert 0 now in every token's top-k), not the weights "
          "(= sigmoid / sum x 2.5) OK")

    # Karpathy: 5) auxiliary-loss-free balancing. A skewed router (tokens share a common direction)
    # overloads a few experts; the bias update alone should flatten max/mean load toward 1.
    gen = torch.Generator().manual_seed(1)
    mu = 0.5 * torch.randn(cfg.d_model, generator=gen)
    print("step  max/mean load  bias range")
    ratios = []
    for step in range(30):
        xb = torch.randn(2048, cfg.d_model, generator=gen) + mu
        with torch.no_grad():
            _, idx_b = v3_sigmoid_gate(xb @ moe.gate.t(), bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 1.0)
        load = expert_load(idx_b, cfg.n_routed)
        ratios.append(load.max().item() / load.float().mean().item())
        print(f"{step:4d}  {ratios[-1]:13.3f}  [{bias.min():+.3f}, {bias.max():+.3f}]")
        bias = update_bias(bias, load, cfg.gamma)
    assert ratios[0] > 1.8 and max(ratios[-5:]) < 1.2
    print(f"check: bias update drove max/mean load from {ratios[0]:.2f} to {ratios[-1]:.2f} OK")


if __name__ == "__main__":
    main()
# Karpathy: A router is a matmul and a topk; V2 adds a device limit and V3 a bias that balances load without a loss.
