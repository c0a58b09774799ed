"""Tests for corpus/00-3FS/02-chain_table_placement.py (3FS chunk striping and chain tables)."""
import itertools
import random
from collections import Counter
from fractions import Fraction

import pytest
import torch

from corpus_helpers import load_corpus, run_demo

REL = "00-3FS/02-chain_table_placement.py"


@pytest.fixture(scope="module")
def pl():
    return load_corpus(REL)


@pytest.fixture(scope="module")
def cfg(pl):
    return pl.PlacementConfig()


def _nodes(cfg, pl):
    return pl.NODES[: cfg.num_nodes]


def test_tables_keep_the_basic_invariants(pl, cfg):
    naive, balanced = pl.naive_chain_table(cfg), pl.balanced_chain_table(cfg)
    for table in (naive, balanced, pl.parse_table(pl.DESIGN_NOTES_BALANCED)):
        assert len(table) == 10  # 6 nodes x 5 targets / 3 replicas (design_notes example)
        pl.check_table(table, cfg)
        assert all(len({t[0] for t in chain}) == 3 for chain in table)
        assert set(Counter(t[0] for c in table for t in c).values()) == {5}
    # check_table must reject a chain with two replicas on one node
    bad = [tuple(c) for c in naive]
    bad[0] = ("A1", "A2", "C1")
    with pytest.raises(AssertionError):
        pl.check_table(bad, cfg)


def test_published_table_is_quoted_verbatim_and_is_not_balanced(pl, cfg):
    # deepseek-ai/3FS docs/design_notes.md prints chain 8 as `B5 C4 E4` and chain 9 as `A5 C5 D4`.
    published = pl.parse_table(pl.DESIGN_NOTES_BALANCED)
    assert published[7] == ("B5", "C4", "E4") and published[8] == ("A5", "C5", "D4")
    a = pl.recovery_share_reference(published, "A")
    assert a == {"B": Fraction(1, 5), "C": Fraction(1, 5), "D": Fraction(3, 10), "E": Fraction(1, 10),
                 "F": Fraction(1, 5)}
    b = pl.recovery_share_reference(published, "B")
    assert b["E"] == Fraction(3, 10) and b["D"] == Fraction(1, 10)
    pairs = pl.pair_counts(published)
    assert pairs[("A", "D")] == 3 and pairs[("A", "E")] == 1


def test_one_swap_repairs_the_published_table(pl, cfg):
    repaired = pl.swap_targets(pl.parse_table(pl.DESIGN_NOTES_BALANCED), "D4", "E4")
    pl.check_table(repaired, cfg)
    assert set(pl.pair_counts(repaired).values()) == {2}
    for x in _nodes(cfg, pl):
        assert set(pl.recovery_share_reference(repaired, x).values()) == {Fraction(1, 5)}


def test_balanced_table_gives_each_survivor_one_fifth(pl, cfg):
    repaired = pl.swap_targets(pl.parse_table(pl.DESIGN_NOTES_BALANCED), "D4", "E4")
    for table in (pl.balanced_chain_table(cfg), repaired):
        for x in _nodes(cfg, pl):
            shares = pl.recovery_share_reference(table, x)
            assert shares == {y: Fraction(1, 5) for y in _nodes(cfg, pl) if y != x}
        # every pair of nodes shares exactly lambda = 2 chains
        pairs = Counter(p for c in table for p in itertools.combinations(sorted(t[0] for t in c), 2))
        assert set(pairs.values()) == {2} and len(pairs) == 15


def test_naive_table_fails_the_balance_check(pl, cfg):
    naive = pl.naive_chain_table(cfg)
    for x in _nodes(cfg, pl):
        shares = pl.recovery_share_reference(naive, x)
        assert len(shares) == 2 and set(shares.values()) == {Fraction(1, 2)}
    R = pl.recovery_matrix(naive, cfg)
    assert R.max().item() == pytest.approx(0.5)


def test_recovery_matrix_matches_reference(pl, cfg):
    for table in (pl.naive_chain_table(cfg), pl.balanced_chain_table(cfg)):
        R = pl.recovery_matrix(table, cfg)
        assert R.shape == (cfg.num_nodes, cfg.num_nodes)
        for x, xn in enumerate(_nodes(cfg, pl)):
            ref = pl.recovery_share_reference(table, xn)
            expect = torch.tensor([float(ref.get(yn, 0)) for yn in _nodes(cfg, pl)], dtype=torch.float64)
            assert torch.allclose(R[x], expect, atol=1e-12)
            assert R[x].sum().item() == pytest.approx(1.0)  # all of x's reads land somewhere


def test_search_generalizes_to_the_fano_plane(pl):
    # 7 nodes, 3 targets each, 3 replicas: a 2-(7,3,1) design, every pair shares exactly one chain
    cfg = pl.PlacementConfig(num_nodes=7, targets_per_node=3)
    table = pl.balanced_chain_table(cfg)
    pl.check_table(table, cfg)
    assert len(table) == 7
    for x in pl.NODES[:7]:
        assert set(pl.recovery_share_reference(table, x).values()) == {Fraction(1, 6)}
    with pytest.raises(AssertionError):
        pl.balanced_chain_table(pl.PlacementConfig(num_nodes=6, targets_per_node=4))  # 6*4/3 ok, 4*2/5 not


def test_striping_even_unique_and_stable(pl, cfg):
    meta, rng = pl.MetaService(cfg), random.Random(1)
    files = [meta.create_file(rng.randint(1, 100 * cfg.chunk_size)) for _ in range(30)]
    ids = set()
    starts = []
    for layout, n in files:
        chains = layout.chains()
        assert sorted(chains) == sorted((layout.first_chain + i) % 10 for i in range(cfg.stripe_size))
        per_chain = Counter(layout.locate(i)[1] for i in range(n))
        assert max(per_chain.values()) - min(per_chain.values()) <= 1
        cids = [layout.locate(i)[0] for i in range(n)]
        assert all(cid >> 32 == layout.inode and cid & 0xFFFFFFFF == i for i, cid in enumerate(cids))
        assert ids.isdisjoint(cids)
        ids.update(cids)
        again = pl.FileLayout(layout.inode, layout.first_chain, layout.stripe_size, layout.shuffle_seed, 10)
        assert [again.locate(i) for i in range(n)] == [layout.locate(i) for i in range(n)]
        starts.append(layout.first_chain)
    # round-robin: consecutive files take consecutive ranges, so every chain is used as often
    assert starts[:5] == [0, 4, 8, 2, 6]
    slots = Counter((s + i) % 10 for s in starts for i in range(cfg.stripe_size))
    assert set(slots.values()) == {12}  # 30 files x 4 chains / 10 chains
    # a file size of exactly k chunks needs k chunks; one byte more needs k+1
    assert meta.create_file(3 * cfg.chunk_size)[1] == 3 and meta.create_file(3 * cfg.chunk_size + 1)[1] == 4


def test_sampler_and_replayed_reads(pl, cfg):
    s = pl.RandomChunkSampler(50, 3, seed=0)
    order = list(s)
    assert len(order) == len(s) == 150
    for e in range(3):
        assert sorted(order[50 * e : 50 * (e + 1)]) == list(range(50))
    assert order[:50] != order[50:100]  # a fresh order per epoch
    table = pl.naive_chain_table(cfg)
    reads = [c for c in range(10) for _ in range(300)]
    healthy = pl.epoch_node_reads(table, cfg, reads)
    down = pl.epoch_node_reads(table, cfg, reads, failed="A")
    assert down[0] == 0 and down.sum() == healthy.sum() == len(reads)
    assert torch.equal(down[3:], healthy[3:])  # D, E, F never share a chain with A in the naive table
    assert (down[1:3] - healthy[1:3]).sum() == healthy[0]  # A's reads all go to B and C


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("check:") == 6 and out.count(": OK") == 6
    assert "every survivor exactly 1/5" in out
    assert "A fails: B 1/5, C 1/5, D 3/10, E 1/10, F 1/5" in out
    assert "busiest survivor at 1.50x" in out and "busiest survivor at 1.20x" in out
