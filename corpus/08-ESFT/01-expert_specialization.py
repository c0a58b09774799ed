"""
Module: ESFT, expert-specialised fine-tuning of a fine-grained MoE

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
ESFT is a parameter-efficient fine-tuning recipe for DeepSeek's fine-grained MoE models. In
deepseek-ai/ESFT, scripts/expert/get_expert_scores.py runs the base model (ESFT-vanilla-lite) over
task data with expert logging on, recording every token's top-K expert ids and gate weights; scripts/expert/generate_expert_config.py
turns those logs into per-layer relevance scores (get_summary) and a JSON of experts to train; esft.py
(to_esft) freezes everything else and train.py fine-tunes. This teaching version does all four steps
on a 4-layer toy MoE with no attention, one process and a random-init stand-in for the base model.

** Function List **
ESFTConfig(vocab, d_model, n_layers, n_routed, n_shared, top_k, expert_inter, top_p, task_vocab, seq_len, batch_size, lr) - Toy config, real values cited beside each field
Expert(d_model, inter) - One SwiGLU expert
Expert.forward(x) - [tokens, d_model] -> [tokens, d_model]
MoELayer(cfg) - Router + routed experts + shared experts; remembers its last routing
MoELayer.forward(x) - Softmax top-k routing, mixes the experts, logs ids and gate weights
TinyMoELM(cfg) - Embedding, n_layers residual MoE blocks, output head
TinyMoELM.forward(tokens) - [batch, seq] token ids -> [batch * seq, vocab] logits
make_task_batch(cfg, gen) - A narrow synthetic "task": a fixed successor rule over a few tokens
expert_scores(model, tokens) - Raw ESFT-Gate and ESFT-Token relevance, [n_layers, n_routed] each
normalize_scores(raw, mode) - "layer": each layer sums to 1 (what `main` selects with); "repo": divide each
    expert by its sum over layers, as get_summary does
select_experts(scores, top_p) - Per layer, highest score first, until the running sum reaches top_p
to_esft(model, expert_cfg, train_shared, train_non_expert) - Freeze all but the chosen experts
count_params(model) - (trainable, total) parameter counts
main() - Demo: score, select, freeze, train; check frozen weights are bit-identical

** Technical Deep Dive **
The ESFT paper (arXiv:2407.01906) notices that in a fine-grained MoE (DeepSeek-V2-Lite-like:
64 routed experts, top-6, 2 shared, 26 MoE layers) a downstream task lights up a small, task-specific
subset of experts. So instead of training the whole model (full fine-tuning) or bolting on adapters
(LoRA), train just those experts and leave the rest, router included, exactly as they were.

Step 1, relevance. Run the frozen model over task tokens (the current README example uses
n_sample_tokens 131072) and for each layer l and expert e collect two scores. ESFT-Gate: the
average gate weight the expert receives (zero on tokens that did not pick it). ESFT-Token: the share of tokens that pick it, with
each top-K hit counted as 1/K, so one token spreads exactly 1 unit over its K experts.

Step 2, normalise and select. Per layer, sort experts by score and keep adding until the running sum
reaches top_p (README example: --score_function=token --top_p=0.2). Here is a subtlety worth
knowing: the repo's get_summary divides the (layers x experts) array by np.sum(..., axis=0), that is,
each expert is normalised across layers, not each layer across experts. Then a layer's scores do not
sum to 1 (they sum to roughly n_routed / n_layers on average), so top_p is not "a share of this
layer's routing mass" any more. This file implements per-layer normalisation by default, because
then top_p means the same thing in every layer and the selection is the smallest prefix holding at
least top_p of that layer's routing; `normalize_scores` also offers mode "repo" and `main` prints
both selections side by side. Which variant produced the released numbers is unverified.

Step 3, freeze. esft.py turns every unselected parameter into a buffer (to_buffer), so the
optimiser never sees it and a checkpoint only needs the trained experts. Here `to_esft` uses
requires_grad and the optimiser gets only the trainable list: same effect, shorter code. Shared
experts and non-expert modules stay frozen unless their flags are set. Training uses AdamW
(beta 0.9/0.95, weight decay 0.1; configs/base.yaml has LR 1e-5, 500 steps, seq 4096).

What ESFT saves, honestly: trainable and stored parameters (only the chosen experts are saved, e.g.
results/expert_configs/law.json trains 9 of 64 experts in layer 1 and 3 in layer 19) and some
training time. It does not cut the memory to hold the model: the full model is still loaded for
training and inference. Summaries that promise a large "memory reduction" misname the claim:
what shrinks is the set of trained and stored parameters, which `main` counts for the toy.
</karpathys_code_comments>
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ESFTConfig:
    vocab: int = 64  # toy vocabulary, nothing to do with the real tokenizer
    d_model: int = 32  # ESFT-vanilla-lite (V2-Lite-like): 2048
    n_layers: int = 4  # 26 MoE layers (27 total, first is dense): N_LAYERS in generate_expert_config.py
    n_routed: int = 16  # 64 routed experts: N_EXPERTS in generate_expert_config.py
    n_shared: int = 2  # 2 shared experts per the paper
    top_k: int = 2  # top-6: TOP_K in generate_expert_config.py
    expert_inter: int = 16  # V2-Lite's moe_inter_dim is 1408
    top_p: float = 0.2  # README example --top_p=0.2
    task_vocab: int = 8  # the toy task only ever uses tokens 0..7 of the 64
    seq_len: int = 32  # configs/base.yaml: 4096
    batch_size: int = 16
    lr: float = 1e-3  # base.yaml uses 1e-5; bigger so a few toy steps visibly move


class Expert(nn.Module):
    def __init__(self, d_model, inter):
        super().__init__()
        # Karpathy: plain SwiGLU, three bias-free matrices; these are the only weights ESFT trains.
        self.w_gate = nn.Linear(d_model, inter, bias=False)
        self.w_up = nn.Linear(d_model, inter, bias=False)
        self.w_down = nn.Linear(inter, d_model, bias=False)

    def forward(self, x):
        # Karpathy: h shape [tokens, inter].
        h = F.silu(self.w_gate(x)) * self.w_up(x)
        return self.w_down(h)


class MoELayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.norm = nn.RMSNorm(cfg.d_model)
        self.router = nn.Linear(cfg.d_model, cfg.n_routed, bias=False)
        self.experts = nn.ModuleList(Expert(cfg.d_model, cfg.expert_inter) for _ in range(cfg.n_routed))
        # Karpathy: shared experts fused into one wider FFN, like the HF DeepseekV2MoE.
        self.shared = Expert(cfg.d_model, cfg.n_shared * cfg.expert_inter)
        self.last_idx = None
        self.last_w = None

    def forward(self, x):
        cfg = self.cfg
        # Karpathy: x shape [tokens, d_model]. Pre-norm residual block, the expert mix is added back.
        h = self.norm(x)
        # Karpathy: scores shape [tokens, n_routed]. Softmax gate, V2 style (this base model is V2-Lite-like).
        scores = torch.softmax(self.router(h), dim=-1)
        # Karpathy: w shape [tokens, top_k], idx shape [tokens, top_k]. Raw softmax values, no renorm
        # (the HF default norm_topk_prob=False).
        w, idx = scores.topk(cfg.top_k, dim=-1)
        # Karpathy: this is the logging hook: get_expert_scores.py switches on log_expert_weights
        # and writes exactly these two things (ids and weights) per token per layer.
        self.last_idx, self.last_w = idx.detach(), w.detach()
        # Karpathy: out shape [tokens, d_model]. Shared path sees every token.
        out = self.shared(h)
        # Karpathy: loop over experts that got tokens. An expert nobody picked is never called, so
        # it gets no gradient at all; the scores tell us in advance which ones those are.
        for e in idx.unique().tolist():
            tok, slot = (idx == e).nonzero(as_tuple=True)
            out = out.index_add(0, tok, self.experts[e](h[tok]) * w[tok, slot].unsqueeze(-1))
        return x + out


class TinyMoELM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        # Karpathy: embed, router, norms and head are the "non-expert modules": frozen by default.
        self.embed = nn.Embedding(cfg.vocab, cfg.d_model)
        self.layers = nn.ModuleList(MoELayer(cfg) for _ in range(cfg.n_layers))
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)

    def forward(self, tokens):
        # Karpathy: x shape [n, d_model], n = batch * seq. No attention here: every token routes on
        # its own anyway, and attention would be a frozen "non-expert module" in ESFT.
        x = self.embed(tokens).view(-1, self.cfg.d_model)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)


def make_task_batch(cfg, gen):
    # Karpathy: the "task": tokens from a small sub-vocabulary, each followed by a fixed successor.
    # Narrow data is the whole point: it should route to a narrow set of experts.
    succ = torch.tensor([(3 * i + 1) % cfg.task_vocab for i in range(cfg.task_vocab)])
    # Karpathy: seq shape [batch_size, seq_len].
    seq = torch.empty(cfg.batch_size, cfg.seq_len, dtype=torch.long)
    seq[:, 0] = torch.randint(0, cfg.task_vocab, (cfg.batch_size,), generator=gen)
    for t in range(1, cfg.seq_len):
        seq[:, t] = succ[seq[:, t - 1]]
    return seq


@torch.no_grad()
def expert_scores(model, tokens):
    cfg = model.cfg
    model(tokens)
    # Karpathy: gate_raw shape [n_layers, n_routed]. One row of relevance per MoE layer.
    gate_raw = torch.zeros(cfg.n_layers, cfg.n_routed, device=tokens.device)
    token_raw = torch.zeros_like(gate_raw)  # Karpathy: token_raw shape [n_layers, n_routed].
    for l, layer in enumerate(model.layers):
        idx, w = layer.last_idx.flatten(), layer.last_w.flatten()
        # Karpathy: ESFT-Gate sums the gate weight each expert got; ESFT-Token adds 1/K per hit.
        gate_raw[l].index_add_(0, idx, w)
        token_raw[l].index_add_(0, idx, torch.full_like(w, 1.0 / cfg.top_k))
    # Karpathy: average over tokens. The repo sums raw logs and lets normalisation absorb the count.
    n_tokens = tokens.numel()
    return gate_raw / n_tokens, token_raw / n_tokens


def normalize_scores(raw, mode):
    if mode == "layer":
        # Karpathy: out shape [n_layers, n_routed]. Each row (layer) is a distribution over experts.
        out = raw / raw.sum(dim=1, keepdim=True)
    elif mode == "repo":
        # Karpathy: the repo's get_summary: np.sum(axis=0), each COLUMN (expert) sums to 1 over layers.
        # An expert unused in every layer would be 0/0 there; we map that to 0.
        col = raw.sum(dim=0, keepdim=True)
        out = torch.where(col > 0, raw / col.clamp_min(1e-30), torch.zeros_like(raw))
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return out


def select_experts(scores, top_p):
    chosen = {}
    for l in range(scores.shape[0]):
        # Karpathy: layers are independent: each layer gets its own expert list.
        order = sorted(range(scores.shape[1]), key=lambda e: -float(scores[l, e]))
        picked, running = [], 0.0
        # Karpathy: same loop as generate_expert_config.py: check first, then add. So we stop at
        # the first prefix whose sum reaches top_p, the smallest such prefix of the sorted list.
        for e in order:
            if running >= top_p:
                break
            picked.append(e)
            running += float(scores[l, e])
        chosen[l] = sorted(picked)
    return chosen


def to_esft(model, expert_cfg, train_shared=False, train_non_expert=False):
    # Karpathy: start from "everything frozen", then thaw exactly what the config names.
    for p in model.parameters():
        p.requires_grad_(train_non_expert)
    for l, layer in enumerate(model.layers):
        layer.shared.requires_grad_(train_shared)
        for e, expert in enumerate(layer.experts):
            expert.requires_grad_(e in expert_cfg[l])
    return [p for p in model.parameters() if p.requires_grad]


def count_params(model):
    # Karpathy: numel over requires_grad params. In the repo the frozen ones are buffers, so there
    # the same trainable number is simply sum of p.numel() over model.parameters().
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def main():
    torch.manual_seed(0)
    # Karpathy: tiny tensors: one thread avoids thread hand-offs that cost more than these ops.
    torch.set_num_threads(1)
    cfg = ESFTConfig()
    gen = torch.Generator().manual_seed(0)
    model = TinyMoELM(cfg)
    # Karpathy: tokens shape [batch_size, seq_len]. Task data doubles as the scoring sample here.
    tokens = make_task_batch(cfg, gen)

    # Karpathy: step 1, relevance from task data.
    gate_raw, token_raw = expert_scores(model, tokens)
    assert torch.allclose(token_raw.sum(1), torch.ones(cfg.n_layers))
    print("check: ESFT-Token raw scores already sum to 1 per layer (K hits x 1/K per token) OK")
    # Karpathy: contrast: the same model on uniformly random tokens touches every expert.
    general = torch.randint(0, cfg.vocab, (cfg.batch_size, cfg.seq_len), generator=gen)
    _, general_raw = expert_scores(model, general)
    used_task = (token_raw > 0).sum(1).tolist()
    used_general = (general_raw > 0).sum(1).tolist()
    print(f"experts hit per layer: task data {used_task}, full-vocab data {used_general} (of {cfg.n_routed})")

    # Karpathy: step 2, normalise two ways and select with top_p.
    for name, raw in [("gate", gate_raw), ("token", token_raw)]:
        for mode in ["layer", "repo"]:
            s = normalize_scores(raw, mode)
            sel = select_experts(s, cfg.top_p)
            sums = [round(float(v), 2) for v in s.sum(1)]
            print(f"ESFT-{name} {mode}-normalised: layer sums {sums}, experts per layer "
                  f"{[len(sel[l]) for l in range(cfg.n_layers)]}")
    scores = normalize_scores(token_raw, "layer")
    expert_cfg = select_experts(scores, cfg.top_p)
    for l, picked in expert_cfg.items():
        ranked = sorted(scores[l].tolist(), reverse=True)
        # Karpathy: smallest prefix: reaches top_p, and one expert fewer would not.
        assert sum(ranked[:len(picked)]) >= cfg.top_p > sum(ranked[:len(picked) - 1])
    print(f"check: per-layer selection is the smallest prefix with cumulative score >= top_p={cfg.top_p} OK")
    print(f"expert config (token score, layer-normalised): {expert_cfg}")

    # Karpathy: step 3, freeze. Count what is left to train.
    params = to_esft(model, expert_cfg)
    trainable, total = count_params(model)
    per_expert = 3 * cfg.d_model * cfg.expert_inter
    n_chosen = sum(len(v) for v in expert_cfg.values())
    assert trainable == n_chosen * per_expert
    print(f"trainable params: {trainable} of {total} ({100 * trainable / total:.2f}%) = {n_chosen} experts x {per_expert}")
    print("check: trainable count == chosen experts x params per expert OK")

    # Karpathy: step 4, one AdamW step, then prove nothing else moved, bit for bit.
    # Karpathy: snapshot every tensor (params AND buffers) so "unchanged" means bitwise equal.
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), weight_decay=0.1)
    # Karpathy: logits shape [n, vocab]. Next-token targets: shift left by one.
    logits = model(tokens[:, :-1])
    loss = F.cross_entropy(logits, tokens[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    expected = {f"layers.{l}.experts.{e}.{w}.weight" for l, es in expert_cfg.items() for e in es
                for w in ("w_gate", "w_up", "w_down")}
    assert changed == expected
    print(f"check: one optimiser step changed exactly the {len(changed)} chosen-expert tensors; "
          f"the other {len(before) - len(changed)} are bit-identical OK")
    print(f"step 0 loss {loss.item():.4f}")
    for step in range(1, 6):
        opt.zero_grad()
        loss = F.cross_entropy(model(tokens[:, :-1]), tokens[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        print(f"step {step} loss {loss.item():.4f}")
    frozen_same = all(torch.equal(v, before[k]) for k, v in model.state_dict().items() if k not in expected)
    assert frozen_same
    print("check: after 6 steps every frozen tensor (router, shared, embed, head, other experts) is unchanged OK")


if __name__ == "__main__":
    main()
# Karpathy: Score experts on task tokens, train the smallest top_p set per layer, freeze the rest bit-for-bit.
