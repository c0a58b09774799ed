"""
Module: DeepEP expert-parallel dispatch and combine over real all-to-all

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
DeepEP (deepseek-ai/DeepEP) is the communication library under DeepSeek's MoE layers when
experts are spread over GPUs (expert parallelism). It is MoE all-to-all, not 1F1B pipeline
parallelism (1F1B is a pipeline schedule; see 07-DualPipe). The V1 Python API
(deep_ep/buffer.py, now deep_ep/buffers/legacy.py) offers Buffer.get_dispatch_layout,
dispatch, combine, low_latency_dispatch and low_latency_combine, backed by the kernels
csrc/kernels/intranode.cu, internode.cu and internode_ll.cu (now in csrc/kernels/legacy/).
The MoE layer calls dispatch after the gate, hands the received tokens to the expert GEMMs
(DeepGEMM's grouped layouts), then calls combine. This version keeps the data flow and the layout bookkeeping, and runs a
real all-to-all between CPU processes on gloo; it leaves out NVLink/RDMA buffers, SM
budgets, FP8 casting, the two-hop NVLink forwarding and V2's ElasticBuffer.

** Function List **
EPConfig(num_nodes, gpus_per_node, num_experts, topk, node_limit, num_tokens, hidden, inter, route_scale, seed) - sizes
EPConfig.num_ranks - GPUs (processes) in the expert-parallel group
EPConfig.experts_per_rank - routed experts held by each rank
make_inputs(cfg) - seeded tokens for every rank, gate weights and SwiGLU expert weights
gate(x, w_gate, cfg) - V3-style sigmoid gate with node-limited routing -> top-k ids and weights
expert_ffn(x, experts, e) - SwiGLU FFN of expert e
moe_reference(x, w_gate, experts, cfg) - plain single-process MoE layer, the ground truth
get_dispatch_layout(topk_idx, cfg) - tokens per rank / per node / per expert and is_token_in_rank
ep_rank_forward(rank, x, w_gate, experts, cfg, exchange, expert_fn=expert_ffn) - one rank's
    gate -> dispatch -> local experts -> combine, with `exchange` doing the all-to-all
dist_exchange(t, send_counts) - all-to-all with uneven splits over torch.distributed
LoopbackExchange(world) - the same all-to-all between threads of one process (for tests)
LoopbackExchange.bind(rank) - the exchange function one rank thread calls
simulate_ep(cfg, expert_fn=expert_ffn) - all ranks in threads; returns outputs and traffic
worker(rank, cfg, port, device) - one process: init the group, run, check, report on rank 0
launch(cfg, device="cpu") - start one process per rank (gloo on CPU, NCCL on GPUs)
main() - launch the ranks (gloo; with --cuda, NCCL), print traffic, check against the reference

** Technical Deep Dive **
An MoE layer under expert parallelism does two all-to-alls. Dispatch: after the gate picks
top-k experts per token, every token travels to the ranks that hold those experts. Combine:
the expert outputs travel back and are summed with the gate weights. The layout step
(`get_dispatch_layout`) counts what goes where: `num_tokens_per_rank`, tokens per node
(DeepEP's num_tokens_per_rdma_rank), `num_tokens_per_expert`, and `is_token_in_rank`. The
key saving: a token goes to a rank once even if it picked three experts there, and on the
way back that rank sums its experts' weighted outputs before sending one row.
Node-limited routing (V3 paper arXiv:2412.19437 §3.2.2, paper-sourced): each token may reach
at most 4 nodes. The paper gives InfiniBand ~50 GB/s against ~160 GB/s for NVLink, so DeepEP's normal
kernels send a token once per node over RDMA and fan it out inside the node over NVLink; one
IB hop can feed ~3.2 experts per node at no extra cost, ~13 over 4 nodes. V3's gate does
this with 8 groups and the top 4 groups by the sum of each group's top-2 sigmoid scores
(deepseek-ai/DeepSeek-V3 inference/model.py, Gate); `gate` does it with groups = nodes.
Normal kernels (training, prefill), DeepEP docs/legacy.md, H800 + CX7 400 Gb/s IB, 4096
tokens, hidden 7168, top-4 groups, top-8, FP8 dispatch / BF16 combine: EP8 intranode 153 /
158 GB/s (dispatch / combine); RDMA EP16 43/43, EP32 58/57, EP64 51/50 GB/s. The normal
dispatch waits on the CPU for receive counts, so it is not CUDA-graph compatible (the
example uses Buffer.set_num_sms(24)); `dist_exchange` has the same shape: counts first.
Low-latency kernels (decoding; docs/legacy.md): pure RDMA, CUDA-graph compatible, 128 tokens per batch,
same hidden/top-8/FP8-BF16 setup: dispatch 77 us at EP8 up to 194 us at EP256, combine 114
us at EP8 to 360 us at EP256 (peak 369 us at EP128). With return_recv_hook=True the RDMA
transfer runs in the background and data lands only when hook() is called, so compute
overlaps with communication without occupying any SMs.
FP8 dispatch / BF16 combine: tokens go out as E4M3 with per-128-channel scales (about half
the bytes of BF16), ready for FP8 expert GEMMs, while the outputs come back in BF16 so the
weighted sum keeps its precision; `worker` prints what those formats would weigh.
The V3 paper gives 20 of the H800's 132 SMs to communication (paper-sourced); DeepEP V2
(ElasticBuffer, NCCL Gin backend) cuts V3-like training from 24 SMs to 4-6 and claims up
to 1.3x peak performance.
</karpathys_code_comments>
"""
import math
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F


@dataclass
class EPConfig:
    num_nodes: int = 2  # V3 training: EP64 over 8 nodes (paper §3.2)
    gpus_per_node: int = 2  # an H800 node has 8 GPUs on NVLink
    num_experts: int = 32  # V3: 256 routed experts (+1 shared, which needs no dispatch)
    topk: int = 4  # V3: 8 experts per token
    node_limit: int = 1  # V3: at most 4 nodes per token (n_limited_groups 4 of 8 groups)
    num_tokens: int = 16  # tokens per rank; DeepEP benchmarks: 4096 (normal), 128 (low-latency)
    hidden: int = 32  # V3 dim and DeepEP benchmark hidden: 7168
    inter: int = 16  # V3 moe_inter_dim 2048
    route_scale: float = 1.0  # V3: 2.5
    seed: int = 0

    @property
    def num_ranks(self):
        return self.num_nodes * self.gpus_per_node

    @property
    def experts_per_rank(self):
        return self.num_experts // self.num_ranks


def make_inputs(cfg):
    g = torch.Generator().manual_seed(cfg.seed)
    # Karpathy: x shape [num_ranks, num_tokens, hidden]: every process builds the same tensors
    # from the seed and keeps its own row, so no rank needs to ship inputs to another.
    x = torch.randn(cfg.num_ranks, cfg.num_tokens, cfg.hidden, generator=g)
    w_gate = torch.randn(cfg.num_experts, cfg.hidden, generator=g) / math.sqrt(cfg.hidden)
    shapes = [(cfg.inter, cfg.hidden), (cfg.inter, cfg.hidden), (cfg.hidden, cfg.inter)]
    experts = [torch.randn(cfg.num_experts, *s, generator=g) / math.sqrt(s[1]) for s in shapes]
    return x, w_gate, experts


def gate(x, w_gate, cfg):
    tokens = x.shape[0]
    # Karpathy: scores shape [tokens, num_experts]; sigmoid affinities as in V3, not softmax.
    scores = torch.sigmoid(x @ w_gate.T)
    per_node = scores.view(tokens, cfg.num_nodes, -1)  # experts are laid out node by node
    # Karpathy: node_score shape [tokens, num_nodes]: sum of each node's top-2 affinities.
    node_score = per_node.topk(2, dim=-1).values.sum(-1)
    keep = node_score.topk(cfg.node_limit, dim=-1).indices
    allowed = torch.zeros_like(node_score, dtype=torch.bool).scatter_(1, keep, True)
    masked = per_node.masked_fill(~allowed.unsqueeze(-1), -1.0).view(tokens, -1)  # sigmoid > 0 > -1
    # Karpathy: topk_idx shape [tokens, topk], chosen only from the allowed nodes.
    topk_idx = masked.topk(cfg.topk, dim=-1).indices
    w = scores.gather(1, topk_idx)
    topk_w = w / w.sum(-1, keepdim=True) * cfg.route_scale  # Karpathy: renormalize, then scale
    return topk_idx, topk_w


def expert_ffn(x, experts, e):
    w1, w3, w2 = (w[e] for w in experts)
    # Karpathy: h shape [rows, inter], the usual SwiGLU: silu(x W1^T) * (x W3^T), then W2.
    h = F.silu(x @ w1.T) * (x @ w3.T)
    return h @ w2.T


def moe_reference(x, w_gate, experts, cfg):
    topk_idx, topk_w = gate(x, w_gate, cfg)
    # Karpathy: y shape [tokens, hidden]. No communication at all: every expert sees every
    # token that picked it. This is what the distributed version must reproduce.
    y = torch.zeros_like(x)
    for e in range(cfg.num_experts):
        tok, slot = (topk_idx == e).nonzero(as_tuple=True)
        y.index_add_(0, tok, topk_w[tok, slot, None] * expert_ffn(x[tok], experts, e))
    return y


def get_dispatch_layout(topk_idx, cfg):
    tokens = topk_idx.shape[0]
    rank_of = topk_idx // cfg.experts_per_rank  # experts are laid out rank by rank
    # Karpathy: is_token_in_rank shape [tokens, num_ranks]. scatter_ of True twice is still
    # True, which is exactly the dedup: a token visits a rank once however many experts it has there.
    is_token_in_rank = torch.zeros(tokens, cfg.num_ranks, dtype=torch.bool, device=topk_idx.device)
    is_token_in_rank.scatter_(1, rank_of, True)
    num_tokens_per_rank = is_token_in_rank.sum(0)
    is_token_in_node = is_token_in_rank.view(tokens, cfg.num_nodes, cfg.gpus_per_node).any(-1)
    num_tokens_per_node = is_token_in_node.sum(0)  # Karpathy: DeepEP's num_tokens_per_rdma_rank
    num_tokens_per_expert = torch.bincount(topk_idx.flatten(), minlength=cfg.num_experts)
    return num_tokens_per_rank, num_tokens_per_node, num_tokens_per_expert, is_token_in_rank


def ep_rank_forward(rank, x, w_gate, experts, cfg, exchange, expert_fn=expert_ffn):
    epr = cfg.experts_per_rank
    topk_idx, topk_w = gate(x, w_gate, cfg)
    per_rank, per_node, per_expert, in_rank = get_dispatch_layout(topk_idx, cfg)
    # Karpathy: one row per (destination rank, token) pair, grouped by destination; src_tok
    # is the "handle" we keep to put the answers back where they came from.
    dst, src_tok = in_rank.T.nonzero(as_tuple=True)
    # Karpathy: send_x shape [num_send, hidden]
    send_x = x[src_tok]
    local = topk_idx[src_tok] - (dst * epr)[:, None]  # global expert id -> id on the receiver
    mine = (local >= 0) & (local < epr)
    send_idx, send_w = torch.where(mine, local, -1), torch.where(mine, topk_w[src_tok], 0.0)
    # Karpathy: dispatch. Three all-to-alls here (tokens, expert ids, weights); DeepEP moves
    # them, plus the FP8 scales, in a single dispatch call.
    recv_x, recv_counts = exchange(send_x, per_rank)
    recv_idx, _ = exchange(send_idx, per_rank)
    recv_w, _ = exchange(send_w, per_rank)
    # Karpathy: recv_y shape [num_recv, hidden]. Each received row is run through every local
    # expert it picked; the weighted outputs are summed here, so one row goes back per pair.
    recv_y = torch.zeros_like(recv_x)
    for e in range(epr):
        row, slot = (recv_idx == e).nonzero(as_tuple=True)
        out = expert_fn(recv_x[row], experts, rank * epr + e)  # real EP: only rank's experts live here
        recv_y.index_add_(0, row, recv_w[row, slot, None] * out)
    # Karpathy: combine is the mirror image: send back with the splits swapped, then add the
    # partial sums of every rank into the token they came from.
    back_y, _ = exchange(recv_y, recv_counts)
    # Karpathy: y shape [num_tokens, hidden]
    y = torch.zeros_like(x).index_add_(0, src_tok, back_y)
    # Karpathy: traffic bookkeeping. Same node = NVLink, other node = RDMA. DeepEP's normal
    # kernels send a token once per remote node over RDMA and fan out over NVLink there.
    node, per_rank = rank // cfg.gpus_per_node, per_rank.cpu()
    same = (torch.arange(cfg.num_ranks) // cfg.gpus_per_node) == node
    nodes_hit = in_rank.view(-1, cfg.num_nodes, cfg.gpus_per_node).any(-1).sum(1)
    stats = dict(rank=rank, sent=int(per_rank.sum()), recv=int(recv_counts.sum()), pairs=int(in_rank.sum()),
                 sent_nvlink=int(per_rank[same].sum()), sent_rdma=int(per_rank[~same].sum()),
                 rdma_once_per_node=int(per_node.sum() - per_node[node]), max_nodes=int(nodes_hit.max()),
                 per_expert=per_expert.tolist(),
                 recv_per_expert=torch.bincount(recv_idx[recv_idx >= 0], minlength=epr).tolist())
    return y, stats


def dist_exchange(t, send_counts):
    # Karpathy: sizes first, like DeepEP's normal dispatch: the receiver must know how many
    # rows are coming before it can allocate. The tolist() below is the CPU sync that keeps the
    # normal kernels out of CUDA graphs; low-latency mode pre-allocates the worst case instead.
    recv_counts = torch.empty_like(send_counts)
    dist.all_to_all_single(recv_counts, send_counts)
    # Karpathy: out shape [num_recv, cols]; all_to_all_single takes uneven split sizes per rank.
    out = t.new_empty((int(recv_counts.sum()), *t.shape[1:]))
    dist.all_to_all_single(out, t.contiguous(), recv_counts.tolist(), send_counts.tolist())
    return out, recv_counts


class LoopbackExchange:
    def __init__(self, world):
        self.world, self.slots, self.barrier = world, [None] * world, threading.Barrier(world)

    def bind(self, rank):
        def exchange(t, send_counts):
            # Karpathy: post my pieces, wait for everyone, pick up the pieces addressed to me,
            # wait again so nobody overwrites a slot that is still being read.
            self.slots[rank] = t.split(send_counts.tolist())
            self.barrier.wait()
            pieces = [self.slots[src][rank] for src in range(self.world)]
            self.barrier.wait()
            out = torch.cat(pieces)  # Karpathy: out shape [num_recv, cols], sources in rank order
            return out, torch.tensor([len(p) for p in pieces])

        return exchange


def simulate_ep(cfg, expert_fn=expert_ffn):
    x, w_gate, experts = make_inputs(cfg)
    loop, results = LoopbackExchange(cfg.num_ranks), [None] * cfg.num_ranks

    def run(r):
        results[r] = ep_rank_forward(r, x[r], w_gate, experts, cfg, loop.bind(r), expert_fn)

    threads = [threading.Thread(target=run, args=(r,)) for r in range(cfg.num_ranks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Karpathy: y shape [num_ranks, num_tokens, hidden], stacked back in rank order.
    y = torch.stack([out for out, _ in results])
    return x, y, [s for _, s in results]


def worker(rank, cfg, port, device):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)  # Karpathy: one thread per rank process, so the ranks don't oversubscribe the CPU
    if device == "cuda":
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if device == "cuda" else "gloo", rank=rank, world_size=cfg.num_ranks)
    x, w_gate, experts = make_inputs(cfg)
    x, w_gate, experts = x.to(device), w_gate.to(device), [w.to(device) for w in experts]
    ep_rank_forward(rank, x[rank], w_gate, experts, cfg, dist_exchange)  # Karpathy: warm-up
    dist.barrier()
    t0 = time.perf_counter()
    y, stats = ep_rank_forward(rank, x[rank], w_gate, experts, cfg, dist_exchange)
    if device == "cuda":
        torch.cuda.synchronize()
    stats["ms"] = (time.perf_counter() - t0) * 1e3
    # Karpathy: ref shape [num_tokens, hidden]: the one-process MoE on this rank's tokens.
    ref = moe_reference(x.view(-1, cfg.hidden), w_gate, experts, cfg).view_as(x)[rank]
    stats["max_abs_diff"] = float((y - ref).abs().max())
    gathered = [None] * cfg.num_ranks
    dist.all_gather_object(gathered, stats)
    dist.destroy_process_group()
    if rank != 0:
        return
    fp8_row, bf16_row = cfg.hidden + 4 * math.ceil(cfg.hidden / 128), 2 * cfg.hidden
    print(f"EP over {cfg.num_nodes} nodes x {cfg.gpus_per_node} ranks on {device}, {cfg.num_experts} experts, "
          f"top-{cfg.topk}, node limit {cfg.node_limit}, {cfg.num_tokens} tokens/rank, hidden {cfg.hidden}")
    print("rank | sent (nvlink/rdma) | recv | rdma if 1/node | dispatch fp32 B | as fp8 B | combine bf16 B")
    for s in gathered:
        print(f"{s['rank']:4d} | {s['sent']:4d} ({s['sent_nvlink']:3d}/{s['sent_rdma']:3d})     | {s['recv']:4d} |"
              f" {s['rdma_once_per_node']:14d} | {s['sent'] * cfg.hidden * 4:15d} | {s['sent'] * fp8_row:8d} |"
              f" {s['recv'] * bf16_row:14d}")
    # Karpathy: the checks. Receivers saw exactly what senders' layouts promised, per expert.
    total = torch.tensor([s["per_expert"] for s in gathered]).sum(0)
    assert torch.equal(total, torch.tensor([c for s in gathered for c in s["recv_per_expert"]]))
    assert sum(s["recv"] for s in gathered) == sum(s["pairs"] for s in gathered)
    assert max(s["max_nodes"] for s in gathered) <= cfg.node_limit
    diff = max(s["max_abs_diff"] for s in gathered)
    assert diff < 1e-4, diff
    print(f"check: tokens received == distinct (token, rank) pairs == {sum(s['pairs'] for s in gathered)}: OK")
    print(f"check: per-expert receive counts match the senders' layouts; <= {cfg.node_limit} node(s) per token: OK")
    print(f"check: dispatch + experts + combine == single-process MoE, max abs diff {diff:.2e}: OK")
    print(f"one MoE forward (gate, dispatch, experts, combine): {max(s['ms'] for s in gathered):.1f} ms "
          f"on the slowest rank (teaching code, not DeepEP's kernels)")


def launch(cfg, device="cpu"):
    with socket.socket() as s:  # Karpathy: ask the OS for a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Karpathy: fork on CPU skips re-importing torch in every child (seconds per rank);
    # CUDA cannot survive a fork, so GPUs get fresh spawned processes.
    method = "fork" if device == "cpu" else "spawn"
    mp.start_processes(worker, args=(cfg, port, device), nprocs=cfg.num_ranks, start_method=method)


def main():
    torch.manual_seed(0)
    cfg, device = EPConfig(), "cpu"
    if "--cuda" in sys.argv:  # Karpathy: same code on NCCL, one process per GPU (needs 2+)
        n = 4 if torch.cuda.device_count() >= 4 else 2
        cfg, device = EPConfig(num_nodes=2, gpus_per_node=n // 2, num_tokens=4096, hidden=1024, inter=512), "cuda"
    # Karpathy: ranks shape [num_nodes, gpus_per_node]: rank r lives on node r // gpus_per_node.
    ranks = torch.arange(cfg.num_ranks).view(cfg.num_nodes, cfg.gpus_per_node)
    print("ranks by node:", ranks.tolist())
    launch(cfg, device)


if __name__ == "__main__":
    main()
# Karpathy: Dispatch sends a token to a rank once however many of its experts live there; combine sums them first.
