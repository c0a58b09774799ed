"""Tests for corpus/03-DeepSeek-MoE/01-moe_router.py (DeepSeekMoE and V3 routing)."""
import pytest
import torch

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "03-DeepSeek-MoE/01-moe_router.py"
m = load_corpus(REL)


@pytest.fixture()
def setup():
    torch.manual_seed(0)
    cfg = m.MoEConfig()
    moe = m.DeepSeekMoE(cfg)
    x = torch.randn(cfg.n_tokens, cfg.d_model)
    return cfg, moe, x


def _distinct_k(idx, k):
    return all(len(set(row.tolist())) == k for row in idx) and idx.shape[1] == k


def test_softmax_gate_k_distinct_and_sums(setup):
    cfg, moe, x = setup
    logits = x @ moe.gate.detach().t()
    w, idx, scores = m.softmax_topk_gate(logits, cfg.top_k, False)
    assert _distinct_k(idx, cfg.top_k)
    # raw softmax values: exactly the scores at idx, and strictly below 1 with k < n_routed
    assert torch.equal(w, scores.gather(1, idx))
    assert bool((w.sum(-1) < 1).all())
    w_n, idx_n, _ = m.softmax_topk_gate(logits, cfg.top_k, True)
    assert torch.equal(idx_n, idx)
    assert torch.allclose(w_n.sum(-1), torch.ones(cfg.n_tokens))


def test_v3_gate_groups_weights_and_route_scale(setup):
    cfg, moe, x = setup
    logits = x @ moe.gate.detach().t()
    bias = 0.1 * torch.randn(cfg.n_routed)
    w, idx = m.v3_sigmoid_gate(logits, bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 2.5)
    assert _distinct_k(idx, cfg.top_k)
    assert torch.allclose(w.sum(-1), torch.full((cfg.n_tokens,), 2.5))
    s = torch.sigmoid(logits).gather(1, idx)
    assert torch.allclose(w, 2.5 * s / s.sum(-1, keepdim=True))
    per_group = cfg.n_routed // cfg.n_groups
    for row in idx:
        assert len(set((row // per_group).tolist())) <= cfg.topk_groups


def test_v3_gate_matches_plain_reference(setup):
    """Per-token reference written with Python lists: group = sum of top-2 biased scores."""
    cfg, moe, x = setup
    logits = x @ moe.gate.detach().t()
    bias = 0.2 * torch.randn(cfg.n_routed)
    _, idx = m.v3_sigmoid_gate(logits, bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 1.0)
    per_group = cfg.n_routed // cfg.n_groups
    for t in range(cfg.n_tokens):
        b = (torch.sigmoid(logits[t]) + bias).tolist()
        gscore = [sum(sorted(b[g * per_group:(g + 1) * per_group])[-2:]) for g in range(cfg.n_groups)]
        groups = sorted(range(cfg.n_groups), key=lambda g: -gscore[g])[: cfg.topk_groups]
        cand = [e for e in range(cfg.n_routed) if e // per_group in groups]
        want = set(sorted(cand, key=lambda e: -b[e])[: cfg.top_k])
        assert set(idx[t].tolist()) == want


def test_bias_only_changes_selection(setup):
    cfg, moe, x = setup
    logits = x @ moe.gate.detach().t()
    bias = torch.zeros(cfg.n_routed)
    bias[5] = 10.0
    w, idx = m.v3_sigmoid_gate(logits, bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 1.0)
    assert bool((idx == 5).any(-1).all())
    s = torch.sigmoid(logits).gather(1, idx)
    assert torch.allclose(w, s / s.sum(-1, keepdim=True))


@pytest.mark.parametrize("use_bias", [False, True])
def test_dispatch_combine_equals_dense_loop(setup, use_bias):
    cfg, moe, x = setup
    bias = torch.zeros(cfg.n_routed) if use_bias else None
    with torch.no_grad():
        y, w, idx, aux = moe(x, bias)
        ref = moe.shared(x) + m.dense_loop_moe(x, w, idx, moe.experts)
    assert torch.allclose(y, ref, atol=1e-5)
    assert (aux is None) == use_bias


def test_dispatch_handles_unused_experts():
    torch.manual_seed(1)
    experts = [m.Expert(8, 4) for _ in range(6)]
    x = torch.randn(5, 8)
    idx = torch.tensor([[0, 2]] * 5)  # experts 1, 3, 4, 5 get nothing
    w = torch.rand(5, 2)
    with torch.no_grad():
        assert torch.allclose(m.dispatch_combine(x, w, idx, experts), m.dense_loop_moe(x, w, idx, experts), atol=1e-6)


def test_split_expert_sums_to_original():
    torch.manual_seed(2)
    big = m.Expert(16, 24)
    x = torch.randn(7, 16)
    pieces = m.split_expert(big, 3)
    assert all(p.w_up.out_features == 8 for p in pieces)
    assert sum(sum(t.numel() for t in p.parameters()) for p in pieces) == sum(t.numel() for t in big.parameters())
    with torch.no_grad():
        assert torch.allclose(big(x), sum(p(x) for p in pieces), atol=1e-5)


def test_balance_loss_uniform_is_alpha_and_skew_is_larger():
    n, k, t, alpha = 8, 2, 64, 0.01
    even_idx = torch.arange(t * k).remainder(n).view(t, k)
    any_scores = torch.softmax(torch.randn(t, n), dim=-1)
    assert abs(float(m.expert_balance_loss(any_scores, even_idx, n, k, alpha)) - alpha) < 1e-7
    skew = torch.softmax(torch.randn(t, n) + torch.linspace(4, 0, n), dim=-1)
    loss = m.expert_balance_loss(skew, skew.topk(k, -1).indices, n, k, alpha)
    assert float(loss) > 1.2 * alpha


def test_update_bias_direction():
    load = torch.tensor([10, 2, 4, 4])  # mean 5
    new = m.update_bias(torch.zeros(4), load, 0.001)
    assert torch.allclose(new, torch.tensor([-0.001, 0.001, 0.001, 0.001]))
    assert int(m.expert_load(torch.tensor([[0, 1], [0, 3]]), 4).sum()) == 4


def test_bias_balancing_converges():
    torch.manual_seed(0)
    cfg = m.MoEConfig()
    gate = torch.randn(cfg.n_routed, cfg.d_model) / cfg.d_model ** 0.5
    mu = 0.5 * torch.randn(cfg.d_model)
    bias = torch.zeros(cfg.n_routed)
    ratios = []
    for _ in range(40):
        xb = torch.randn(2048, cfg.d_model) + mu
        _, idx = m.v3_sigmoid_gate(xb @ gate.t(), bias, cfg.top_k, cfg.n_groups, cfg.topk_groups, 1.0)
        load = m.expert_load(idx, cfg.n_routed)
        ratios.append(load.max().item() / load.float().mean().item())
        bias = m.update_bias(bias, load, cfg.gamma)
    assert ratios[0] > 1.5
    assert max(ratios[-5:]) < 1.25


@pytest.mark.parametrize("m_devices", [1, 2, 3])
def test_v2_gate_is_device_limited(m_devices):
    # DeepSeek-V2 (arXiv:2405.04434 2.2.2): each token's experts sit on at most M devices.
    torch.manual_seed(m_devices)
    logits = torch.randn(256, 64)
    w, idx, scores = m.v2_device_limited_gate(logits, 6, 8, m_devices, False)
    per_group = 64 // 8
    assert all(len(set((row // per_group).tolist())) <= m_devices for row in idx)
    assert all(len(set(row.tolist())) == 6 for row in idx)
    assert torch.equal(w, scores.gather(1, idx))  # raw softmax weights, not renormalised
    # the kept devices are the ones holding the token's best experts (group score = max)
    best_group = scores.argmax(-1) // per_group
    assert all(int(g) in set((row // per_group).tolist()) for g, row in zip(best_group, idx))
    plain, _ = torch.topk(torch.softmax(logits, -1), 6, dim=-1)
    assert (w.sum(-1) <= plain.sum(-1) + 1e-6).all()  # a limit can only lower the kept mass
    if m_devices < 3:  # plain top-6 of 64 spreads wider, so the limit must bite somewhere
        assert not torch.equal(idx.sort(-1).values, torch.topk(logits, 6, dim=-1).indices.sort(-1).values)


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for key in ["sparse dispatch/combine == dense per-token loop", "softmax gates sum <= 1",
                "weights sum to route_scale", "bias update drove max/mean load",
                "check: V2 gate keeps every token on <= M devices and equals plain top-k when M = all OK"]:
        assert key in out
    assert out.count("OK") >= 7
    steps = [line for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(steps) == 30


@pytest.mark.gpu
@requires_cuda
def test_routing_on_cuda_matches_cpu():
    torch.manual_seed(0)
    cfg = m.MoEConfig()
    moe = m.DeepSeekMoE(cfg)
    x = torch.randn(4096, cfg.d_model)
    bias = 0.05 * torch.randn(cfg.n_routed)
    with torch.no_grad():
        y_cpu, w_cpu, idx_cpu, _ = moe(x, bias)
        moe_gpu = moe.cuda()
        y_gpu, w_gpu, idx_gpu, _ = moe_gpu(x.cuda(), bias.cuda())
        ref = moe_gpu.shared(x.cuda()[:256]) + m.dense_loop_moe(x.cuda()[:256], w_gpu[:256], idx_gpu[:256], moe_gpu.experts)
    # the same experts (order-insensitive) for nearly every token; near-ties may flip in TF32/float32
    same = (idx_cpu.sort(-1).values == idx_gpu.cpu().sort(-1).values).all(-1).float().mean()
    assert same > 0.99
    assert torch.allclose(y_gpu[:256], ref, atol=1e-3)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    with torch.no_grad():
        moe_gpu(x.cuda(), bias.cuda())
    end.record()
    torch.cuda.synchronize()
    print(f"cuda MoE forward, 4096 tokens: {start.elapsed_time(end):.2f} ms")
