"""Tests for corpus/07-DualPipe/01-dualpipe_scheduler.py: schedules, bubbles, memory, exact grads."""
import pytest
import torch

from corpus_helpers import load_corpus, requires_cuda, run_demo

REL = "07-DualPipe/01-dualpipe_scheduler.py"
m = load_corpus(REL)
BUILDERS = {"1F1B": (m.program_1f1b, 1), "ZB1P": (m.program_zb1p, 1), "DualPipe": (m.program_dualpipe, 2)}


def schedule(name, cfg):
    build, n_dirs = BUILDERS[name]
    events = m.simulate([m.bind_ops(build(r, cfg), r, cfg) for r in range(cfg.pp)], cfg)
    return events, n_dirs


# Cost models where W <= F and W < B, the regime in which the file's ZB1P order meets its formula.
COSTS = [(1, 2, 1), (1, 3, 1), (2, 3, 1), (2, 4, 2)]
SIZES = [(2, 4), (4, 8), (4, 10), (6, 12), (8, 16), (8, 20)]


@pytest.mark.parametrize("f,b,w", COSTS)
@pytest.mark.parametrize("pp,n", SIZES)
def test_1f1b_and_zb1p_idle_equals_readme_formula_on_every_rank(pp, n, f, b, w):
    cfg = m.PipeConfig(pp=pp, n_micro=n, f=f, b=b, w=w)
    for name in ("1F1B", "ZB1P"):
        events, n_dirs = schedule(name, cfg)
        m.verify(events, cfg, n_dirs)
        makespan, idle, stages, peak = m.stats(events, cfg)
        assert idle == [m.formulas(cfg)[name]] * pp, name
        assert stages == [1] * pp and peak[0] == pp and max(peak) <= pp
        assert makespan == n * (f + b) + m.formulas(cfg)[name]


@pytest.mark.parametrize("f,b,w", COSTS + [(1, 4, 2)])
@pytest.mark.parametrize("pp,n", SIZES + [(8, 24)])
def test_dualpipe_bubble_bound_params_and_activations(pp, n, f, b, w):
    for overlap in range(min(f, b) + 1):
        cfg = m.PipeConfig(pp=pp, n_micro=n, f=f, b=b, w=w, overlap=overlap)
        events, n_dirs = schedule("DualPipe", cfg)
        m.verify(events, cfg, n_dirs)
        makespan, idle, stages, peak = m.stats(events, cfg)
        assert max(idle) <= m.formulas(cfg)["DualPipe"]
        assert stages == [2] * pp  # stage i of one direction, stage PP-1-i of the other
        assert max(peak) == pp + 1
        one_f_one_b = m.stats(schedule("1F1B", cfg)[0], cfg)[0]
        assert makespan < one_f_one_b


def test_unit_cost_dualpipe_worst_rank_hits_formula_exactly():
    for overlap, expected in [(0, 6), (1, 3)]:
        cfg = m.PipeConfig(pp=8, n_micro=20, overlap=overlap)
        assert m.formulas(cfg)["DualPipe"] == expected
        assert max(m.stats(schedule("DualPipe", cfg)[0], cfg)[1]) == expected


def test_dualpipe_rank_program_counts():
    cfg = m.PipeConfig(pp=8, n_micro=16)
    half = cfg.n_micro // 2
    for r in range(cfg.pp):
        assert len(m.program_dualpipe(r, cfg)) == len(m.program_dualpipe(cfg.pp - 1 - r, cfg))
        counts = {}
        for item in m.bind_ops(m.program_dualpipe(r, cfg), r, cfg):
            for kind, d, mb, s in item:
                counts[(kind, d)] = counts.get((kind, d), 0) + 1
        for d in (0, 1):
            assert counts[("F", d)] == half
            assert counts.get(("B", d), 0) + counts.get(("I", d), 0) == half
            assert counts.get(("W", d), 0) == counts.get(("I", d), 0)
        # Zero-bubble style split is used on every rank: PP - 1 - h deferred weight-grads.
        h = min(r, cfg.pp - 1 - r)
        assert counts.get(("W", 0), 0) + counts.get(("W", 1), 0) == cfg.pp - 1 - h


@pytest.mark.parametrize("pp,n", [(3, 12), (4, 6), (4, 9), (8, 14)])
def test_dualpipe_rejects_what_the_real_code_asserts(pp, n):
    with pytest.raises(AssertionError):
        m.program_dualpipe(0, m.PipeConfig(pp=pp, n_micro=n))


def test_verify_catches_broken_schedules():
    cfg = m.PipeConfig(pp=4, n_micro=8)
    events, n_dirs = schedule("DualPipe", cfg)
    m.verify(events, cfg, n_dirs)
    with pytest.raises(AssertionError, match="missing"):
        m.verify(events[:-1], cfg, n_dirs)
    with pytest.raises(AssertionError, match="duplicate"):
        m.verify(events + events[-1:], cfg, n_dirs)
    # Move the last forward on the last rank of direction 0 to time 0: its input is not ready yet.
    i = max(k for k, e in enumerate(events) if e[0] == 3 and e[3][0][:2] == ("F", 0) and len(e[3]) == 1)
    r, start, end, ops = events[i]
    moved = events[:i] + [(r, 0, end - start, ops)] + events[i + 1:]
    with pytest.raises(AssertionError, match="order broken|two things"):
        m.verify(moved, cfg, n_dirs)
    # A program that asks for a backward before any forward can never run.
    bad = [m.bind_ops(m.program_1f1b(r, cfg), r, cfg) for r in range(cfg.pp)]
    bad[0] = bad[0][::-1]
    with pytest.raises(AssertionError, match="deadlock"):
        m.simulate(bad, cfg)


def test_simulate_rejects_impossible_costs():
    with pytest.raises(AssertionError):
        m.simulate([[] for _ in range(4)], m.PipeConfig(pp=4, n_micro=8, overlap=2))


@pytest.mark.parametrize("pp,n", [(4, 8), (6, 12)])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_replay_gradients_equal_autograd(name, pp, n):
    cfg = m.PipeConfig(pp=pp, n_micro=n)
    events, n_dirs = schedule(name, cfg)
    loss, grads = m.run_torch(events, cfg, n_dirs, seed=3)
    ref_loss, ref = m.reference_grads(cfg, seed=3)
    assert grads.shape == (pp, cfg.d_model, cfg.d_model)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    torch.testing.assert_close(grads, ref, rtol=1e-5, atol=1e-5)


def test_draw_shows_one_row_per_rank_and_bubbles():
    cfg = m.PipeConfig(pp=8, n_micro=20)
    for name in ("1F1B", "DualPipe"):
        events, _ = schedule(name, cfg)
        rows = m.draw(events, cfg).splitlines()
        makespan, idle, _, _ = m.stats(events, cfg)
        assert len(rows) == cfg.pp
        assert all(len(row.split(": ")[1]) == makespan for row in rows)
        assert [row.split(": ")[1].count(".") for row in rows] == idle


@pytest.mark.parametrize("f,b,w", [(1, 2, 1), (2, 3, 1)])
def test_timeline_marks_fb_pairs_distinctly(f, b, w):
    cfg = m.PipeConfig(pp=4, n_micro=8, f=f, b=b, w=w)
    events, _ = schedule("DualPipe", cfg)
    pic = m.draw(events, cfg)
    pairs = [e for e in events if len(e[3]) == 2]
    assert pairs and pic.count("X") + pic.count("x") == len(pairs) * f
    # each pair's cells read X (or x) then '=' and nothing else: never the F-then-B letters
    for r, start, end, ops in pairs:
        cells = pic.splitlines()[r].split(": ", 1)[1][start:end]
        mark = "X" if ops[0][1] == 0 else "x"
        assert cells == mark * f + "=" * (end - start - f), cells
    plain, _ = schedule("1F1B", cfg)
    assert not any(c in m.draw(plain, cfg) for c in "Xx=")


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "1F1B timeline" in out and "DualPipe timeline" in out
    assert out.count("OK") == 6
    assert "X== / x== one F&B pair" in out and "check: the DualPipe timeline marks all" in out
    assert "DualPipe replay on a 4-stage tanh MLP" in out


@pytest.mark.gpu
@requires_cuda
def test_replay_on_cuda_matches_autograd_and_cpu():
    cfg = m.PipeConfig(pp=8, n_micro=20, d_model=64, micro_batch=16)
    events, n_dirs = schedule("DualPipe", cfg)
    loss, grads = m.run_torch(events, cfg, n_dirs, device="cuda")
    ref_loss, ref = m.reference_grads(cfg, device="cuda")
    assert grads.is_cuda
    torch.testing.assert_close(grads, ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(grads.cpu(), m.reference_grads(cfg)[1], rtol=1e-3, atol=1e-4)
