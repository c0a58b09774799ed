"""
Module: 3FS data placement: chunk striping over chains and a recovery-balanced chain table

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
In 3FS (deepseek-ai/3FS, docs/design_notes.md "Location of file chunks" and "Data placement")
the metadata service picks chains for a new file from a chain table, and the client then
computes every chunk id and chain itself, with no metadata round trip per read. The storage
services run CRAQ inside each chain. corpus/00-3FS/01-chain_replication.py teaches that part:
one chain, versions, failures, recovery. This file is the layer above it: which targets form
the chains, how a file is spread across them, and why that choice decides how bad a node
failure feels. Left out: the cluster manager, FoundationDB inodes, chain states, the real
integer-programming solver, several chain tables per cluster.

** Function List **
PlacementConfig(num_nodes, targets_per_node, replicas, chunk_size, stripe_size, num_files, max_file_chunks, epochs, seed) - sizes
naive_chain_table(cfg) - design_notes' first table: nodes in fixed groups of three, target t
balanced_chain_table(cfg) - search node triples so every node pair shares the same number of chains
parse_table(text) - "B1 E1 F1, A1 B2 D1, ..." -> list of chains (tuples of target names)
check_table(table, cfg) - assert replicas on distinct nodes and an equal number of targets per node
recovery_share_reference(table, failed) - plain loop, exact fractions: who takes a failed node's reads
pair_counts(table) - how many chains each pair of nodes shares (constant = balanced)
swap_targets(table, a, b) - the same table with targets a and b exchanged
incidence_matrix(table, cfg) - chains x nodes 0/1 matrix of the table
recovery_matrix(table, cfg) - the same shares for every failed node at once, from `M.T @ M`
FileLayout(inode, first_chain, stripe_size, shuffle_seed, num_chains) - what the inode stores
FileLayout.chains() - the file's shuffled chain list, rebuilt from the stored fields
FileLayout.locate(chunk_index) - chunk index -> (chunk id, chain index)
MetaService(cfg) - hands out inode ids and round-robin chain ranges to new files
MetaService.create_file(size_bytes) - a new `FileLayout` plus its chunk count
RandomChunkSampler(num_chunks, epochs, seed) - torch Sampler: chunks in a fresh random order per epoch
epoch_node_reads(table, cfg, read_chains, failed=None) - per-node read counts, each read to a random
    serving replica
main() - build both tables, print recovery-load tables, stripe files, replay a random-read epoch

** Technical Deep Dive **
A 3FS file is cut into equal chunks. The chunk id concatenates the inode id and the chunk
index (the 32-bit split in `FileLayout.locate` is our choice). At create time the metadata
service takes `stripe_size` consecutive chains round-robin from the chain table and shuffles
them with a fresh random seed; the inode keeps the range and the seed, so any client can
rebuild the same layout later. Chunk i goes to chain i mod stripe_size of that list. DeepSeek
runs stripe size 200 in production (design_notes).
Each chain holds one target on each of 3 nodes, and reads are spread evenly over the
replicas. design_notes' example: 6 nodes A-F, 5 targets per SSD, 3 replicas -> 30 targets,
10 chains. In the simple table (A1 B1 C1, D1 E1 F1, A2 B2 C2, ...) node A only ever shares
chains with B and C, so when A dies B and C each absorb half of its reads. design_notes says
re-syncing a replaced SSD can take hours, so that hot spot lasts. The fix: choose the triples
so A shares exactly 2 chains with each of the other 5 nodes. That is a balanced incomplete
block design, 2-(6,3,2): b = 10 blocks, r = 5 per node, lambda = r(k-1)/(v-1) = 2. Then each
survivor takes 1/5 of A's reads. design_notes prints such a table and says each survivor gets
1/5, but the table as printed (chain 8 B5 C4 E4, chain 9 A5 C5 D4, quoted verbatim in
`DESIGN_NOTES_BALANCED`) misses by one swap: A shares 3 chains with D and 1 with E, so when A
fails D takes 3/10 of its reads and E 1/10 (B likewise overloads E). Exchanging D4 and E4
between those two chains gives the balanced design the text describes; `swap_targets` does it
and the demo checks both. 3FS solves the general case with an integer-programming solver;
`balanced_chain_table` just backtracks, which is enough at this size.
In matrix form: with incidence M (chains x nodes), `M.T @ M` counts shared chains; a design is
balanced when its off-diagonal is constant. Under a toy model (equal node bandwidth, same
read mix) the busiest survivor sets degraded throughput: 1/1.2 = 83% balanced vs 1/1.5 = 67%.
</karpathys_code_comments>
"""
import itertools
import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import torch
from torch.utils.data import Sampler

NODES = "ABCDEFGHIJKLMNOP"  # Karpathy: a target is a node letter plus a number, "B3" = target 3 on node B

# Karpathy: the "balanced" table exactly as design_notes prints it ("Balanced traffic during
# recovery"). Chains 8 and 9 hold E4 and D4 the other way round from a balanced design.
DESIGN_NOTES_BALANCED = ("B1 E1 F1, A1 B2 D1, A2 D2 F2, C1 D3 E2, A3 C2 F3, "
                         "A4 B3 E3, B4 C3 F4, B5 C4 E4, A5 C5 D4, D5 E5 F5")

@dataclass
class PlacementConfig:
    num_nodes: int = 6  # design_notes example A..F, one SSD each; README cluster: 180 storage nodes
    targets_per_node: int = 5  # design_notes: 5 storage targets created on each SSD
    replicas: int = 3  # chain length (head, middle, tail) in both design_notes tables
    chunk_size: int = 4096  # bytes; in 3FS chunk size is chosen per directory
    stripe_size: int = 4  # chains per file; DeepSeek production stripe size is 200 (design_notes)
    num_files: int = 25  # files created in the demo
    max_file_chunks: int = 40  # file sizes drawn from 1 byte up to this many chunks
    epochs: int = 20  # passes of the random-read replay
    seed: int = 0

def naive_chain_table(cfg):
    # Karpathy: nodes in fixed groups of `replicas` (ABC, DEF), one chain per group per target number.
    # Every chain is fine on its own; the trouble only shows when a node dies.
    assert cfg.num_nodes % cfg.replicas == 0, "the simple grouping needs num_nodes divisible by replicas"
    groups = [NODES[g : g + cfg.replicas] for g in range(0, cfg.num_nodes, cfg.replicas)]
    return [tuple(f"{n}{t}" for n in grp) for t in range(1, cfg.targets_per_node + 1) for grp in groups]

def balanced_chain_table(cfg):
    v, k, r = cfg.num_nodes, cfg.replicas, cfg.targets_per_node
    # Karpathy: BIBD counting: b blocks of size k use v*r target slots, and each node's r chains
    # give r*(k-1) partner slots to split evenly over v-1 other nodes, lam each.
    assert (v * r) % k == 0 and (r * (k - 1)) % (v - 1) == 0, "no exactly balanced table for these sizes"
    b, lam = v * r // k, r * (k - 1) // (v - 1)
    blocks = list(itertools.combinations(range(v), k))
    node_use, pair_use, picked = [0] * v, Counter(), []

    def search(start):
        if len(picked) == b:
            return True
        for i in range(start, len(blocks)):
            blk, pairs = blocks[i], list(itertools.combinations(blocks[i], 2))
            # Karpathy: prune: no node above r chains, no pair above lam shared chains.
            if any(node_use[n] == r for n in blk) or any(pair_use[p] == lam for p in pairs):
                continue
            picked.append(blk)
            for n in blk:
                node_use[n] += 1
            pair_use.update(pairs)
            if search(i + 1):
                return True
            picked.pop()
            for n in blk:
                node_use[n] -= 1
            pair_use.subtract(pairs)
        return False

    assert search(0), "search found no balanced design"
    # Karpathy: a node's j-th chain gets its target j, so every target is used exactly once.
    seen = Counter()
    table = []
    for blk in picked:
        seen.update(blk)
        table.append(tuple(f"{NODES[n]}{seen[n]}" for n in blk))
    return table

def parse_table(text):
    return [tuple(chain.split()) for chain in text.split(",")]

def check_table(table, cfg):
    # Karpathy: the two invariants any chain table must keep, balanced or not.
    for chain in table:
        assert len(chain) == cfg.replicas and len({t[0] for t in chain}) == cfg.replicas, chain
    targets = [t for chain in table for t in chain]
    assert len(targets) == len(set(targets)), "a target sits in two chains"
    per_node = Counter(t[0] for t in targets)
    assert set(per_node.values()) == {cfg.targets_per_node} and len(per_node) == cfg.num_nodes

def recovery_share_reference(table, failed):
    # Karpathy: every chain serves one unit of reads, split evenly over its replicas. When `failed`
    # dies, its 1/k share of each of its chains is split evenly over the k-1 survivors.
    moved, total = Counter(), Fraction(0)
    for chain in table:
        nodes = [t[0] for t in chain]
        if failed in nodes:
            total += Fraction(1, len(nodes))
            for n in nodes:
                if n != failed:
                    moved[n] += Fraction(1, len(nodes) * (len(nodes) - 1))
    return {n: share / total for n, share in moved.items()}

def pair_counts(table):
    # Karpathy: a table is balanced exactly when every pair of nodes shares the same number of chains.
    return Counter(p for chain in table for p in itertools.combinations(sorted(t[0] for t in chain), 2))

def swap_targets(table, a, b):
    # Karpathy: exchange two targets wherever they sit; every per-node count stays the same.
    swap = {a: b, b: a}
    return [tuple(swap.get(t, t) for t in chain) for chain in table]

def incidence_matrix(table, cfg):
    # Karpathy: M shape [num_chains, num_nodes], M[c, n] = 1 when chain c has a target on node n.
    M = torch.zeros(len(table), cfg.num_nodes, dtype=torch.float64)
    for c, chain in enumerate(table):
        M[c, [NODES.index(t[0]) for t in chain]] = 1.0
    return M

def recovery_matrix(table, cfg):
    M = incidence_matrix(table, cfg)
    # Karpathy: shared shape [num_nodes, num_nodes]: shared[x, y] = chains holding both x and y;
    # the diagonal is how many chains each node is in.
    shared = M.T @ M
    # Karpathy: y gets 1/(k-1) of x's share in each of the shared[x, y] chains, out of x's
    # shared[x, x] chains in all: R[x, y] = shared[x, y] / ((k-1) * shared[x, x]).
    R = shared / ((cfg.replicas - 1) * shared.diagonal()[:, None])  # Karpathy: R shape [num_nodes, num_nodes]
    R.fill_diagonal_(0.0)
    return R

@dataclass
class FileLayout:
    inode: int
    first_chain: int  # design_notes: a file inode stores the "selected range in chain table"
    stripe_size: int
    shuffle_seed: int  # ...and the shuffle seed, so the layout is a pure function of the inode
    num_chains: int

    def chains(self):
        # Karpathy: consecutive chains from the table (wrapping around), then a per-file shuffle.
        picked = [(self.first_chain + i) % self.num_chains for i in range(self.stripe_size)]
        random.Random(self.shuffle_seed).shuffle(picked)
        return picked

    def locate(self, chunk_index):
        # Karpathy: id = inode id next to chunk index; as in 01, 32 low bits hold the index (our split).
        assert 0 <= chunk_index < 2**32
        return (self.inode << 32) | chunk_index, self.chains()[chunk_index % self.stripe_size]

class MetaService:
    def __init__(self, cfg):
        # Karpathy: inode ids in 3FS are 64-bit, unique and increase monotonically (design_notes).
        self.cfg, self.next_inode, self.cursor = cfg, 1000, 0
        self.num_chains = cfg.num_nodes * cfg.targets_per_node // cfg.replicas
        self.rng = random.Random(cfg.seed)

    def create_file(self, size_bytes):
        # Karpathy: round-robin: each new file starts where the previous one's range ended (our exact
        # rule; design_notes only says round-robin, consecutive chains, stripe-size many).
        layout = FileLayout(self.next_inode, self.cursor, self.cfg.stripe_size,
                            self.rng.randrange(2**32), self.num_chains)
        self.next_inode += 1
        self.cursor = (self.cursor + self.cfg.stripe_size) % self.num_chains
        return layout, -(-size_bytes // self.cfg.chunk_size)

class RandomChunkSampler(Sampler):
    def __init__(self, num_chunks, epochs, seed):
        self.num_chunks, self.epochs = num_chunks, epochs
        self.gen = torch.Generator().manual_seed(seed)

    def __len__(self):
        return self.num_chunks * self.epochs

    def __iter__(self):
        for _ in range(self.epochs):
            # Karpathy: order shape [num_chunks]: a training job's shuffled, random-access read order.
            order = torch.randperm(self.num_chunks, generator=self.gen)
            yield from order.tolist()

def epoch_node_reads(table, cfg, read_chains, failed=None):
    # Karpathy: chain_nodes shape [num_chains, replicas], node index of every replica.
    chain_nodes = torch.tensor([[NODES.index(t[0]) for t in chain] for chain in table])
    # Karpathy: nodes shape [num_reads, replicas], the replicas each read could go to.
    nodes = chain_nodes[torch.tensor(read_chains)]
    # Karpathy: pick a uniformly random *serving* replica per read: random priorities, the dead
    # node's set below zero, argmax. Same as CRAQ's read-any with a failed target skipped.
    prio = torch.rand(nodes.shape, generator=torch.Generator().manual_seed(cfg.seed))
    if failed is not None:
        prio[nodes == NODES.index(failed)] = -1.0
    pick = nodes.gather(1, prio.argmax(dim=1, keepdim=True)).squeeze(1)  # Karpathy: pick shape [num_reads]
    return torch.bincount(pick, minlength=cfg.num_nodes)

def _show_shares(name, table, cfg):
    # Karpathy: row = failed node, column = node taking over, entry = its share of the failed reads.
    names = NODES[: cfg.num_nodes]
    print(f"{name} recovery load (row fails, column takes over):")
    print("      " + " ".join(f"{n:>5}" for n in names))
    for x in names:
        shares = recovery_share_reference(table, x)
        print(f"  {x}:  " + " ".join(f"{str(shares.get(y, '-')):>5}" for y in names))

def main():
    torch.manual_seed(0)
    cfg = PlacementConfig()
    naive, balanced = naive_chain_table(cfg), balanced_chain_table(cfg)
    published = parse_table(DESIGN_NOTES_BALANCED)
    repaired = swap_targets(published, "D4", "E4")
    for name, table in (("naive", naive), ("balanced", balanced)):
        print(f"{name} chain table (head -> tail):", ", ".join(" ".join(c) for c in table))
    for table in (naive, balanced, published, repaired):
        check_table(table, cfg)
    print(f"check: {len(balanced)} chains of {cfg.replicas} replicas on distinct nodes, "
          f"{cfg.targets_per_node} targets on every node: OK")

    _show_shares("naive", naive, cfg)
    _show_shares("balanced", balanced, cfg)
    fifth = Fraction(1, cfg.num_nodes - 1)
    # Karpathy: the headline property, for every choice of failed node, in exact arithmetic.
    for table in (balanced, repaired):
        for x in NODES[: cfg.num_nodes]:
            shares = recovery_share_reference(table, x)
            assert len(shares) == cfg.num_nodes - 1 and set(shares.values()) == {fifth}
    assert any(set(recovery_share_reference(naive, x).values()) != {fifth} for x in NODES[: cfg.num_nodes])
    print(f"check: balanced (ours, and design_notes' table with D4/E4 swapped) gives every survivor "
          f"exactly {fifth}; naive does not: OK")
    # Karpathy: the published table as printed: A and D share 3 chains, A and E only 1.
    pub_a = recovery_share_reference(published, "A")
    print("design_notes table as printed, A fails:", ", ".join(f"{n} {pub_a[n]}" for n in sorted(pub_a)))
    assert pub_a["D"] == Fraction(3, 10) and pub_a["E"] == Fraction(1, 10) and max(pair_counts(published).values()) == 3
    assert set(pair_counts(repaired).values()) == {2} and len(pair_counts(repaired)) == 15
    print("check: as printed it gives D 3/10 and E 1/10 of A's reads; one swap (D4 <-> E4) balances it: OK")
    R_bal, R_naive = recovery_matrix(balanced, cfg), recovery_matrix(naive, cfg)
    for table, R in ((balanced, R_bal), (naive, R_naive)):
        for x in range(cfg.num_nodes):
            ref = recovery_share_reference(table, NODES[x])
            assert all(abs(R[x, y].item() - float(ref.get(NODES[y], 0))) < 1e-12 for y in range(cfg.num_nodes))
    print("check: Gram-matrix shares M.T @ M equal the plain loop: OK")
    # Karpathy: toy throughput model: every node normally serves the same read load L (same number
    # of targets, even reads). With x down, y serves L + R[x, y] * L, and the busiest survivor
    # caps the cluster's read rate, since reads are spread, not steered around hot nodes.
    for name, R in (("naive", R_naive), ("balanced", R_bal)):
        peak = 1.0 + R.max().item()
        print(f"{name}: one node down -> busiest survivor at {peak:.2f}x normal reads, "
              f"cluster read throughput ~{1 / peak:.0%} of normal")

    meta, files = MetaService(cfg), []
    rng = random.Random(cfg.seed)
    for _ in range(cfg.num_files):
        files.append(meta.create_file(rng.randint(1, cfg.max_file_chunks * cfg.chunk_size)))
    all_chunks = [layout.locate(i) for layout, n in files for i in range(n)]
    ids = [cid for cid, _ in all_chunks]
    assert len(ids) == len(set(ids)), "two chunks share an id"
    for layout, n in files:
        per_chain = Counter(layout.locate(i)[1] for i in range(n))
        assert max(per_chain.values()) - min(per_chain.values()) <= 1 and len(per_chain) == min(n, cfg.stripe_size)
        # Karpathy: "re-open" the file: a fresh layout from the stored inode fields maps identically.
        again = FileLayout(layout.inode, layout.first_chain, layout.stripe_size, layout.shuffle_seed, layout.num_chains)
        assert [again.locate(i) for i in range(n)] == [layout.locate(i) for i in range(n)]
    # Karpathy: per chain the totals are only roughly even: a small file fills only part of its stripe.
    # The round-robin cursor is what keeps that from piling up on chain 0.
    load = Counter(chain for _, chain in all_chunks)
    print(f"striping: {cfg.num_files} files, {len(ids)} chunks of {cfg.chunk_size} B, stripe {cfg.stripe_size}; "
          f"first file chains {files[0][0].chains()}; chunks per chain "
          f"{[load[c] for c in range(meta.num_chains)]}")
    print("check: chunk ids unique and stable on re-open, each file's chunks even over its chains: OK")

    sampler = RandomChunkSampler(len(all_chunks), cfg.epochs, cfg.seed)
    read_chains = [all_chunks[i][1] for i in sampler]
    assert len(read_chains) == len(sampler)
    print(f"random-read replay: {len(read_chains)} chunk reads, node A down; reads per node A..F:")
    for name, table in (("naive", naive), ("balanced", balanced)):
        healthy = epoch_node_reads(table, cfg, read_chains)
        degraded = epoch_node_reads(table, cfg, read_chains, failed="A")
        ratio = (degraded[1:].double() / healthy[1:].double()).tolist()
        print(f"  {name:>8}: healthy {healthy.tolist()}  A down {degraded.tolist()}  "
              f"survivor growth {[f'{g:.2f}' for g in ratio]}")
        assert degraded[0] == 0 and degraded.sum() == len(read_chains)
        if name == "balanced":
            # Karpathy: analytic growth is 1.2 for everyone; sampling noise stays well inside 0.1.
            assert all(abs(g - 1.2) < 0.1 for g in ratio)
        else:
            assert max(ratio) > 1.4 and min(ratio) < 1.1
    print("check: replayed reads match the load tables (balanced ~1.2x everywhere, naive B and C ~1.5x): OK")

if __name__ == "__main__":
    main()
# Karpathy: Balanced pairs (every two nodes share lambda = 2 chains) cap a survivor at 1.2x load, not 1.5x.
