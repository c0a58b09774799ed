"""Tests for corpus/04-DeepSeek-OCR/01-visual_compression.py (DeepEncoder at toy scale)."""
import math

import pytest
import torch
import torch.nn.functional as F

from corpus_helpers import CORPUS, load_corpus, requires_cuda, run_demo

REL = "04-DeepSeek-OCR/01-visual_compression.py"


@pytest.fixture(scope="module")
def ocr():
    return load_corpus(REL)


def test_mode_token_counts_match_published(ocr):
    # Tiny / Small / Base / Large from the README and the paper's mode table.
    assert {name: ocr.mode_vision_tokens(size) for name, (size, _) in ocr.PUBLISHED.items()} == {
        "Tiny": 64, "Small": 100, "Base": 256, "Large": 400}
    # deepseek_ocr.py counts a newline per row plus one view separator: 16 * 17 + 1 for Base.
    assert ocr.mode_vision_tokens(1024, with_layout=True) == 273
    for n in range(2, 10):
        assert ocr.gundam_tokens(n) == n * 100 + 256


@pytest.mark.parametrize("image_size", [256, 192])
def test_sixteen_x_token_reduction(ocr, image_size):
    torch.manual_seed(0)
    cfg = ocr.OCRConfig(image_size=image_size)
    enc = ocr.DeepEncoder(cfg).eval()
    with torch.no_grad():
        tokens, n_patches = enc(torch.randn(1, 3, image_size, image_size))
    side = image_size // cfg.patch_size
    assert n_patches == side * side
    assert tokens.shape == (1, n_patches // 16, cfg.n_embed)
    assert n_patches == 16 * tokens.shape[1]
    assert enc.layout(tokens[0]).shape == ((side // 4) * (side // 4 + 1) + 1, cfg.n_embed)


@pytest.mark.parametrize("grid,window", [(16, 4), (12, 3), (8, 8)])
def test_window_attention_equals_block_diagonal_full_attention(ocr, grid, window):
    torch.manual_seed(1)
    attn = ocr.Attention(32, 4).eval()
    x = torch.randn(2, grid, grid, 32)
    with torch.no_grad():
        windows, padded = ocr.window_partition(x, window)
        w_out = ocr.window_unpartition(attn(windows), window, padded, (grid, grid))
        full = attn(x.reshape(2, grid * grid, 32), ocr.block_diagonal_mask(grid, grid, window))
    torch.testing.assert_close(w_out.reshape(2, grid * grid, 32), full, atol=1e-5, rtol=1e-5)
    # and the mask really restricts: without it the answer differs (unless one window covers all)
    with torch.no_grad():
        unmasked = attn(x.reshape(2, grid * grid, 32))
    assert (window == grid) == torch.allclose(unmasked, full, atol=1e-5)


def test_window_partition_roundtrip_with_padding(ocr):
    x = torch.randn(1, 10, 7, 5)
    windows, padded = ocr.window_partition(x, 4)
    assert padded == (12, 8) and windows.shape == (6, 16, 5)
    assert torch.equal(ocr.window_unpartition(windows, 4, padded, (10, 7)), x)


def test_compressor_is_two_strided_convs_equal_to_one_7x7_stride4(ocr):
    torch.manual_seed(2)
    comp = ocr.TokenCompressor(8, 16, 24)
    convs = [m for m in comp.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size, c.stride, c.padding) for c in convs] == [((3, 3), (2, 2), (1, 1))] * 2
    assert not any(isinstance(m, torch.nn.MultiheadAttention) for m in comp.modules())
    x = torch.randn(2, 8, 16, 16)
    with torch.no_grad():
        y = comp(x)
        y1 = F.conv2d(x, comp.as_single_conv(), stride=4, padding=3)
    assert y.shape == (2, 24, 4, 4)
    torch.testing.assert_close(y, y1, atol=1e-5, rtol=1e-5)


def test_compressor_is_local(ocr):
    # A conv token sees a 7x7 neighbourhood; cross-attention would let every query see everything.
    torch.manual_seed(3)
    comp = ocr.TokenCompressor(4, 8, 8)
    x = torch.randn(1, 4, 16, 16)
    x2 = x.clone()
    x2[:, :, 0, 0] += 10.0
    with torch.no_grad():
        changed = (comp(x) - comp(x2)).abs().sum(1)[0] > 0
    assert changed[0, 0] and changed.sum() == 1


def test_sam_stage_mixes_globally_before_the_compressor(ocr):
    # SAM-base's blocks 2, 5, 8, 11 are global over all patches: long-range mixing starts in SAM,
    # the compressor is the only local stage (deepseek-ai/DeepSeek-OCR sam_vary_sdpa.py).
    torch.manual_seed(4)
    cfg = ocr.OCRConfig()
    assert cfg.global_blocks and max(cfg.global_blocks) < cfg.sam_depth
    enc = ocr.DeepEncoder(cfg).eval()
    image = torch.randn(1, 3, cfg.image_size, cfg.image_size)
    poked = image.clone()
    poked[..., :16, :16] += 1.0
    with torch.no_grad():
        moved = (enc.sam_stage(poked) - enc.sam_stage(image)).abs().amax(-1)[0]
    assert (moved > 0).all()  # every patch, the far corner included, felt the poke
    # with windows only (no global block), the far corner would not move
    local = ocr.DeepEncoder(ocr.OCRConfig(global_blocks=())).eval()
    with torch.no_grad():
        far = (local.sam_stage(poked) - local.sam_stage(image))[0, -1, -1].abs().max()
    assert far == 0


def test_header_names_the_dense_rel_pos_mask():
    header = ocr_source().split('"""')[1]
    assert "all long-range mixing happens in the next stage" not in header
    assert header.count("use_rel_pos=True") == 2  # the caveat and the list of what the toy leaves out
    assert "materialised" in header and "blocks 2, 5, 8 and 11" in header


def ocr_source() -> str:
    return (CORPUS / REL).read_text(encoding="utf-8")


def test_attention_memory_numbers(ocr):
    assert ocr.attention_matrix_bytes(4096, 16) == 512 * 2**20
    assert ocr.attention_matrix_bytes(4096, 16) == 256 * ocr.attention_matrix_bytes(256, 16)
    # 64x64 grid, window 14 -> padded 70x70 -> 25 windows of 196 tokens
    assert ocr.window_attention_bytes(64, 14, 12) == 25 * 196 * 196 * 12 * 2


def test_demo_runs():
    proc = run_demo(REL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in ("check: tokens in (256) == 16 x tokens out (16) OK",
                 "check: window attention == full attention with a block-diagonal mask OK",
                 "check: mode token counts == published",
                 "~97%", "~60%", "256x less", "always materialised: the use_rel_pos bias is a dense mask",
                 "check: SAM's global block mixes the whole page; only the compressor is local OK"):
        assert line in out, line


@pytest.mark.gpu
@requires_cuda
def test_deep_encoder_on_cuda_bf16_matches_fp32():
    ocr = load_corpus(REL)
    torch.manual_seed(0)
    cfg = ocr.OCRConfig()
    enc = ocr.DeepEncoder(cfg).eval()
    image = torch.randn(2, 3, cfg.image_size, cfg.image_size)
    with torch.no_grad():
        ref, _ = enc(image)
        enc_gpu = enc.to("cuda", torch.bfloat16)
        out, n_patches = enc_gpu(image.to("cuda", torch.bfloat16))
    assert n_patches == 16 * out.shape[1]
    rel = (out.float().cpu() - ref).norm() / ref.norm()
    print(f"bf16 CUDA vs fp32 CPU relative error {rel:.3e}")
    assert rel < 5e-2
    # window == masked full attention also holds on the GPU (fp32)
    attn = ocr.Attention(32, 4).cuda().eval()
    x = torch.randn(1, 16, 16, 32, device="cuda")
    with torch.no_grad():
        w, padded = ocr.window_partition(x, 4)
        a = ocr.window_unpartition(attn(w), 4, padded, (16, 16)).reshape(1, 256, 32)
        b = attn(x.reshape(1, 256, 32), ocr.block_diagonal_mask(16, 16, 4).cuda())
    assert math.isclose(float((a - b).abs().max()), 0.0, abs_tol=1e-4)
