"""Tests for corpus/08-ESFT/01-expert_specialization.py (expert-specialised fine-tuning)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "08-ESFT/01-expert_specialization.py"
m = load_corpus(REL)


@pytest.fixture()
def setup():
    torch.manual_seed(0)
    cfg = m.ESFTConfig()
    model = m.TinyMoELM(cfg)
    tokens = m.make_task_batch(cfg, torch.Generator().manual_seed(0))
    return cfg, model, tokens


def test_task_batch_follows_rule(setup):
    cfg, _, tokens = setup
    assert tokens.shape == (cfg.batch_size, cfg.seq_len)
    assert int(tokens.max()) < cfg.task_vocab
    succ = [(3 * i + 1) % cfg.task_vocab for i in range(cfg.task_vocab)]
    assert all(succ[int(a)] == int(b) for a, b in zip(tokens[:, :-1].flatten(), tokens[:, 1:].flatten()))


def test_expert_scores_match_per_token_reference(setup):
    cfg, model, tokens = setup
    gate, tok = m.expert_scores(model, tokens)
    assert gate.shape == tok.shape == (cfg.n_layers, cfg.n_routed)
    # independent recomputation: walk the layers by hand, one token at a time
    with torch.no_grad():
        x = model.embed(tokens).view(-1, cfg.d_model)
        for l, layer in enumerate(model.layers):
            probs = torch.softmax(layer.router(layer.norm(x)), dim=-1)
            g_ref = torch.zeros(cfg.n_routed)
            t_ref = torch.zeros(cfg.n_routed)
            for row in probs:
                w, idx = row.topk(cfg.top_k)
                for wi, ei in zip(w.tolist(), idx.tolist()):
                    g_ref[ei] += wi
                    t_ref[ei] += 1.0 / cfg.top_k
            n = x.shape[0]
            assert torch.allclose(gate[l], g_ref / n, atol=1e-6)
            assert torch.allclose(tok[l], t_ref / n, atol=1e-6)
            x = layer(x)
    assert torch.allclose(tok.sum(1), torch.ones(cfg.n_layers))
    assert bool((gate.sum(1) < 1).all())  # raw softmax top-k weights, not renormalised


def test_normalize_layer_vs_repo_axis0():
    raw = torch.rand(5, 12)
    raw[:, 3] = 0.0  # an expert nobody used
    by_layer = m.normalize_scores(raw, "layer")
    assert torch.allclose(by_layer.sum(1), torch.ones(5))
    repo = m.normalize_scores(raw, "repo")
    with np.errstate(invalid="ignore"):
        ref = raw.numpy() / np.sum(raw.numpy(), axis=0)  # what get_summary computes
    ref = np.nan_to_num(ref, nan=0.0)
    assert np.allclose(repo.numpy(), ref)
    used = raw.sum(0) > 0
    assert torch.allclose(repo.sum(0)[used], torch.ones(int(used.sum())))
    assert not torch.allclose(repo.sum(1), torch.ones(5))


def _repo_select(row, top_p):
    pairs = sorted(enumerate(row), key=lambda p: p[1], reverse=True)
    out, cur = [], 0.0
    for e, s in pairs:
        if cur >= top_p:
            break
        out.append(e)
        cur += s
    return sorted(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=20), st.floats(0.01, 0.99))
def test_select_is_smallest_prefix(values, top_p):
    scores = torch.tensor([values], dtype=torch.float64)
    picked = m.select_experts(scores, top_p)[0]
    ranked = sorted(values, reverse=True)
    k = len(picked)
    assert sorted(picked) == picked and len(set(picked)) == k
    assert sum(values[e] for e in picked) == pytest.approx(sum(ranked[:k]))
    if sum(ranked[:k]) >= top_p:
        assert k == 0 or sum(ranked[: k - 1]) < top_p
    else:
        assert k == len(values)  # never reached top_p: the repo loop takes everything
    distinct = len(set(values)) == len(values)
    if distinct:
        assert picked == _repo_select(values, top_p)


def test_to_esft_counts_and_flags(setup):
    cfg, model, _ = setup
    expert_cfg = {0: [1, 2], 1: [], 2: [5], 3: [0, 7, 9]}
    per_expert = 3 * cfg.d_model * cfg.expert_inter
    params = m.to_esft(model, expert_cfg)
    trainable, total = m.count_params(model)
    assert trainable == 6 * per_expert == sum(p.numel() for p in params)
    assert total == sum(p.numel() for p in model.parameters())
    m.to_esft(model, expert_cfg, train_shared=True)
    assert m.count_params(model)[0] == 6 * per_expert + cfg.n_layers * cfg.n_shared * per_expert
    m.to_esft(model, expert_cfg, train_shared=True, train_non_expert=True)
    non_expert = total - cfg.n_layers * (cfg.n_routed + cfg.n_shared) * per_expert
    assert m.count_params(model)[0] == 6 * per_expert + cfg.n_layers * cfg.n_shared * per_expert + non_expert


def test_one_step_changes_only_chosen_experts(setup):
    cfg, model, tokens = setup
    _, tok = m.expert_scores(model, tokens)
    expert_cfg = m.select_experts(m.normalize_scores(tok, "layer"), cfg.top_p)
    params = m.to_esft(model, expert_cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), weight_decay=0.1)
    loss = torch.nn.functional.cross_entropy(model(tokens[:, :-1]), tokens[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    for k, v in model.state_dict().items():
        parts = k.split(".")
        chosen = len(parts) > 3 and parts[2] == "experts" and int(parts[3]) in expert_cfg[int(parts[1])]
        assert torch.equal(v, before[k]) != chosen, k


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for key in ["smallest prefix with cumulative score >= top_p", "trainable params:",
                "bit-identical OK", "repo-normalised", "layer-normalised"]:
        assert key in out
    losses = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("step ")]
    assert len(losses) == 6 and losses[-1] < losses[0]


@pytest.mark.gpu
@requires_cuda
def test_esft_step_on_cuda(setup):
    cfg, model, tokens = setup
    model = model.cuda()
    tokens = tokens.cuda()
    _, tok = m.expert_scores(model, tokens)
    expert_cfg = m.select_experts(m.normalize_scores(tok.cpu(), "layer"), cfg.top_p)
    params = m.to_esft(model, expert_cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), weight_decay=0.1)
    torch.nn.functional.cross_entropy(model(tokens[:, :-1]), tokens[:, 1:].reshape(-1)).backward()
    opt.step()
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {f"layers.{l}.experts.{e}.{w}.weight" for l, es in expert_cfg.items() for e in es
                       for w in ("w_gate", "w_up", "w_down")}
