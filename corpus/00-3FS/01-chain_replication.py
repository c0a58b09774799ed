"""
Module: 3FS chain replication (CRAQ) with failures, recovery and a training-data reader

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
3FS (Fire-Flyer File System, deepseek-ai/3FS) is DeepSeek's distributed file system on NVMe
SSDs and RDMA: storage, not FP8 training. Its storage
service (src/storage/service, e.g. ReliableForwarding.cc; docs/design_notes.md) keeps each
chunk on a chain of targets with CRAQ. Clients (FUSE or native USRBIO) compute chunk ids and
chains themselves, write to the head, read from any replica; data loaders, checkpoints and a
KVCache tier sit on top. Left out: heartbeats, FoundationDB metadata, "waiting"/"lastsrv"
states, checksums, the chunk engine. One process; a message list stands in for RDMA.

** Function List **
FSConfig(num_nodes, targets_per_node, replicas, chunk_size, stripe_size, seq_len, num_samples, batch_size, num_ops, seed) - sizes
Replica(committed_ver, committed, pending_ver, pending) - one chunk on one target
Chain(chain_id, targets, version) - replicas head first, plus the chain version
build_chain_table(cfg) - round-robin chain table like design_notes' first table
FileLayout(inode, chain_ids, chunk_size) - the chains a file's chunks are striped over
FileLayout.locate(chunk_index) - chunk index -> (chunk id, chain id)
CraqCluster(cfg) - storage targets (state and chunk store per target), chain table, messages
CraqCluster.live(chain) - targets that take writes (serving, then syncing), head first
CraqCluster.write(chain_id, cid, offset, payload) - client write at the head; version or None if locked
CraqCluster.read(chain_id, cid, relaxed=False) - read from a random serving replica
CraqCluster.step() - deliver one random in-flight message (the network reorders freely)
CraqCluster.fail_node(node) - fail-stop: targets offline, moved to chain end, version bump
CraqCluster.rejoin_node(node) - targets come back as syncing tails
CraqCluster.sync_step() - predecessors stream full-chunk-replace copies to syncing targets
CraqCluster.drain() - deliver everything, finish recovery, assert the replicas agree
client_read(cluster, chain_id, cid, max_retries=3) - strict read; retry on busy, then relaxed
write_file(cluster, layout, data) - write a file chunk by chunk, wait for every ack
read_range(cluster, layout, offset, length) - read bytes that may straddle chunks
ChunkDataset(cluster, layout, cfg) - torch Dataset of token samples stored in the FS
stress(cluster, cfg) - random writes, reads, failures, rejoins; every strict read checked
main() - stress test, then a DataLoader epoch with a node failure; prints counts and checks

** Technical Deep Dive **
Plain chain replication sends writes head -> tail and reads only at the tail, so one SSD caps
read bandwidth. CRAQ (Chain Replication with Apportioned Queries) lets any replica answer
reads, keeping two versions per chunk: committed v and pending u = v + 1. The head locks the
chunk (writes serialize there), stores the pending version and forwards it; the tail commits
and an ack walks back up, each node committing as it passes, so a replica without a pending
version holds the newest commit. 3FS calls it "write-all-read-any"; the README quotes ~6.6
TiB/s aggregate reads from 180 storage nodes (2x200 Gbps InfiniBand, 16 NVMe SSDs each).
The 3FS twist: a read that finds a pending version does not ask the tail; it gets a special
status and the client retries or sends a "relaxed read" (design_notes.md "Data replication";
see `client_read`). On failure the cluster manager marks the node's targets offline, moves
them to the chain end and bumps the chain version; stale-version writes are rejected, so a
write lost with a dead middle node is re-forwarded to the new successor. A returning target
is a "syncing" tail: it takes writes (full-chunk-replace, old pending dropped) but no reads
while its predecessor streams every chunk whose version differs; then it serves (version
bumped again). Placement: chunk id = inode id + chunk index, striped over `stripe_size`
chains taken round-robin from a chain table and shuffled per file (production stripe 200);
the notes' balanced table (6 nodes x 5 targets, 3 replicas, 10 chains) gives each survivor
1/5 of a dead SSD's reads. Asserted here: no acked write lost, strict reads return the
newest commit, a version never names two contents, the Dataset returns what was written.
</karpathys_code_comments>
"""
import random
from collections import Counter
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, Dataset

SERVING, SYNCING, OFFLINE = "serving", "syncing", "offline"
CHUNK_BUSY = "chunk_busy"  # Karpathy: stands in for 3FS's "special status code" on a pending chunk.

@dataclass
class FSConfig:
    num_nodes: int = 6  # design_notes example 6 nodes; README cluster 180 storage nodes
    targets_per_node: int = 2  # design_notes example 5 targets per SSD
    replicas: int = 3  # chain length in the design_notes tables
    chunk_size: int = 64  # bytes; real chunk size is a per-directory setting, blocks 64 KiB..64 MiB
    stripe_size: int = 3  # chains per file; DeepSeek's production stripe size is 200
    seq_len: int = 12  # int32 tokens per sample = 48 bytes, deliberately not chunk-aligned
    num_samples: int = 40
    batch_size: int = 8
    num_ops: int = 4000  # random operations in the stress test
    seed: int = 0

@dataclass
class Replica:
    committed_ver: int = 0
    committed: bytes = b""
    pending_ver: int | None = None  # Karpathy: when set, always committed_ver + 1
    pending: bytes = b""

@dataclass
class Chain:
    chain_id: int
    targets: list  # target names like "A1" (node A, target 1), head first
    version: int = 1

def build_chain_table(cfg):
    # Karpathy: nodes are grouped in threes and target t of each node in a group forms a chain,
    # like design_notes' first table (A1 B1 C1, D1 E1 F1, A2 B2 C2, ...). Simple, but when A dies
    # all of its reads land on B and C; the notes' balanced (BIBD) table fixes that.
    nodes, r = "ABCDEFGHIJKL"[: cfg.num_nodes], cfg.replicas
    groups = [(t, g) for t in range(cfg.targets_per_node) for g in range(0, cfg.num_nodes, r)]
    return [Chain(i, [f"{n}{t + 1}" for n in nodes[g : g + r]]) for i, (t, g) in enumerate(groups)]

@dataclass
class FileLayout:
    inode: int
    chain_ids: list
    chunk_size: int

    def locate(self, chunk_index):
        # Karpathy: no metadata round trip per chunk: the client derives both the chunk id
        # (inode id next to the chunk index) and the chain from the layout it got at open().
        return (self.inode << 32) | chunk_index, self.chain_ids[chunk_index % len(self.chain_ids)]

class CraqCluster:
    def __init__(self, cfg):
        # Karpathy: the whole cluster is plain dicts; `inflight` is the network, `rng` its whims.
        self.cfg, self.rng = cfg, random.Random(cfg.seed)
        self.chains = build_chain_table(cfg)
        self.state = {n: SERVING for c in self.chains for n in c.targets}
        self.store = {n: {} for n in self.state}  # target -> {chunk id -> Replica}
        self.inflight = []  # (kind, chain_id, chain_ver, src, dst, cid, ver, data)
        self.commit_log = {}  # (cid, ver) -> bytes: the first commit of a version fixes its content
        self.acked = Counter()  # cid -> highest version acknowledged to a client
        self.stats = Counter()

    def live(self, chain):
        return [n for n in chain.targets if self.state[n] != OFFLINE]

    def _send(self, kind, chain, src, dst, cid, ver, data=b""):
        self.inflight.append((kind, chain.chain_id, chain.version, src, dst, cid, ver, data))

    def _commit(self, chain, name, cid, ver, data):
        rep = self.store[name].setdefault(cid, Replica())
        if ver > rep.committed_ver:
            rep.committed_ver, rep.committed = ver, data
        if rep.pending_ver is not None and rep.pending_ver <= ver:
            rep.pending_ver = None  # Karpathy: the chunk lock is released here
        # Karpathy: safety check: a version number must never name two different committed contents.
        assert self.commit_log.setdefault((cid, ver), data) == data, "two values committed as one version"
        live = self.live(chain)
        if live[0] == name:
            self.acked[cid] = max(self.acked[cid], ver)  # head committed -> the client gets its ack
        else:
            self._send("ack", chain, name, live[live.index(name) - 1], cid, ver)

    def _advance(self, chain, name, cid):
        # Karpathy: a target holding a pending version pushes it one hop down the chain;
        # the last live target is the tail, so it commits and starts the ack wave back up.
        live, rep = self.live(chain), self.store[name][cid]
        if name != live[-1]:
            self._send("fwd", chain, name, live[live.index(name) + 1], cid, rep.pending_ver, rep.pending)
        else:
            self._commit(chain, name, cid, rep.pending_ver, rep.pending)

    def _push_pending(self, chain):
        # Karpathy: after any chain change, in-flight messages carry a stale version and will be
        # rejected, so every live target re-forwards what it still holds as pending (3FS's
        # "A can keep forwarding the request to C"). Duplicates are harmless: they just get acked.
        for name in self.live(chain):
            for cid, rep in list(self.store[name].items()):
                if rep.pending_ver is not None:
                    self._advance(chain, name, cid)

    def write(self, chain_id, cid, offset, payload):
        chain = self.chains[chain_id]
        head = self.live(chain)[0]
        rep = self.store[head].setdefault(cid, Replica())
        if rep.pending_ver is not None:
            self.stats["write_busy"] += 1  # Karpathy: chunk locked: writes are serialized at the head
            return None
        buf = bytearray(rep.committed.ljust(self.cfg.chunk_size, b"\0"))
        buf[offset : offset + len(payload)] = payload
        # Karpathy: read committed, apply the update, store it as pending u = v + 1. We forward the
        # whole chunk every time; real 3FS sends full chunks only to a syncing successor.
        u = rep.pending_ver = rep.committed_ver + 1
        rep.pending, self.stats["writes"] = bytes(buf), self.stats["writes"] + 1
        self._advance(chain, head, cid)
        return u

    def read(self, chain_id, cid, relaxed=False):
        chain = self.chains[chain_id]
        name = self.rng.choice([n for n in chain.targets if self.state[n] == SERVING])
        rep = self.store[name].get(cid, Replica())
        if rep.pending_ver is None:
            return "ok", rep.committed_ver, rep.committed
        # Karpathy: dirty chunk. Classic CRAQ would ask the tail which version is committed; 3FS
        # answers "busy" and lets the client retry, or hands out the pending bytes if relaxed.
        return ("relaxed", rep.pending_ver, rep.pending) if relaxed else (CHUNK_BUSY, None, None)

    def step(self):
        if not self.inflight:
            return False
        kind, chain_id, cver, src, dst, cid, ver, data = self.inflight.pop(self.rng.randrange(len(self.inflight)))
        chain = self.chains[chain_id]
        # Karpathy: step 1 of the write path: reject a request from an older chain version,
        # and a dead sender's message dies with it (the RDMA read of its data would time out).
        if cver != chain.version or OFFLINE in (self.state[dst], self.state[src]):
            self.stats["stale_dropped"] += 1
            return True
        rep = self.store[dst].setdefault(cid, Replica())
        if kind == "ack":
            if rep.pending_ver == ver:
                self._commit(chain, dst, cid, ver, rep.pending)
        elif self.state[dst] == SYNCING:
            # Karpathy: recovery writes are full-chunk-replace: newest version wins, pending dropped.
            if ver > rep.committed_ver:
                rep.committed_ver, rep.committed = ver, data
                assert self.commit_log.setdefault((cid, ver), data) == data, "two values for one version"
            rep.pending_ver = None
            if kind == "fwd":
                self._send("ack", chain, dst, src, cid, ver)
        elif rep.committed_ver >= ver:
            self._send("ack", chain, dst, src, cid, ver)  # Karpathy: a re-forwarded duplicate
        else:
            assert rep.committed_ver == ver - 1, "a serving replica skipped a version"
            rep.pending_ver, rep.pending = ver, data
            self._advance(chain, dst, cid)
        return True

    def fail_node(self, node):
        for chain in self.chains:
            for name in [n for n in chain.targets if n[0] == node]:
                self.state[name] = OFFLINE
                chain.targets = [n for n in chain.targets if n != name] + [name]  # Karpathy: to the end
                chain.version += 1
                self._push_pending(chain)
        self.stats["failures"] += 1

    def rejoin_node(self, node):
        for chain in self.chains:
            for name in [n for n in chain.targets if n[0] == node]:
                for rep in self.store[name].values():
                    rep.pending_ver = None  # Karpathy: a returning target abandons its pending writes
                self.state[name] = SYNCING
                chain.version += 1
                self._push_pending(chain)
        self.stats["rejoins"] += 1

    def sync_step(self):
        for chain in self.chains:
            live = self.live(chain)
            for src, dst in zip(live, live[1:]):
                if self.state[dst] != SYNCING:
                    continue
                # Karpathy: the dump-chunkmeta comparison: send chunks the successor lacks or holds
                # at an older version. A locked (pending) chunk is skipped: its write will reach
                # the successor anyway, as a full chunk.
                mine, theirs = self.store[src], self.store[dst]
                todo = [c for c, r in mine.items()
                        if r.pending_ver is None and theirs.get(c, Replica()).committed_ver < r.committed_ver]
                for c in todo[:2]:
                    self._send("sync", chain, src, dst, c, mine[c].committed_ver, mine[c].committed)
                    self.stats["sync_chunks"] += 1
                if not todo and all(r.pending_ver is None for r in mine.values()):
                    for c in set(theirs) - set(mine):
                        del theirs[c]  # Karpathy: chunks only the successor has are removed
                    self.state[dst] = SERVING  # Karpathy: sync-done; the chain version rises once more
                    chain.version += 1
                    self._push_pending(chain)

    def drain(self):
        while self.inflight or SYNCING in self.state.values():
            self.sync_step()
            while self.step():
                pass
        # Karpathy: quiescent now, so every serving replica must hold the same committed bytes.
        for chain in self.chains:
            stores = [self.store[n] for n in chain.targets if self.state[n] == SERVING]
            for cid in set().union(*stores):
                views = {(s[cid].committed_ver, s[cid].committed, s[cid].pending_ver) for s in stores}
                assert len(views) == 1 and None in views.pop(), f"replicas differ on chunk {cid}"

def client_read(cluster, chain_id, cid, max_retries=3):
    for _ in range(max_retries):
        status, ver, data = cluster.read(chain_id, cid)
        if status != CHUNK_BUSY:
            return ver, data, False
        cluster.stats["read_busy_retries"] += 1
        # Karpathy: "wait a short interval and retry": here waiting = letting messages move.
        for _ in range(3):
            cluster.step()
    cluster.stats["relaxed_reads"] += 1
    _, ver, data = cluster.read(chain_id, cid, relaxed=True)
    return ver, data, True

def write_file(cluster, layout, data):
    cs = layout.chunk_size
    for index in range((len(data) + cs - 1) // cs):
        cid, chain_id = layout.locate(index)
        while cluster.write(chain_id, cid, 0, data[index * cs : (index + 1) * cs]) is None:
            cluster.step()  # Karpathy: chunk locked by an earlier write: let that one finish
    # Karpathy: a write counts only once the head has committed, i.e. the ack made it back.
    cluster.drain()

def read_range(cluster, layout, offset, length):
    out, cs = bytearray(), layout.chunk_size
    while length > 0:
        # Karpathy: a 48-byte sample can straddle two 64-byte chunks, possibly on two chains.
        index, start = divmod(offset, cs)
        take = min(length, cs - start)
        cid, chain_id = layout.locate(index)
        _, data, _ = client_read(cluster, chain_id, cid)
        out += data[start : start + take]
        offset, length = offset + take, length - take
    return bytes(out)

class ChunkDataset(Dataset):
    def __init__(self, cluster, layout, cfg):
        self.cluster, self.layout, self.cfg = cluster, layout, cfg

    def __len__(self):
        return self.cfg.num_samples

    def __getitem__(self, idx):
        nbytes = self.cfg.seq_len * 4
        raw = read_range(self.cluster, self.layout, idx * nbytes, nbytes)
        # Karpathy: tokens shape [seq_len]. Random access by byte offset, no sequential scan:
        # this is the "random-access data loading" workload 3FS was built for.
        tokens = torch.frombuffer(bytearray(raw), dtype=torch.int32)
        return tokens

def stress(cluster, cfg):
    rng, stats = random.Random(cfg.seed + 1), cluster.stats
    layout = FileLayout(7, [0, 1, 2, 3], cfg.chunk_size)
    chunks = [layout.locate(i) for i in range(8)]
    down = None
    for _ in range(cfg.num_ops):
        op = rng.random()
        cid, chain_id = rng.choice(chunks)
        if op < 0.30:
            cluster.write(chain_id, cid, rng.randrange(cfg.chunk_size - 8), rng.randbytes(8))
        elif op < 0.60:
            acked = cluster.acked[cid]  # Karpathy: what any client may already have been told
            ver, data, relaxed = client_read(cluster, chain_id, cid)
            if not relaxed:
                newest = max(cluster.store[n].get(cid, Replica()).committed_ver
                             for n in cluster.live(cluster.chains[chain_id]))
                assert ver >= acked and ver == newest, "stale read"
                assert data == cluster.commit_log.get((cid, ver), b""), "read bytes do not match the commit"
                stats["strict_reads_checked"] += 1
        elif op < 0.97:
            cluster.step()
        elif op < 0.985 and all(st == SERVING for st in cluster.state.values()):
            # Karpathy: one node down at a time keeps 2 of 3 replicas serving, so no
            # chain ever loses its last copy (3FS's "lastsrv" state covers that case).
            down = rng.choice("ABCDEF"[: cfg.num_nodes])
            cluster.fail_node(down)
        elif op >= 0.985 and down is not None:
            cluster.rejoin_node(down)
            down = None
        cluster.sync_step()
    if down:
        cluster.rejoin_node(down)
    cluster.drain()
    for cid, chain_id in chunks:  # Karpathy: no acknowledged write lost, after all the failures
        assert all(cluster.store[n][cid].committed_ver >= cluster.acked[cid]
                   for n in cluster.live(cluster.chains[chain_id])), "an acknowledged write was lost"
    return stats

def main():
    torch.manual_seed(0)
    cfg = FSConfig()
    cluster = CraqCluster(cfg)
    print("chain table (head -> tail):", [" ".join(c.targets) for c in cluster.chains])
    total = stress(cluster, cfg)
    print(f"stress: {total['writes']} writes started, {total['write_busy']} refused (chunk locked), "
          f"{total['strict_reads_checked']} strict reads checked, {total['read_busy_retries']} busy retries, "
          f"{total['relaxed_reads']} relaxed reads")
    print(f"faults: {total['failures']} node failures, {total['rejoins']} rejoins, "
          f"{total['stale_dropped']} stale/dead messages dropped, {total['sync_chunks']} chunks re-synced")
    print("check: no acked write lost, strict reads return the newest commit, replicas equal: OK")
    # Karpathy: second act: a training set striped over the chains, read through a DataLoader
    # while a node dies mid-epoch and comes back.
    # Karpathy: samples shape [num_samples, seq_len], random token ids below 50_000.
    samples = torch.randint(0, 50_000, (cfg.num_samples, cfg.seq_len), dtype=torch.int32)
    picked = list(range(1, 1 + cfg.stripe_size))  # Karpathy: consecutive chains, then a per-file shuffle
    random.Random(cfg.seed).shuffle(picked)
    layout = FileLayout(42, picked, cfg.chunk_size)
    write_file(cluster, layout, samples.numpy().tobytes())
    order, seen = torch.randperm(cfg.num_samples).tolist(), 0  # Karpathy: a shuffled epoch, known order
    loader = DataLoader(ChunkDataset(cluster, layout, cfg), batch_size=cfg.batch_size, sampler=order)
    for step, batch in enumerate(loader):
        if step == 1:
            cluster.fail_node("B")
        if step == 3:
            cluster.rejoin_node("B")
            cluster.drain()
        assert torch.equal(batch, samples[order[seen : seen + len(batch)]]), "sample corrupted"
        seen += len(batch)  # Karpathy: batch shape [batch_size, seq_len], built sample by sample
    assert seen == cfg.num_samples
    print(f"dataset: {seen} samples in {len(loader)} batches over chains {layout.chain_ids}; node B failed "
          f"and rejoined mid-epoch; chain versions now {[c.version for c in cluster.chains]}")
    print("check: every sample read back through the FS equals what was written: OK")

if __name__ == "__main__":
    main()
# Karpathy: Committed v plus pending v+1 per chunk, tail commits first: any replica serves a strict read of v.
