"""Benchmarks: the plain loop really is ganlab's arithmetic, the timing harness is fair, and the
quick command writes its report."""

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

import ganlab
from benchmarks import quality, run, throughput
from ganlab import nets
from ganlab.ema import EMA


@pytest.fixture(autouse=True)
def one_thread():
    """These models are tiny: one thread is fastest, and on a busy machine two threads
    spin-waiting for each other make every small op many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tiny(n_critic=1, gp_weight=0.0):
    def build():
        G = ganlab.nets.mlp_generator(8, (16,), (1, 4, 4), norm=nn.LayerNorm)
        D = ganlab.nets.mlp_discriminator((1, 4, 4), (16,), act=lambda: nn.LeakyReLU(0.2), norm=nn.LayerNorm)
        return G, D
    return throughput.Case("tiny", build, (1, 4, 4), 8, n_critic=n_critic, gp_weight=gp_weight, batch_size=8)


def _params(G, D):
    return list(G.parameters()) + list(D.parameters())


def _train_both(case, steps):
    G, D = case.models()
    data = case.data(40)  # 5 batches per epoch: the runs cross epoch boundaries
    loops = {}
    for name, make in (("ganlab", throughput.ganlab_loop), ("plain", throughput.plain_loop)):
        G1, D1 = copy.deepcopy(G), copy.deepcopy(D)
        run_ = make(case, G1, D1, data)
        torch.manual_seed(123)  # same z and ε draws for both loops
        assert run_(steps) == steps * case.n_critic * case.batch_size  # real images consumed
        loops[name] = (G1, D1)
    return loops


def test_plain_loop_matches_ganlab_train_bce():
    loops = _train_both(_tiny(), steps=7)
    for a, b in zip(_params(*loops["ganlab"]), _params(*loops["plain"])):
        torch.testing.assert_close(a, b)


def test_plain_loop_matches_ganlab_train_wgan_gp():
    case = _tiny(n_critic=3, gp_weight=10.0)
    loops = _train_both(case, steps=4)
    for new, old in zip(loops["ganlab"], case.models()):  # both players moved
        assert any(not torch.equal(a, b) for a, b in zip(new.parameters(), old.parameters()))
    for a, b in zip(_params(*loops["ganlab"]), _params(*loops["plain"])):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("case", throughput.CASES, ids=lambda c: c.name)
def test_cases_build_models_for_their_image_shape(case):
    G, D = case.models()
    fake = G(torch.randn(2, case.latent_dim))
    assert fake.shape == (2, *case.shape) and D(fake).shape == (2,)


def test_interleaved_alternates_order_and_counts_images():
    calls = []

    def fake(name, images_per_unit):
        def run_(n):
            calls.append(name)
            return n * images_per_unit
        return run_

    rates = throughput.interleaved({"a": fake("a", 2), "b": fake("b", 3)}, seconds=0.01, reps=4)
    assert calls[-8:] == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert len(rates["a"]) == len(rates["b"]) == 4 and min(rates["a"] + rates["b"]) > 0


def test_paired_ratio_is_median_of_pairs():
    assert throughput.paired_ratio([2.0, 4.0, 9.0], [1.0, 2.0, 3.0]) == 2.0  # pairs 2, 2, 3
    assert throughput.paired_ratio([1.0, 10.0, 3.0], [1.0, 2.0, 3.0]) == 1.0  # pairs 1, 5, 1; not 3 / 2


def test_quality_target_needs_every_part():
    good = {"covered": 10, "kl": 0.01, "recognisable": 0.9}
    assert all(met(good) for met in quality.TARGET.values())
    for part, worse in (("covered", 9), ("kl", 0.05), ("recognisable", 0.84)):
        assert not all(met(good | {part: worse}) for met in quality.TARGET.values())


def test_quality_samples_come_from_the_ema_copy_when_there_is_one():
    ganlab.seed_everything(0)
    G = nets.conv_generator(8, size=28, channels=1, width=4)
    D = nets.conv_discriminator(size=28, channels=1, width=4)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8)
    average = EMA(G, decay=0.9)
    with torch.no_grad():
        next(average.G.parameters()).mul_(-1)  # the copy now differs from G
    torch.manual_seed(1)
    got = quality.samples(gan, average, 5)  # (5, 1, 28, 28)
    torch.manual_seed(1)
    z = gan.sample_z(5)  # the same seeds
    with torch.no_grad():
        assert torch.equal(got, average.G.eval()(z))
    assert not torch.allclose(got, gan.generate(z=z))  # not G's own samples


def test_run_quick_writes_machine_and_throughput_tables(tmp_path):
    out = tmp_path / "quick.md"
    text = run.main(["--quick", "--only", "throughput", "--cases", "MLP-MNIST", "--threads", "1",
                     "--out", str(out)])
    assert out.read_text() == text
    assert f"| torch | {torch.__version__} |" in text and "load average" in text
    assert "on 1 torch thread(s)" in text and "| torch threads | 1 |" in text
    assert "| MLP-MNIST | 64 | 1 |" in text and "a step passed to `train`" in text
    assert "GPU: none measured" in text


def test_run_quick_mixtures_section_summarises_its_own_table(tmp_path):
    text = run.main(["--quick", "--only", "mixtures", "--out", str(tmp_path / "m.md")])
    assert "## 4. 2-D mode coverage" in text and "seeds 0–1" in text
    rows = {}  # (mixture, G) -> the table's median HQ, as printed
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == 11 and cells[0] in ("ring8", "grid25"):
            assert cells[2] == "300" and cells[3] == "2"  # the quick plan's steps and seeds
            rows[cells[0], cells[4]] = cells[7].split()[0]
    assert len(rows) == 4
    summary = next(line for line in text.splitlines() if line.startswith("| 2-D mixtures"))
    for name in ("ring8", "grid25"):
        assert f"{name} " in summary and f"{rows[name, 'ema']} % HQ" in summary  # the EMA row's median


def test_face_scores_of_real_faces_against_themselves_are_perfect():
    judge = ganlab.judges.face_judge(quick=True, verbose=False)
    real = ganlab.data.synthetic_faces(200, size=32, seed=3).tensors[0]  # (200, 3, 32, 32)
    got = quality._face_scores(real, real, judge, floor_fid=1.0)
    assert got["precision"] == got["recall"] == got["coverage"] == 1.0
    assert got["worst"] == 0.0 and got["fid_ratio"] < 1e-3  # same rates, same feature distribution


def test_run_quick_faces_section_summarises_its_own_table(tmp_path):
    text = run.main(["--quick", "--only", "faces", "--out", str(tmp_path / "f.md")])
    assert "## 5. Faces" in text and "each trained 2 s" in text
    rows = {}  # model -> (precision, recall, FID / floor), as printed
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == 9 and cells[0] == "0":
            rows[cells[1]] = (cells[4], cells[5], cells[7])
    assert set(rows) == {"real", "MLP", "DCGAN"} and rows["real"][2] == "1.0"
    summary = next(line for line in text.splitlines() if line.startswith("| faces at 2 training s"))
    dc, mlp = rows["DCGAN"], rows["MLP"]
    assert f"{dc[0]} / {mlp[0]}; {dc[1]} / {mlp[1]}; {dc[2]} / {mlp[2]}" in summary  # one seed: its own row


def test_run_uses_one_thread_unless_told(monkeypatch):
    monkeypatch.delenv("GANLAB_THREADS", raising=False)
    torch.set_num_threads(2)
    assert run.set_threads(None) == 1
    monkeypatch.setenv("GANLAB_THREADS", "2")
    assert run.set_threads(None) == 2
    assert run.set_threads(3) == 3  # --threads wins


def test_run_reports_a_failed_section_and_keeps_the_others(tmp_path, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no MNIST here")

    monkeypatch.setattr(quality, "dcgan_mnist", broken)
    text = run.main(["--quick", "--only", "quality,throughput", "--cases", "MLP-MNIST",
                     "--out", str(tmp_path / "q.md")])
    assert "## quality: FAILED" in text and "RuntimeError: no MNIST here" in text
    assert "| MLP-MNIST | 64 | 1 |" in text


def test_dcgan_cap_flag_reaches_the_quality_run(tmp_path, monkeypatch):
    seen = {}

    def record(**kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(quality, "dcgan_mnist", record)
    run.main(["--only", "quality", "--dcgan-cap", "1800", "--out", str(tmp_path / "q.md")])
    assert seen["cap_s"] == 1800 and seen["width"] == run.FULL.dcgan_width
    assert seen["check_every_s"] == 90  # at most 20 checks in a long run


def _summary_table(text):
    lines = text.splitlines()
    start = lines.index("| measure | result | target |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_results_page_quotes_the_committed_benchmark_summary_verbatim():
    root = Path(__file__).parent.parent
    summary = _summary_table((root / "benchmarks" / "RESULTS.md").read_text())
    assert _summary_table((root / "docs" / "results.md").read_text()) == summary
