"""
Module: DeepSeek-OCR DeepEncoder - optical context compression

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
This is the vision side of DeepSeek-OCR (arXiv:2510.18234). In the real code it lives in
deepseek-ai/DeepSeek-OCR under DeepSeek-OCR-master/DeepSeek-OCR-vllm/: deepencoder/sam_vary_sdpa.py
(build_sam_vit_b, whose net_2 and net_3 are the compressor), deepencoder/clip_sdpa.py (build_clip_l)
and deepseek_ocr.py (glue, projector, newline and separator tokens, token count). The model's
forward pass calls the encoder on every page image and hands the projected vision tokens, in place
of the image placeholder, to the DeepSeek3B-MoE-A570M decoder, which writes the text back out.
This teaching version keeps the shape flow at toy scale and leaves out the SAM neck's 3x3 conv,
SAM's decomposed relative-position bias (use_rel_pos=True), pretrained weights, position-table
resizing, Gundam tiling itself and the decoder.

** Function List **
OCRConfig(image_size, patch_size, sam_dim, sam_heads, sam_depth, window, global_blocks, neck_dim, mid_dim, clip_dim, clip_heads, clip_depth, n_embed) - Toy sizes, real ones cited
attention(q, k, v, mask=None) - Plain softmax attention; the reference everything is checked against
window_partition(x, window) - Pad the patch grid and cut it into window x window groups
window_unpartition(windows, window, padded_hw, hw) - Inverse of `window_partition`, padding cropped
block_diagonal_mask(grid_h, grid_w, window) - Boolean mask: token i may see token j iff same window
Attention(dim, n_heads) - Multi-head self-attention with an optional boolean mask
Attention.forward(x, mask=None) - [batch, seq, dim] -> [batch, seq, dim]
SAMBlock(dim, n_heads, window) - Pre-LN ViT block; window > 0 means window attention, 0 means global
SAMBlock.forward(x) - [batch, grid_h, grid_w, dim] -> same shape
TokenCompressor(neck_dim, mid_dim, out_dim) - The 16x compressor: two stride-2 3x3 convs, no cross-attention
TokenCompressor.forward(x) - [batch, neck_dim, grid, grid] -> [batch, out_dim, grid/4, grid/4]
TokenCompressor.as_single_conv() - The two convs folded into one equivalent 7x7 stride-4 kernel
GlobalEncoder(cfg) - CLIP-style global-attention transformer that takes compressed features as patches
GlobalEncoder.forward(patch_embeds) - [batch, clip_dim, g, g] -> [batch, 1 + g*g, clip_dim] (CLS first)
DeepEncoder(cfg) - SAM-style stage -> compressor -> CLIP-style stage -> concat -> linear projector
DeepEncoder.sam_stage(image) - [batch, 3, H, W] -> neck features [batch, grid, grid, neck_dim]
DeepEncoder.forward(image) - [batch, 3, H, W] -> (vision tokens [batch, n_tokens, n_embed], patch count)
DeepEncoder.layout(tokens) - Append a newline token per row and a view separator (one image, global view)
mode_vision_tokens(base_size, patch_size=16, downsample=4, with_layout=False) - Token count of a mode
gundam_tokens(n_tiles, tile_size=640, base_size=1024) - n x 100 + 256 for Gundam mode
attention_matrix_bytes(n_tokens, n_heads, bytes_per_el=2) - Bytes of one materialized N x N score matrix
window_attention_bytes(grid, window, n_heads, bytes_per_el=2) - The same for windowed attention, padding included
main() - Demo: shapes, mode table, ratio table, memory table, self-checks

** Technical Deep Dive **
The question DeepSeek-OCR asks: if a page of text is rendered as an image, how few vision tokens
can carry it? The encoder ("DeepEncoder") is built so that the expensive part sees many tokens only
through cheap attention, and the part with global attention sees very few tokens.

Step 1, SAM-style stage. A 1024x1024 page becomes 64x64 = 4096 patches of 16 px (SAM ViT-B: embed
768, 12 layers, 12 heads, window 14, global attention only in blocks 2, 5, 8, 11; neck to 256
channels; sam_vary_sdpa.py). Window attention costs (window^2)^2 per window instead of 4096^2.
Caveat: blocks 2, 5, 8 and 11 are global over all 4096 tokens, so long-range mixing already
happens inside SAM. And SAM runs with use_rel_pos=True: its decomposed relative-position bias is
handed to scaled_dot_product_attention as a dense [batch, heads, N, N] mask, so in those blocks a
score-sized tensor is materialised whichever kernel runs (a fused kernel cannot skip reading a
dense mask); the demo's memory table prints its size. Another: SAM pads 64 up to 70 for window
14, and the padded zeros still act as keys (the qkv bias makes them non-zero), so "window
attention == block-diagonal full attention" is exact only when the grid divides by the window,
as it does here (16 / 4).

Step 2, the compressor. It is often described as cross-attention. It is not: it is two Conv2d
layers, 256 -> 512 -> 1024 channels, kernel 3, stride 2, padding 1, no bias, nothing between them
(net_2, net_3). Each halves height and width, so 64x64 = 4096 becomes 16x16 = 256 tokens: 16x
fewer. With no nonlinearity in between, the pair is one linear 7x7 stride-4 convolution, which
`TokenCompressor.as_single_conv` builds and the demo checks. The compressor is the only local
stage: through it a token sees a 7x7 patch neighbourhood (112 px), while SAM's global blocks
before it and the CLIP stage after it mix across the whole page (the demo checks both).

Step 3, CLIP-style stage. CLIP-L (24 layers, hidden 1024, 16 heads) skips its own patch conv and
takes the 16x16x1024 compressed map as its patch embeddings, plus a CLS token (clip_sdpa.py). Its
position table was trained for 224/14 = 16x16 patches, exactly the Base grid; other grids get the
table resized bicubically. Global attention over 257 tokens is cheap.

Step 4, fusion. CLIP output without CLS (1024-d) is concatenated with the flattened compressed SAM
features (1024-d) -> 2048 -> one linear layer to the decoder width 1280 (deepseek_ocr.py).
deepseek_ocr.py then appends a learned newline per row and one view separator, so its token count
for Base is 16 * 17 + 1 = 273, while the paper's mode table counts the 256 grid tokens.

Modes (README, config.py, paper Table 1): Tiny 512 -> 64, Small 640 -> 100, Base 1024 -> 256,
Large 1280 -> 400; Gundam = n local 640 tiles + one 1024 global view = n x 100 + 256. All are
(size / 16 / 4)^2. Keep two ratios apart: 16x is the token reduction inside the encoder; 10x or
20x is the paper's compression ratio, text tokens decoded per vision token. The abstract reports
about 97% OCR precision below 10x and about 60% at 20x.
</karpathys_code_comments>
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class OCRConfig:
    image_size: int = 256  # Base mode is 1024 px (README, config.py)
    patch_size: int = 16  # SAM ViT-B patch 16 (sam_vary_sdpa.py)
    sam_dim: int = 64  # SAM ViT-B embed 768
    sam_heads: int = 4  # SAM ViT-B 12 heads
    sam_depth: int = 3  # SAM ViT-B 12 blocks
    window: int = 4  # SAM window 14 (16 / 4 divides evenly here, 64 / 14 does not)
    global_blocks: tuple = (2,)  # SAM uses global attention in blocks (2, 5, 8, 11)
    neck_dim: int = 32  # SAM neck 256 channels
    mid_dim: int = 64  # net_2: 256 -> 512
    clip_dim: int = 128  # net_3: 512 -> 1024 = CLIP-L hidden 1024
    clip_heads: int = 4  # CLIP-L 16 heads
    clip_depth: int = 2  # CLIP-L 24 layers
    n_embed: int = 96  # projector 2048 -> 1280, the decoder width (deepseek_ocr.py)


def attention(q, k, v, mask=None):
    # Karpathy: scores shape [batch, n_heads, seq, seq]. This N x N matrix is the activation whose
    # bytes `attention_matrix_bytes` counts; it is why N matters so much.
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        # Karpathy: True means "may attend"; everything else gets -inf, i.e. weight exactly 0.
        scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=-1) @ v


def window_partition(x, window):
    batch, grid_h, grid_w, channels = x.shape
    # Karpathy: pad bottom/right up to a multiple of the window (SAM: 64 -> 70 for window 14).
    pad_h, pad_w = (-grid_h) % window, (-grid_w) % window
    x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    ph, pw = grid_h + pad_h, grid_w + pad_w
    x = x.view(batch, ph // window, window, pw // window, window, channels)
    # Karpathy: windows shape [n_windows, win_tokens, channels]; each window becomes its own
    # little "batch element", so attention inside it never sees the rest of the page.
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, channels)
    return windows, (ph, pw)


def window_unpartition(windows, window, padded_hw, hw):
    (ph, pw), (grid_h, grid_w) = padded_hw, hw
    channels = windows.shape[-1]
    # Karpathy: x shape [batch, nh, nw, window, window, channels], undoing the permute above.
    x = windows.view(-1, ph // window, pw // window, window, window, channels)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, ph, pw, channels)
    return x[:, :grid_h, :grid_w]


def block_diagonal_mask(grid_h, grid_w, window):
    rows = torch.arange(grid_h).repeat_interleave(grid_w)
    cols = torch.arange(grid_w).repeat(grid_h)
    # Karpathy: win_id shape [n_tokens]: which window each raster-order token belongs to.
    win_id = (rows // window) * math.ceil(grid_w / window) + cols // window
    return win_id[:, None] == win_id[None, :]


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        # Karpathy: self.qkv.weight shape [three_dim, dim]: one fused matrix makes q, k and v,
        # then an output projection, the usual ViT attention (dim 768 in SAM-B, 1024 in CLIP-L).
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        batch, seq, dim = x.shape
        # Karpathy: q shape [batch, n_heads, seq, head_dim]; one Linear makes q, k and v at once.
        q, k, v = self.qkv(x).view(batch, seq, 3, self.n_heads, -1).permute(2, 0, 3, 1, 4)
        out = attention(q, k, v, mask)
        # Karpathy: out shape [batch, seq, dim] after the heads are put back side by side.
        out = out.transpose(1, 2).reshape(batch, seq, dim)
        return self.proj(out)


class SAMBlock(nn.Module):
    def __init__(self, dim, n_heads, window):
        super().__init__()
        # Karpathy: the only difference between a window block and a global block is this number.
        self.window = window
        # Karpathy: self.norm1.weight shape [dim]: pre-LN, one scale per channel, before attention and MLP.
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, n_heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        batch, grid_h, grid_w, dim = x.shape
        h = self.norm1(x)
        if self.window > 0:
            # Karpathy: window block: attention runs inside each window only.
            windows, padded_hw = window_partition(h, self.window)
            h = window_unpartition(self.attn(windows), self.window, padded_hw, (grid_h, grid_w))
        else:
            # Karpathy: global block: every patch sees every patch, the (4096)^2 case in the real model.
            h = self.attn(h.reshape(batch, grid_h * grid_w, dim)).view(batch, grid_h, grid_w, dim)
        # Karpathy: x shape [batch, grid_h, grid_w, dim]; residuals as in any pre-LN ViT.
        x = x + h
        return x + self.mlp(self.norm2(x))


class TokenCompressor(nn.Module):
    def __init__(self, neck_dim, mid_dim, out_dim):
        super().__init__()
        # Karpathy: self.net_2.weight shape [mid_dim, neck_dim, 3, 3]. Real net_2 / net_3: Conv2d
        # 256->512 and 512->1024, kernel 3, stride 2, padding 1, bias=False.
        self.net_2 = nn.Conv2d(neck_dim, mid_dim, kernel_size=3, stride=2, padding=1, bias=False)
        self.net_3 = nn.Conv2d(mid_dim, out_dim, kernel_size=3, stride=2, padding=1, bias=False)

    def forward(self, x):
        # Karpathy: y shape [batch, mid_dim, half, half]: first halving, 4x fewer tokens.
        y = self.net_2(x)
        # Karpathy: No activation in between (same as the real code). Second halving: 16x in total.
        return self.net_3(y)

    def as_single_conv(self):
        w2, w3 = self.net_2.weight, self.net_3.weight
        # Karpathy: w shape [out_dim, neck_dim, 7, 7]. Tap (u, v) of net_3 reads net_2's output
        # at offset 2u, 2v, so its 3x3 kernel lands at rows 2u..2u+2: a 7x7 kernel, stride 2*2 = 4.
        w = torch.zeros(w3.shape[0], w2.shape[1], 7, 7)
        for u in range(3):
            for v in range(3):
                w[:, :, 2 * u:2 * u + 3, 2 * v:2 * v + 3] += torch.einsum("om,mikl->oikl", w3[:, :, u, v], w2)
        return w


class GlobalEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        g = cfg.image_size // cfg.patch_size // 4
        self.cls = nn.Parameter(torch.randn(cfg.clip_dim) * 0.02)
        # Karpathy: self.pos shape [n_pos, clip_dim]: one position per compressed token plus CLS,
        # like CLIP-L's 16 * 16 + 1 = 257 (a 224 / 14 grid, which is exactly the Base grid).
        self.pos = nn.Parameter(torch.randn(1 + g * g, cfg.clip_dim) * 0.02)
        self.pre_norm = nn.LayerNorm(cfg.clip_dim)
        blocks = [SAMBlock(cfg.clip_dim, cfg.clip_heads, window=0) for _ in range(cfg.clip_depth)]
        self.blocks = nn.ModuleList(blocks)

    def forward(self, patch_embeds):
        batch = patch_embeds.shape[0]
        # Karpathy: x shape [batch, n_tok, clip_dim]. No patch conv here: the compressed SAM map IS
        # the patch embedding, which is the whole trick of stacking the two encoders.
        x = patch_embeds.flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(batch, 1, -1), x], dim=1) + self.pos
        x = self.pre_norm(x)
        for blk in self.blocks:
            # Karpathy: our block wants a grid, CLS makes the sequence non-square, so feed it as 1 x seq.
            x = blk(x.unsqueeze(1)).squeeze(1)
        return x


class DeepEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        g = cfg.image_size // cfg.patch_size
        self.patch_embed = nn.Conv2d(3, cfg.sam_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        # Karpathy: self.pos shape [1, grid, grid, sam_dim], SAM's absolute position table.
        self.pos = nn.Parameter(torch.randn(1, g, g, cfg.sam_dim) * 0.02)
        self.blocks = nn.ModuleList(
            SAMBlock(cfg.sam_dim, cfg.sam_heads, 0 if i in cfg.global_blocks else cfg.window)
            for i in range(cfg.sam_depth))
        # Karpathy: the neck: a 1x1 conv to neck_dim plus a channel LayerNorm (real: 768 -> 256).
        self.neck = nn.Conv2d(cfg.sam_dim, cfg.neck_dim, kernel_size=1, bias=False)
        self.neck_norm = nn.LayerNorm(cfg.neck_dim)
        self.compressor = TokenCompressor(cfg.neck_dim, cfg.mid_dim, cfg.clip_dim)
        self.clip = GlobalEncoder(cfg)
        self.projector = nn.Linear(2 * cfg.clip_dim, cfg.n_embed)
        self.image_newline = nn.Parameter(torch.randn(cfg.n_embed) * 0.02)
        self.view_separator = nn.Parameter(torch.randn(cfg.n_embed) * 0.02)

    def sam_stage(self, image):
        # Karpathy: x shape [batch, grid, grid, sam_dim]: 16 x 16 = 256 patches here, 4096 in Base.
        x = self.patch_embed(image).permute(0, 2, 3, 1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.neck_norm(self.neck(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))

    def forward(self, image):
        # Karpathy: x shape [batch, grid, grid, neck_dim] after the window/global blocks and the neck.
        x = self.sam_stage(image)
        n_patches = x.shape[1] * x.shape[2]
        # Karpathy: sam shape [batch, clip_dim, g, g]: 4 x 4 = 16 tokens (16 x 16 = 256 in Base).
        sam = self.compressor(x.permute(0, 3, 1, 2))
        clip = self.clip(sam)
        # Karpathy: fused shape [batch, n_tok, two_clip_dim] (2048 in the real model): CLIP tokens
        # minus CLS, side by side with the same compressed SAM tokens, then one Linear to 1280.
        fused = torch.cat([clip[:, 1:], sam.flatten(2).transpose(1, 2)], dim=-1)
        return self.projector(fused), n_patches

    def layout(self, tokens):
        g = math.isqrt(tokens.shape[0])
        # Karpathy: grid shape [g, g_plus_1, n_embed]: a learned "newline" ends every row, so the
        # decoder can tell where a row of the page stops.
        grid = torch.cat([tokens.view(g, g, -1), self.image_newline.expand(g, 1, -1)], dim=1)
        return torch.cat([grid.reshape(-1, grid.shape[-1]), self.view_separator[None]], dim=0)


def mode_vision_tokens(base_size, patch_size=16, downsample=4, with_layout=False):
    # Karpathy: side in tokens = ceil(size / 16 / 4); the count is side^2, as in the paper's table.
    side = math.ceil((base_size // patch_size) / downsample)
    return side * (side + 1) + 1 if with_layout else side * side


def gundam_tokens(n_tiles, tile_size=640, base_size=1024):
    return n_tiles * mode_vision_tokens(tile_size) + mode_vision_tokens(base_size)


def attention_matrix_bytes(n_tokens, n_heads, bytes_per_el=2):
    return n_tokens * n_tokens * n_heads * bytes_per_el


def window_attention_bytes(grid, window, n_heads, bytes_per_el=2):
    # Karpathy: padded grid, then (window^2)^2 scores per window instead of (grid^2)^2 overall.
    n_win = math.ceil(grid / window) ** 2
    return n_win * attention_matrix_bytes(window * window, n_heads, bytes_per_el)


PUBLISHED = {"Tiny": (512, 64), "Small": (640, 100), "Base": (1024, 256), "Large": (1280, 400)}


def main():
    torch.manual_seed(0)
    cfg = OCRConfig()
    enc = DeepEncoder(cfg).eval()
    # Karpathy: image shape [batch, 3, image_size, image_size], a random stand-in for a page.
    image = torch.randn(2, 3, cfg.image_size, cfg.image_size)
    with torch.no_grad():
        tokens, n_patches = enc(image)
    print(f"DeepEncoder (toy): image {tuple(image.shape)} -> {n_patches} patches -> tokens {tuple(tokens.shape)}")
    assert n_patches == 16 * tokens.shape[1]
    print(f"check: tokens in ({n_patches}) == 16 x tokens out ({tokens.shape[1]}) OK")

    # Karpathy: window attention vs full attention with a block-diagonal mask, same weights.
    blk, g = enc.blocks[0], cfg.image_size // cfg.patch_size
    x = torch.randn(1, g, g, cfg.sam_dim)
    with torch.no_grad():
        windowed = blk.attn(window_partition(x, cfg.window)[0])
        windowed = window_unpartition(windowed, cfg.window, (g, g), (g, g)).reshape(1, g * g, -1)
        masked = blk.attn(x.reshape(1, g * g, -1), block_diagonal_mask(g, g, cfg.window))
    assert torch.allclose(windowed, masked, atol=1e-5)
    print("check: window attention == full attention with a block-diagonal mask OK")

    # Karpathy: the compressor is a (linear) convolution, not cross-attention: prove it by folding.
    comp = enc.compressor
    feat = torch.randn(1, cfg.neck_dim, g, g)
    with torch.no_grad():
        two_convs = comp(feat)
        one_conv = F.conv2d(feat, comp.as_single_conv(), stride=4, padding=3)
    assert torch.allclose(two_convs, one_conv, atol=1e-5)
    print("check: net_3(net_2(x)) == one 7x7 stride-4 conv (receptive field 7 patches) OK")

    # Karpathy: where does long-range mixing happen? Poke the top-left patch and watch the far corner.
    poked = image[:1].clone()
    poked[..., : cfg.patch_size, : cfg.patch_size] += 1.0
    with torch.no_grad():
        far_sam = (enc.sam_stage(poked) - enc.sam_stage(image[:1]))[0, -1, -1].abs().max().item()
        feat2 = feat.clone()
        feat2[..., 0, 0] += 1.0
        far_comp = (comp(feat2) - two_convs)[0, :, -1, -1].abs().max().item()
    print(f"poke patch (0, 0): SAM stage output at patch ({g - 1}, {g - 1}) moves by {far_sam:.1e}; "
          f"compressor output at token ({g // 4 - 1}, {g // 4 - 1}) moves by {far_comp:.1e}")
    assert far_sam > 1e-6 and far_comp == 0.0
    print("check: SAM's global block mixes the whole page; only the compressor is local OK")

    print("\nmode    size  tokens  paper  with newline+separator")
    for name, (size, published) in PUBLISHED.items():
        n = mode_vision_tokens(size)
        assert n == published
        print(f"{name:6s} {size:5d} {n:7d} {published:6d} {mode_vision_tokens(size, with_layout=True):8d}")
    assert [gundam_tokens(n) for n in (2, 6, 9)] == [456, 856, 1156]
    print("Gundam  n x 640 + 1024:  n x 100 + 256  (n=2: 456, n=6: 856, n=9: 1156)")
    laid_out = enc.layout(tokens[0])
    assert laid_out.shape[0] == mode_vision_tokens(cfg.image_size, with_layout=True)
    print("check: mode token counts == published (64/100/256/400, Gundam n x 100 + 256) OK")

    print("\nPaper's compression ratio = text tokens per vision token (NOT the encoder's 16x):")
    print("ratio   OCR precision (abstract)   text tokens carried by 100 (Small) / 256 (Base) vision tokens")
    for ratio, prec in ((10, "~97% (below 10x)"), (20, "~60% (at 20x)")):
        print(f"{ratio:3d}x    {prec:24s}   {ratio * 100:>6d} / {ratio * 256}")

    full, comp_b = attention_matrix_bytes(4096, 16), attention_matrix_bytes(256, 16)
    win, sam_global = window_attention_bytes(64, 14, 12), attention_matrix_bytes(4096, 12)
    print("\nScore-matrix activation per layer, Base mode, bf16, if materialized:")
    print(f"  CLIP-L (16 heads) on all 4096 patches: {full / 2**20:7.1f} MiB")
    print(f"  CLIP-L (16 heads) on 256 compressed:   {comp_b / 2**20:7.1f} MiB  ({full // comp_b}x less)")
    print(f"  SAM window block (12 heads, win 14):   {win / 2**20:7.1f} MiB  (25 padded windows)")
    print(f"  SAM global block (12 heads, 4096):     {sam_global / 2**20:7.1f} MiB  (4 of its 12 blocks; "
          f"always materialised: the use_rel_pos bias is a dense mask of this size)")
    assert full == 256 * comp_b
    print("check: 16x fewer tokens -> 256x smaller attention matrix OK")


if __name__ == "__main__":
    main()
# Karpathy: Windows plus four global blocks on 4096 patches, two strided convs, then CLIP on 256 tokens.
