"""
Module: DualPipe bidirectional pipeline schedule vs 1F1B and ZB1P

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
The real schedule lives in deepseek-ai/DualPipe dualpipe/dualpipe.py: DualPipe.step runs eight
phases of forward, backward and weight-grad chunks on each pipeline rank, WeightGradStore in
dualpipe/utils.py queues the deferred weight-grad work, and dualpipe/comm.py moves activations and
gradients between neighbour ranks with P2P isend/irecv. DeepSeek-V3 trained with 16-way DualPipe
pipeline parallelism (paper-sourced, arXiv:2412.19437 §3.2). The training loop hands step() the
micro-batches; it hands back the loss on the end ranks and gradients in the two stage modules of
every rank. This teaching version replaces GPUs and communication by a discrete-event simulator
with unit costs, and runs a tiny torch model in the simulated order to show the gradients are exact.
It leaves out real P2P comm, the DualPipeV "cut-in-half" variant and any real compute/comm overlap.

** Function List **
PipeConfig(pp, n_micro, f, b, w, overlap, d_model, micro_batch) - schedule size, unit costs, toy model size
program_1f1b(rank, cfg) - one rank's op list for 1F1B: warm-up forwards, one-forward-one-backward, cool-down
program_zb1p(rank, cfg) - the same with backward split into input-grad I and deferred weight-grad W
program_dualpipe(rank, cfg) - one rank's op list for DualPipe, phase by phase as in DualPipe.step
bind_ops(prog, rank, cfg) - give each abstract op its micro-batch and stage, FIFO like the real counters
simulate(programs, cfg) - run every rank's list in order, each op waiting for its dependencies
verify(events, cfg, n_dirs) - independent check: exactly one F, input-grad and weight-grad per
    (direction, micro-batch, stage), right rank, dependency order, no overlap on a rank
stats(events, cfg) - makespan, idle time per rank, stages (parameter copies) per rank, peak activations
formulas(cfg) - the bubble formulas from the DualPipe README for 1F1B, ZB1P and DualPipe
draw(events, cfg) - ASCII timeline, one row per rank, time left to right; F&B pairs marked X= / x=
run_torch(events, cfg, n_dirs, seed=0, device="cpu") - execute the schedule on a toy tanh-MLP pipeline,
    with input-grad and weight-grad as separate steps; return loss and summed grads
reference_grads(cfg, seed=0, device="cpu") - ordinary autograd on the same model and data
main() - simulate, print table and timelines, check gradients against autograd

** Technical Deep Dive **
A pipeline cuts the model into PP stages, one per GPU, and streams micro-batches through them. The
classic 1F1B schedule (pipeline parallelism, unrelated to DeepEP's all-to-all; the baseline here) lets
rank r run PP-1-r forwards, then alternate one forward with one backward, then drain. Every rank
idles (PP-1)(F+B) per step: waiting at the start for the first activation, at the end for the last
gradient. Zero-bubble scheduling (ZB1P in the README) splits the backward into the input-gradient
part, which the previous stage is waiting for, and the weight-gradient part W, which nobody waits
for; here rank r defers up to r W chunks to fill its holes, which gives (PP-1)(F+B-2W).

DualPipe (DeepSeek-V3 report §3.2.1) feeds micro-batches in from both ends. Rank i holds stage i of
a "down" copy of the model and stage PP-1-i of an "up" copy, so parameters cost 2x, and the
micro-batches are split in half, one half per direction. In the steady phase every rank runs a
forward of one direction paired with a backward of the other (the F&B cell). The pairing is the
point: in V3 a forward chunk is attention, all-to-all dispatch, MLP, all-to-all combine, and the
backward chunk has the same pieces, so the all-to-all of one can hide behind the math of the other;
the SM share given to communication was tuned by hand. Backward is again split into input-grad and
weight-grad (WeightGradStore), used in the warm-up and drain phases. The README gives bubble
(PP/2-1)(F&B+B-3W), parameters 2x, activations PP+1, versus 1F1B's (PP-1)(F+B), 1x, PP.
DualPipeV (dualpipe/dualpipev.py) folds the same schedule onto PP/2 devices with the same bubble.

A common summary, "overlapped compute/communication via CUDA streams", is at best a
paraphrase. The repository's contribution is the schedule, the order and pairing of F, B and W. It
does not implement the stream-level MoE overlap: the user supplies overlapped_forward_backward on
the stage module, and without it a pair simply runs its forward then its backward. The code asserts
an even number of ranks and an even number of micro-batches at least twice the ranks.

Under the unit cost model here (F=1, B=2, W=1, F&B = F+B-overlap) the simulator reproduces 1F1B
and ZB1P exactly on every rank, and DualPipe's worst rank exactly for overlap 0 and 1; inner
ranks can do better than the formula, so the check asserts idle <= formula.
With other costs DualPipe can land strictly under its formula (F=1, B=3, W=1: 11 vs 12 at PP=8),
and this file's simple ZB1P order only meets its formula while W <= F (F=1, B=4, W=2: 14 vs 7).
The simulator assumes free, instant communication and that sends never block, which real NCCL P2P
does not promise, so this is the schedule's ideal, not a measurement.
</karpathys_code_comments>
"""
from dataclasses import dataclass

import torch


@dataclass
class PipeConfig:
    pp: int = 8            # pipeline ranks; the README figure uses 8, V3 trained with 16 (paper §3.2)
    n_micro: int = 20      # micro-batches per step, both directions together (README figure: 20)
    f: int = 1             # time units for one forward chunk
    b: int = 2             # one full backward chunk: input-grad plus weight-grad (rule of thumb: 2F)
    w: int = 1             # the weight-grad part alone, so the input-grad part costs b - w
    overlap: int = 0       # time a F&B pair saves by hiding one chunk's comm behind the other's math
    d_model: int = 8       # width of the toy torch stages
    micro_batch: int = 3   # rows per micro-batch in the toy torch run


def program_1f1b(rank, cfg):
    # Karpathy: warm-up depth: rank 0 must push PP-1 forwards in before the first gradient returns.
    warm = min(cfg.pp - rank - 1, cfg.n_micro)
    steady = [("F", 0), ("B", 0)] * (cfg.n_micro - warm)
    return [("F", 0)] * warm + steady + [("B", 0)] * warm


def program_zb1p(rank, cfg):
    # Karpathy: same skeleton, but "I" is the input-grad half and W waits. Rank r keeps up to r W's
    # pending; the last ranks finish their I earliest and fill the drain with those W's.
    # This hand-made order meets the README's ZB1P formula while W <= F (true for unit costs).
    warm, held, prog = min(cfg.pp - rank - 1, cfg.n_micro), 0, []
    prog += [("F", 0)] * warm
    for i in range(cfg.n_micro):
        prog += ([("F", 0)] if i < cfg.n_micro - warm else []) + [("I", 0)]
        held += 1
        if held > rank:
            prog, held = prog + [("W", None)], held - 1
    return prog + [("W", None)] * held


def program_dualpipe(rank, cfg):
    pp, half = cfg.pp, cfg.n_micro // 2
    # Karpathy: the two asserts of the real DualPipe.step.
    assert pp % 2 == 0, "DualPipe needs an even number of ranks"
    assert cfg.n_micro % 2 == 0 and cfg.n_micro >= 2 * pp, "micro-batches: even and >= 2 x ranks"
    hp, h = pp // 2, min(rank, pp - 1 - rank)
    # Karpathy: "near" is the direction whose micro-batches enter on my half of the pipe, "far" the
    # other one. Rank r and rank PP-1-r run mirror-image programs.
    near = 0 if rank < hp else 1
    far = 1 - near
    F0, F1, B0, B1 = ("F", near), ("F", far), ("B", near), ("B", far)
    prog = [F0] * (2 * (hp - h - 1))                        # 1 nF0: fill from my end
    prog += [F0, F1] * (h + 1)                               # 2 nF0F1: far direction arrives
    prog += [("I", far), ("W", None), F1] * (hp - h - 1)     # 3 nB1W1F1: zero-bubble style
    for i in range(half - pp + h + 1):                       # 4 main loop nF0B1F1B0
        # Karpathy: a tuple of two ops is one F&B cell. The two middle ranks run their very first
        # pair unpaired, which the real code notes shrinks the bubble.
        prog += [F0, B1] if (i == 0 and h == hp - 1) else [(F0, B1)]
        prog.append((F1, B0))
    prog += [B1, (F1, B0)] * (hp - h - 1)                    # 5 nB1F1B0
    cut = (h + 1) // 2
    for i in range(h + 1):                                   # 6 nB1B0
        # Karpathy: the later half of these backwards switch to input-grad-only (I).
        prog.append(("I", far) if i > cut or (i == cut and h % 2) else B1)
        prog.append(("I", near) if i >= cut else B0)
    prog += [("W", None), ("I", near)] * (hp - h - 1)        # 7 nWB0
    return prog + [("W", None)] * (h + 1)                    # 8 nW: flush the queue


def bind_ops(prog, rank, cfg):
    # Karpathy: programs say only "F of the near direction"; this turns them into (kind, d, m, s).
    count, w_queue, out = {}, [], []

    def bind(kind, d):
        # Karpathy: like the real per-phase chunk counters: the k-th F (or B) of a direction is
        # micro-batch k; W pops the oldest deferred input-grad, like WeightGradStore's FIFO.
        if kind == "W":
            d, m = w_queue.pop(0)
        else:
            m = count.get((kind == "F", d), 0)
            count[(kind == "F", d)] = m + 1
            if kind == "I":
                w_queue.append((d, m))
        return (kind, d, m, rank if d == 0 else cfg.pp - 1 - rank)

    for item in prog:
        out.append(tuple(bind(*op) for op in item) if isinstance(item[0], tuple) else (bind(*item),))
    return out


def _needs(op, pp):
    kind, d, m, s = op
    # Karpathy: "F"/"G" keys are "activation ready"/"input-grad ready". Stage s of either direction
    # needs stage s-1's forward; its backward needs its own forward and stage s+1's input-grad.
    if kind == "F":
        return [("F", d, m, s - 1)] if s > 0 else []
    if kind == "W":
        return [("G", d, m, s)]
    return [("F", d, m, s)] + ([("G", d, m, s + 1)] if s < pp - 1 else [])


def simulate(programs, cfg):
    # Karpathy: a pair can't beat its longer half, and I = B - W must take real time.
    assert 0 <= cfg.overlap <= min(cfg.f, cfg.b) and cfg.f > 0 and 0 < cfg.w < cfg.b
    cost = {"F": cfg.f, "B": cfg.b, "I": cfg.b - cfg.w, "W": cfg.w}
    ready, pc, clock, events = {}, [0] * cfg.pp, [0] * cfg.pp, []
    while any(pc[r] < len(programs[r]) for r in range(cfg.pp)):
        moved = False
        for r in range(cfg.pp):
            while pc[r] < len(programs[r]):
                ops = programs[r][pc[r]]
                deps = [k for op in ops for k in _needs(op, cfg.pp)]
                if any(k not in ready for k in deps):
                    break  # Karpathy: in-order: a rank never skips ahead in its own list.
                start = max([clock[r]] + [ready[k] for k in deps])
                # Karpathy: a pair costs F&B = F + B - overlap, a single op its own cost.
                end = start + (cfg.f + cfg.b - cfg.overlap if len(ops) == 2 else cost[ops[0][0]])
                for kind, d, m, s in ops:
                    if kind != "W":  # Karpathy: W produces nothing anyone waits for.
                        ready[("F" if kind == "F" else "G", d, m, s)] = end
                events.append((r, start, end, ops))
                clock[r], pc[r], moved = end, pc[r] + 1, True
        assert moved, "deadlock: every rank waits on an op that never comes"
    return events


def verify(events, cfg, n_dirs):
    per_dir = cfg.n_micro // n_dirs
    seen = {}  # Karpathy: (role, d, m, s) -> op's span; roles F, G (input-grad), W (weight-grad).
    for r, start, end, ops in events:
        for kind, d, m, s in ops:
            assert r == (s if d == 0 else cfg.pp - 1 - s), f"op on wrong rank {r}: {(kind, d, m, s)}"
            span = (start, end, kind, d, m, s)  # Karpathy: one object per op; a full B fills G and W.
            for role in {"F": "F", "B": "GW", "I": "G", "W": "W"}[kind]:
                assert (role, d, m, s) not in seen, f"duplicate {role} for {(d, m, s)}"
                seen[(role, d, m, s)] = span
    want = {(role, d, m, s) for role in "FGW" for d in range(n_dirs)
            for m in range(per_dir) for s in range(cfg.pp)}
    assert set(seen) == want, f"missing ops: {sorted(want - set(seen))[:3]}"
    for role, d, m, s in want:
        # Karpathy: every edge of the dependency graph, checked on the recorded times.
        before = {"F": [("F", s - 1)] if s > 0 else [], "W": [("G", s)],
                  "G": [("F", s)] + ([("G", s + 1)] if s < cfg.pp - 1 else [])}[role]
        for role2, s2 in before:
            dep, this = seen[(role2, d, m, s2)], seen[(role, d, m, s)]
            if dep is this:
                continue  # Karpathy: W inside a full B comes with its own input-grad, no edge.
            assert dep[1] <= this[0], f"order broken at {(role, d, m, s)}"
    for r in range(cfg.pp):
        spans = sorted((st, en) for rr, st, en, _ in events if rr == r)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), f"rank {r} runs two things at once"


def stats(events, cfg):
    makespan = max(e[2] for e in events)
    idle, stages, peak = [], [], []
    for r in range(cfg.pp):
        mine = sorted((e for e in events if e[0] == r), key=lambda e: e[1])
        idle.append(makespan - sum(e[2] - e[1] for e in mine))
        stages.append(len({(op[1], op[3]) for e in mine for op in e[3]}))
        # Karpathy: activations in flight = forwards whose input-grad has not run yet. Inside a
        # pair the forward's new activation and the backward's old one are both alive. A deferred
        # W still holds its stage input and output-grad a little longer; not counted here.
        live = top = 0
        for e in mine:
            live += sum(op[0] == "F" for op in e[3])
            top = max(top, live)
            live -= sum(op[0] in "BI" for op in e[3])
        peak.append(top)
    return makespan, idle, stages, peak


def formulas(cfg):
    f, b, w, fb = cfg.f, cfg.b, cfg.w, cfg.f + cfg.b - cfg.overlap
    # Karpathy: straight from the DualPipe README table (B = full backward, F&B = a pair).
    return {"1F1B": (cfg.pp - 1) * (f + b), "ZB1P": (cfg.pp - 1) * (f + b - 2 * w),
            "DualPipe": (cfg.pp // 2 - 1) * (fb + b - 3 * w)}


def draw(events, cfg):
    width = max(e[2] for e in events)
    rows = [["."] * width for _ in range(cfg.pp)]
    for r, start, end, ops in events:
        # Karpathy: upper case = micro-batches entering at rank 0, lower case = entering at the
        # last rank. An F&B pair must not look like F then B: it prints X (x) for its forward's
        # direction, then '=' for the overlapped backward of the other direction.
        if len(ops) == 2:
            text = ("X" if ops[0][1] == 0 else "x") * cfg.f + "=" * cfg.b
        else:
            k, d = ops[0][0], ops[0][1]
            text = (k if d == 0 else k.lower()) * {"F": cfg.f, "B": cfg.b, "I": cfg.b - cfg.w, "W": cfg.w}[k]
        rows[r][start:end] = list(text[: end - start].replace("I", "B").replace("i", "b"))
    return "\n".join(f"rank {r}: " + "".join(row) for r, row in enumerate(rows))


def _toy_problem(cfg, seed, device):
    gen = torch.Generator().manual_seed(seed)  # Karpathy: drawn on CPU, so every device sees the same data.
    # Karpathy: weights shape [pp, d_model, d_model], scaled so tanh stays out of saturation.
    weights = torch.randn(cfg.pp, cfg.d_model, cfg.d_model, generator=gen) / cfg.d_model ** 0.5
    xs = torch.randn(cfg.n_micro, cfg.micro_batch, cfg.d_model, generator=gen)
    # Karpathy: targets shape [n_micro, micro_batch, d_model]; xs is the same size. A plain
    # regression target keeps the loss gradient a one-liner: dy = y - target.
    targets = torch.randn(cfg.n_micro, cfg.micro_batch, cfg.d_model, generator=gen)
    return weights.to(device), xs.to(device), targets.to(device)


def run_torch(events, cfg, n_dirs, seed=0, device="cpu"):
    weights, xs, targets = _toy_problem(cfg, seed, device)
    per_dir = cfg.n_micro // n_dirs
    # Karpathy: one weight copy per direction, like rank i's stage i and rank PP-1-i's stage i.
    # grads shape [n_dirs, pp, d_model, d_model]
    grads = torch.zeros(n_dirs, cfg.pp, cfg.d_model, cfg.d_model, device=device)
    acts, dx_from, pending, loss = {}, {}, {}, 0.0
    # Karpathy: sort by start time: every dependency ended before its user started, so this is a
    # valid single-process replay of what the ranks did in parallel.
    for r, start, end, ops in sorted(events, key=lambda e: (e[1], e[0])):
        for kind, d, m, s in ops:
            mb, wt = d * per_dir + m, weights[s]
            if kind == "F":
                x = xs[mb] if s == 0 else acts[(d, m, s - 1)][1]
                # Karpathy: y shape [micro_batch, d_model]: stage s is y = tanh(x @ wt.T), no bias.
                y = torch.tanh(x @ wt.T)
                acts[(d, m, s)] = (x, y)
                if s == cfg.pp - 1:
                    loss += 0.5 * ((y - targets[mb]) ** 2).sum().item()
            elif kind in "BI":
                x, y = acts.pop((d, m, s))
                dy = y - targets[mb] if s == cfg.pp - 1 else dx_from.pop((d, m, s + 1))
                # Karpathy: dh shape [micro_batch, d_model]. The input-grad is the part stage s-1
                # is waiting for; it needs the weights, not their gradient.
                dh = dy * (1 - y * y)
                dx_from[(d, m, s)] = dh @ wt
                pending[(d, m, s)] = (x, dh)
            if kind in "BW":
                # Karpathy: the weight-grad half needs the saved x and dh and blocks nobody.
                x, dh = pending.pop((d, m, s))
                grads[d, s] += dh.T @ x
    return loss, grads.sum(0)


def reference_grads(cfg, seed=0, device="cpu"):
    weights, xs, targets = _toy_problem(cfg, seed, device)
    weights.requires_grad_(True)
    # Karpathy: h shape [n_micro, micro_batch, d_model]: the whole batch, stage after stage.
    h = xs
    for s in range(cfg.pp):
        h = torch.tanh(h @ weights[s].T)
    loss = 0.5 * ((h - targets) ** 2).sum()
    loss.backward()
    return loss.item(), weights.grad


def main():
    torch.manual_seed(0)
    builders = {"1F1B": (program_1f1b, 1), "ZB1P": (program_zb1p, 1), "DualPipe": (program_dualpipe, 2)}
    print("method    PP   N  F&B  makespan  idle max (min)  formula  params  peak act")
    for pp, n, overlap in [(4, 8, 0), (8, 20, 0), (8, 20, 1)]:
        cfg = PipeConfig(pp=pp, n_micro=n, overlap=overlap)
        for name, (build, n_dirs) in builders.items():
            if name != "DualPipe" and overlap:
                continue  # Karpathy: 1F1B and ZB1P have no F&B cells, so overlap changes nothing.
            events = simulate([bind_ops(build(r, cfg), r, cfg) for r in range(pp)], cfg)
            verify(events, cfg, n_dirs)
            makespan, idle, stages, peak = stats(events, cfg)
            bound = formulas(cfg)[name]
            fb = str(cfg.f + cfg.b - overlap) if name == "DualPipe" else "-"
            print(f"{name:9} {pp:2} {n:3} {fb:>4} {makespan:9} {max(idle):8} ({min(idle):2}) "
                  f"{bound:8} {max(stages):6}x {max(peak):9}")
            # Karpathy: idle vs the README's bubble formula, parameter copies, peak activations.
            if name == "DualPipe":
                assert max(idle) <= bound and max(stages) == 2 and max(peak) <= pp + 1
            else:
                assert all(i == bound for i in idle) and max(stages) == 1 and max(peak) <= pp
    print("check: every (direction, micro-batch, stage) got one F, one input-grad, one weight-grad "
          "in dependency order OK")
    print("check: 1F1B and ZB1P idle == formula on every rank; DualPipe idle <= formula, "
          "2 stages per rank, peak activations <= PP+1 OK")
    # Karpathy: two other cost models, PP=8, 20 micro-batches: where the formulas are not exact.
    other = {}
    for name, (f, b, w) in (("DualPipe", (1, 3, 1)), ("ZB1P", (1, 4, 2))):
        c = PipeConfig(f=f, b=b, w=w)
        build, n_dirs = builders[name]
        other[name] = (max(stats(simulate([bind_ops(build(r, c), r, c) for r in range(c.pp)], c), c)[1]),
                       formulas(c)[name])
        print(f"{name} at F={f} B={b} W={w}, PP={c.pp}: worst idle {other[name][0]} vs formula {other[name][1]}")
    assert other["DualPipe"][0] < other["DualPipe"][1] and other["ZB1P"][0] > other["ZB1P"][1]
    cfg = PipeConfig(pp=8, n_micro=20)
    for name in ("1F1B", "DualPipe"):
        build, n_dirs = builders[name]
        print(f"\n{name} timeline, PP={cfg.pp}, {cfg.n_micro} micro-batches, F=1 B=2 W=1 "
              f"(upper case: rank-0 direction, lower: the other; BB full backward, "
              f"lone B input-grad only, W weight-grad, X== / x== one F&B pair: forward of that "
              f"direction overlapped with a backward of the other, '.': idle)")
        events = simulate([bind_ops(build(r, cfg), r, cfg) for r in range(cfg.pp)], cfg)
        pic = draw(events, cfg)
        print(pic)
        pairs = sum(len(e[3]) == 2 for e in events)
        # Karpathy: every pair shows up as its own mark; 1F1B has none to show.
        assert pic.count("X") + pic.count("x") == pairs * cfg.f and (pairs > 0) == (name == "DualPipe")
    print(f"check: the DualPipe timeline marks all {pairs} F&B pairs (X== / x==), 1F1B has none OK")
    cfg = PipeConfig(pp=4, n_micro=8)
    ref_loss, ref = reference_grads(cfg)
    for name, (build, n_dirs) in builders.items():
        events = simulate([bind_ops(build(r, cfg), r, cfg) for r in range(cfg.pp)], cfg)
        # Karpathy: got shape [4, 8, 8]: one summed gradient per stage, both copies added.
        loss, got = run_torch(events, cfg, n_dirs)
        assert abs(loss - ref_loss) < 1e-4 * abs(ref_loss) and torch.allclose(got, ref, atol=1e-5)
        print(f"check: {name} replay on a {cfg.pp}-stage tanh MLP, split input-grad/weight-grad, "
              f"grads == autograd (max diff {(got - ref).abs().max().item():.1e}) OK")


if __name__ == "__main__":
    main()
# Karpathy: Two directions let every steady-state forward pair with a backward: bubble (PP/2-1)(F&B+B-3W).
