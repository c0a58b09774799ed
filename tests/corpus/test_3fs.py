"""Tests for corpus/00-3FS/01-chain_replication.py (CRAQ chain replication in 3FS)."""
import pytest
import torch
from torch.utils.data import DataLoader

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "00-3FS/01-chain_replication.py"


@pytest.fixture(scope="module")
def fs():
    return load_corpus(REL)


def test_chain_table_and_layout(fs):
    cfg = fs.FSConfig()
    chains = fs.build_chain_table(cfg)
    assert len(chains) == cfg.num_nodes * cfg.targets_per_node // cfg.replicas
    targets = [t for c in chains for t in c.targets]
    assert len(targets) == len(set(targets)) == cfg.num_nodes * cfg.targets_per_node
    assert all(len({t[0] for t in c.targets}) == cfg.replicas for c in chains)  # replicas on distinct nodes
    layout = fs.FileLayout(5, [2, 0, 3], 64)
    assert [layout.locate(i)[1] for i in range(6)] == [2, 0, 3, 2, 0, 3]
    assert layout.locate(7)[0] == (5 << 32) | 7


def test_pending_read_gets_busy_status_and_relaxed_read_sees_it(fs):
    cluster = fs.CraqCluster(fs.FSConfig())
    cid = 1
    assert cluster.write(0, cid, 0, b"hello") == 1
    cluster.step()  # head -> middle delivered: A1 and B1 pending, C1 still at version 0
    head = cluster.store["A1"][cid]
    assert head.pending_ver == head.committed_ver + 1 == 1
    assert cluster.write(0, cid, 0, b"again") is None  # chunk locked at the head
    statuses = {cluster.read(0, cid)[0] for _ in range(60)}
    assert statuses == {"ok", fs.CHUNK_BUSY}
    relaxed = {cluster.read(0, cid, relaxed=True)[1] for _ in range(60)}
    assert 1 in relaxed
    cluster.drain()
    assert cluster.acked[cid] == 1
    assert all(cluster.store[t][cid].committed.startswith(b"hello") for t in ("A1", "B1", "C1"))


def test_middle_failure_moves_target_to_end_and_write_survives(fs):
    cluster = fs.CraqCluster(fs.FSConfig())
    cluster.write(0, 9, 0, b"data")
    v0 = cluster.chains[0].version
    cluster.fail_node("B")  # the forward to B1 is in flight and will be rejected as stale
    assert cluster.chains[0].targets == ["A1", "C1", "B1"] and cluster.chains[0].version > v0
    while cluster.step():
        pass
    assert cluster.acked[9] == 1 and cluster.store["C1"][9].committed.startswith(b"data")
    assert cluster.stats["stale_dropped"] >= 1


def test_rejoin_recovers_by_full_chunk_copy(fs):
    cluster = fs.CraqCluster(fs.FSConfig())
    cluster.fail_node("C")
    for cid in range(5):
        cluster.write(0, cid, 3, bytes([cid + 1]) * 4)
    cluster.drain()
    assert all(cid not in cluster.store["C1"] for cid in range(5))
    v = cluster.chains[0].version
    cluster.rejoin_node("C")
    assert cluster.state["C1"] == fs.SYNCING and cluster.chains[0].version == v + 1
    cluster.drain()
    assert cluster.state["C1"] == fs.SERVING and cluster.stats["sync_chunks"] == 5
    assert all(cluster.store["C1"][c].committed == cluster.store["A1"][c].committed for c in range(5))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_random_ops_with_faults_keep_invariants(fs, seed):
    cfg = fs.FSConfig(seed=seed, num_ops=3000)
    cluster = fs.CraqCluster(cfg)
    stats = fs.stress(cluster, cfg)
    assert stats["failures"] > 0 and stats["strict_reads_checked"] > 500 and stats["read_busy_retries"] > 0


def test_reading_dirty_replicas_would_be_caught(fs):
    class NaiveReads(fs.CraqCluster):
        def read(self, chain_id, cid, relaxed=False):  # ignore pending: plain "read any replica"
            chain = self.chains[chain_id]
            name = self.rng.choice([n for n in chain.targets if self.state[n] == fs.SERVING])
            rep = self.store[name].get(cid, fs.Replica())
            return "ok", rep.committed_ver, rep.committed

    cfg = fs.FSConfig(num_ops=3000)
    with pytest.raises(AssertionError, match="stale read"):
        fs.stress(NaiveReads(cfg), cfg)


def test_dataset_random_access_through_the_fs(fs):
    cfg = fs.FSConfig()
    cluster = fs.CraqCluster(cfg)
    samples = torch.arange(cfg.num_samples * cfg.seq_len, dtype=torch.int32).view(cfg.num_samples, cfg.seq_len)
    layout = fs.FileLayout(3, [3, 1], cfg.chunk_size)
    fs.write_file(cluster, layout, samples.numpy().tobytes())
    ds = fs.ChunkDataset(cluster, layout, cfg)
    assert torch.equal(ds[7], samples[7]) and torch.equal(ds[cfg.num_samples - 1], samples[-1])
    cluster.fail_node("D")  # chain 1 = D1 E1 F1 loses its head; reads go to the others
    got = torch.cat(list(DataLoader(ds, batch_size=cfg.batch_size)))
    assert torch.equal(got, samples)


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "check: no acked write lost" in proc.stdout
    assert "check: every sample read back through the FS equals what was written: OK" in proc.stdout


@pytest.mark.gpu
@requires_cuda
def test_dataset_batches_land_on_gpu_intact(fs):
    cfg = fs.FSConfig()
    cluster = fs.CraqCluster(cfg)
    samples = torch.randint(0, 1000, (cfg.num_samples, cfg.seq_len), dtype=torch.int32)
    layout = fs.FileLayout(1, [0, 1, 2], cfg.chunk_size)
    fs.write_file(cluster, layout, samples.numpy().tobytes())
    loader = DataLoader(fs.ChunkDataset(cluster, layout, cfg), batch_size=cfg.batch_size, pin_memory=True)
    got = torch.cat([b.cuda(non_blocking=True) for b in loader])
    assert torch.equal(got.cpu(), samples)
