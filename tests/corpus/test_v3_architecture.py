"""Tests for corpus/05-DeepSeek-V3/01-model_architecture.py (tiny DeepSeek-V3)."""
import math

import pytest
import torch
import torch.nn.functional as F

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "05-DeepSeek-V3/01-model_architecture.py"
m = load_corpus(REL)


def _plain_gate(scores, bias, cfg):
    """Per-token Python reference of the V3 group-limited selection rule."""
    picks = []
    per_group = cfg.n_routed_experts // cfg.n_expert_groups
    for s, sb in zip(scores.tolist(), (scores + bias).tolist()):
        groups = [sorted(sb[g * per_group:(g + 1) * per_group], reverse=True) for g in range(cfg.n_expert_groups)]
        group_score = [g[0] + g[1] for g in groups]
        kept = sorted(range(cfg.n_expert_groups), key=lambda g: -group_score[g])[: cfg.n_limited_groups]
        cands = [e for e in range(cfg.n_routed_experts) if e // per_group in kept]
        chosen = sorted(cands, key=lambda e: -sb[e])[: cfg.n_activated_experts]
        total = sum(s[e] for e in chosen)
        picks.append({e: s[e] / total * cfg.route_scale for e in chosen})
    return picks


def test_param_counts_reproduce_published_totals():
    real = m.V3Config(**m.REAL_671B)
    total, active = m.count_params(real)
    assert abs(total / 671e9 - 1) < 0.01
    # README_WEIGHTS.md: 36.7B activated; paper: 37B (rounded).
    assert abs(active / 36.7e9 - 1) < 0.01 and round(active / 1e9) == 37
    total_mtp, active_mtp = m.count_params(real, include_mtp=True)
    mtp = total_mtp - total
    assert 11.4e9 < mtp < 11.7e9  # README_WEIGHTS.md: 11.5B unique
    embed = real.vocab_size * real.dim
    assert abs((total_mtp + 2 * embed) / 685e9 - 1) < 0.01
    # MTP activated (README_WEIGHTS.md: 2.4B incl. the shared 0.9B embedding and 0.9B head).
    assert abs((active_mtp - active + 2 * embed) / 2.4e9 - 1) < 0.1


@pytest.mark.parametrize("overrides", [{}, dict(n_dense_layers=2, n_shared_experts=2, n_layers=3),
                                       dict(q_lora_rank=24, kv_lora_rank=8, v_head_dim=8)])
def test_count_params_matches_module(overrides):
    cfg = m.V3Config(**overrides)
    model = m.TinyV3(cfg)
    n = sum(p.numel() for p in model.parameters())
    assert n == m.count_params(cfg, include_mtp=True)[0]
    assert n - sum(p.numel() for p in model.mtp.parameters()) == m.count_params(cfg)[0]
    # Activated, counted from the modules: drop the embedding table and the routed experts a
    # token does not use (n_routed - k of them) in every MoE layer, MTP's included.
    expert = sum(p.numel() for p in m.MLP(cfg.dim, cfg.moe_inter_dim).parameters())
    n_moe = sum(isinstance(x, m.MoE) for x in model.modules())
    unused = n_moe * (cfg.n_routed_experts - cfg.n_activated_experts) * expert
    assert n - model.embed.weight.numel() - unused == m.count_params(cfg, include_mtp=True)[1]


@pytest.mark.parametrize("seed", [0, 1])
def test_mla_naive_equals_absorbed(seed):
    torch.manual_seed(seed)
    cfg = m.V3Config()
    freqs = m.rope_freqs(cfg, 20)
    mla = m.MLA(cfg).double()
    x = torch.randn(3, 20, cfg.dim, dtype=torch.float64)
    assert (mla(x, freqs) - mla(x, freqs, absorb=True)).abs().max() < 1e-10
    mla32, x32 = mla.float(), x.float()
    a, b = mla32(x32, freqs), mla32(x32, freqs, absorb=True)
    assert ((a - b).norm() / a.norm()) < 1e-5


def test_mla_is_causal_and_rope_is_relative():
    torch.manual_seed(0)
    cfg = m.V3Config()
    freqs = m.rope_freqs(cfg, 16)
    mla = m.MLA(cfg).double()
    x = torch.randn(1, 16, cfg.dim, dtype=torch.float64)
    y = x.clone()
    y[:, 10:] = torch.randn_like(y[:, 10:])
    assert torch.allclose(mla(x, freqs)[:, :10], mla(y, freqs)[:, :10], atol=1e-12)
    # Rotating q and k by the same extra angle leaves q.k unchanged: RoPE sees only offsets.
    q, k = torch.randn(1, 1, 1, cfg.qk_rope_head_dim, dtype=torch.float64), torch.randn(1, 1, 1, cfg.qk_rope_head_dim, dtype=torch.float64)
    dot = lambda i, j: (m.apply_rope(q, freqs[i:]) * m.apply_rope(k, freqs[j:])).sum()
    assert torch.allclose(dot(3, 1), dot(7, 5)) and not torch.allclose(dot(3, 1), dot(3, 2))


@pytest.mark.parametrize("seed", range(3))
def test_gate_matches_plain_rule(seed):
    torch.manual_seed(seed)
    cfg = m.V3Config(route_scale=2.5)
    gate = m.Gate(cfg)
    with torch.no_grad():
        gate.bias.copy_(torch.randn(cfg.n_routed_experts) * 0.1)
    x = torch.randn(48, cfg.dim, dtype=torch.float64)
    gate = gate.double()
    w, idx = gate(x)
    scores = torch.sigmoid(x @ gate.weight.t())
    per_group = cfg.n_routed_experts // cfg.n_expert_groups
    for row_w, row_i, ref in zip(w, idx, _plain_gate(scores, gate.bias, cfg)):
        got = dict(zip(row_i.tolist(), row_w.tolist()))
        assert len(got) == cfg.n_activated_experts and set(got) == set(ref)
        assert len({e // per_group for e in got}) <= cfg.n_limited_groups
        assert all(math.isclose(got[e], ref[e], rel_tol=1e-9) for e in got)
        assert row_w.min() >= 0 and math.isclose(row_w.sum().item(), cfg.route_scale, rel_tol=1e-9)


def test_bias_changes_selection_not_weights_and_update_rule():
    torch.manual_seed(0)
    cfg = m.V3Config()
    gate = m.Gate(cfg)
    x = torch.randn(32, cfg.dim)
    _, idx0 = gate(x)
    with torch.no_grad():
        gate.bias[5] = 5.0
    w, idx = gate(x)
    assert not torch.equal(idx0, idx) and (idx == 5).any(-1).all()
    s = torch.sigmoid(x @ gate.weight.t()).gather(1, idx)
    assert torch.allclose(w, s / s.sum(-1, keepdim=True) * cfg.route_scale)
    gate.bias.data.zero_()
    load = torch.tensor([9] + [1] * 14 + [5])  # mean 1.5 -> expert 0 and 15 overloaded
    gate.update_bias(load)
    assert torch.isclose(gate.bias[0], torch.tensor(-cfg.bias_gamma))
    assert torch.isclose(gate.bias[15], torch.tensor(-cfg.bias_gamma))
    assert torch.allclose(gate.bias[1:15], torch.full((14,), cfg.bias_gamma))
    assert not gate.bias.requires_grad


def test_moe_matches_dense_reference_and_load():
    torch.manual_seed(0)
    cfg = m.V3Config()
    moe = m.MoE(cfg)
    x = torch.randn(2, 20, cfg.dim)
    y = moe(x)
    ref = m.moe_reference(moe, x.reshape(-1, cfg.dim)).view_as(x)
    assert torch.allclose(y, ref, atol=1e-5)
    assert moe.last_load.sum() == 40 * cfg.n_activated_experts


def test_block_dense_then_moe_and_mtp_loss():
    torch.manual_seed(0)
    cfg = m.V3Config()
    model = m.TinyV3(cfg)
    kinds = [type(b.ffn).__name__ for b in model.layers]
    assert kinds == ["MLP"] * cfg.n_dense_layers + ["MoE"] * (cfg.n_layers - cfg.n_dense_layers)
    assert isinstance(model.mtp.block.ffn, m.MoE)
    tokens = torch.randint(0, cfg.vocab_size, (2, 12))
    main, mtp, total = model.loss(tokens)
    assert torch.isclose(total, main + cfg.mtp_lambda * mtp)
    # MTP position i predicts token i+2 from h_i and Emb(t_i+1): recompute by hand.
    logits, h = model(tokens)
    h_mtp = model.mtp(h[:, :10], model.embed(tokens[:, 1:11]), model.freqs)
    assert torch.isclose(mtp, F.cross_entropy(model.head(h_mtp).reshape(-1, cfg.vocab_size), tokens[:, 2:].reshape(-1)))
    # Absorbed attention gives the same logits through the whole stack.
    assert torch.allclose(model(tokens, absorb=True)[0], logits, atol=1e-4)


def test_mlp_hidden_shape_comment_names_inter_dim():
    import inspect
    import re
    src = inspect.getsource(m.MLP.forward)
    dims = re.search(r"h shape \[([^\]]*)\]", src).group(1).split(", ")
    params = list(inspect.signature(m.MLP.__init__).parameters)
    assert dims[0] == "..." and dims[-1] in params and dims[-1] == "inter_dim"
    seen = {}
    mlp = m.MLP(8, 24)
    mlp.w2.register_forward_hook(lambda mod, args, out: seen.setdefault("h", args[0].shape))
    mlp(torch.randn(2, 5, 8))
    assert seen["h"] == (2, 5, 24)  # the last dim is inter_dim, whatever the leading dims


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for key in ["671.03B", "36.63B", "check: naive vs absorbed MLA", "check: gate picks",
                "check: sparse MoE == dense reference", "check: main and MTP losses fell"]:
        assert key in out, key


@pytest.mark.gpu
@requires_cuda
def test_mla_bf16_cuda_naive_vs_absorbed():
    torch.manual_seed(0)
    cfg = m.V3Config(dim=256, n_heads=16, q_lora_rank=128, kv_lora_rank=64, qk_nope_head_dim=32,
                     qk_rope_head_dim=16, v_head_dim=32, max_seq_len=512)
    mla = m.MLA(cfg).cuda()
    freqs = m.rope_freqs(cfg, 512).cuda()
    x = torch.randn(4, 512, cfg.dim, device="cuda")
    ref = mla(x, freqs)
    mla16, x16 = mla.to(torch.bfloat16), x.to(torch.bfloat16)
    for absorb in (False, True):
        out = mla16(x16, freqs, absorb=absorb).float()
        diff = 1 - 2 * (out * ref).sum() / (out * out + ref * ref).sum()
        print(f"bf16 absorb={absorb}: cal_diff vs fp32 {diff.item():.2e}")
        assert diff < 1e-3
