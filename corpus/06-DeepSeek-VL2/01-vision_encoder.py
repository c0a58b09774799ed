"""
Module: DeepSeek-VL2 vision encoder - dynamic tiling, SigLIP ViT, 2x2 fold, token layout

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
This is how DeepSeek-VL2 (arXiv:2412.10302) turns one image into vision tokens for its MoE
language model. In deepseek-ai/DeepSeek-VL2 the pieces sit in deepseek_vl2/models/:
processing_deepseek_vl_v2.py (select_best_resolution picks the tile grid, tokenize_with_images
counts the image tokens), siglip_vit.py (the SigLIP ViT) and modeling_deepseek_vl_v2.py
(MlpProjector with the 2x2 fold, the image_newline and view_seperator embeddings). The model's
input preparation calls them and hands the laid-out embeddings to the DeepSeekMoE LM in place of the
image placeholder tokens. This teaching version leaves out pretrained weights, the LM itself,
multi-image prompts (tiling happens only with at most 2 images) and batching.

** Function List **
VL2Config(tile_size, patch_size, downsample, vit_dim, vit_heads, vit_depth, lm_dim, max_tiles) - Toy sizes, real ones cited
candidate_resolutions(tile_size, max_tiles) - Every (m * tile, n * tile) canvas with m * n <= max_tiles
select_best_resolution(image_wh, candidates) - The repo's rule: max effective resolution, least waste on ties
canvas_score(image_wh, canvas) - (effective, -waste) as a sort key, the brute-force reference
resize_and_pad(image, out_w, out_h) - Aspect-preserving resize onto a flat-colour canvas
make_views(image, cfg, candidates) - Global thumbnail plus row-major local tiles, and the grid (n_h, n_w)
TinySigLIP(cfg) - Patch-14 ViT with learned positions and no CLS token; the only conv is the patch embed
TinySigLIP.forward(views) - [n_views, 3, tile, tile] -> [n_views, n_patches, vit_dim]
fold_2x2(x, k=2) - Pad an odd patch grid, then F.unfold k=2 s=2: 4x fewer tokens, 4x wider
unfold_inverse(y, grid, k=2) - F.fold back and crop the padding: proves the fold loses nothing
Adaptor(cfg) - `fold_2x2` followed by a 2-layer GELU MLP into the LM width
Adaptor.forward(x) - [n_views, n_patches, vit_dim] -> [n_views, h * h, lm_dim]
layout_tokens(global_tokens, local_tokens, n_h, n_w, newline, separator) - Global rows + newlines,
    the view separator, then the stitched local grid with a newline per row
unpack_layout(seq, n_h, n_w, h) - Inverse of `layout_tokens`: global tokens, tiles, newline slots, separator
num_vision_tokens(n_h, n_w, tile_size=384, patch_size=14, downsample=2) - h(h+1) + 1 + (h n_h)(h n_w + 1)
VL2VisionEncoder(cfg) - Tiling + ViT + adaptor + layout in one module
VL2VisionEncoder.forward(image) - [3, H, W] -> (token sequence [n_tok, lm_dim], grid (n_h, n_w))
main() - Demo: grid choice table at real sizes, toy forward passes, round-trip and fold checks

** Technical Deep Dive **
VL2 is sometimes described as a "Hybrid CNN + Transformer" encoder. That was DeepSeek-VL (v1,
arXiv:2403.05525): SigLIP for semantics plus a SAM-B branch for high resolution. VL2 dropped the
hybrid: one SigLIP-SO400M-384 ViT, and high resolution comes from dynamic tiling instead. Its only
convolution is the ViT's patch embedding, which `main` asserts for the toy.

Step 1, pick a grid. Candidates are canvases (m * 384, n * 384). For each one the image is scaled
to fit (scale = min of the two ratios); the effective resolution is min(scaled area, original
area), so upscaling earns nothing beyond the pixels you really have. Keep the canvas with the
largest effective resolution; only when two canvases tie does the one with less wasted area
(canvas area minus effective) win. So waste is a tie-breaker, not the objective: an 800x400 image
prefers a grid 3 tiles wide and 2 high (1152 x 768: it keeps every pixel) over the waste-free
768 x 384 canvas, which would shrink it a little. A tiny image ties on every canvas and gets 1x1. The paper keeps m * n <= 9
(a secondary source quoting it; unverified, the repo reads its list from the model config).

Step 2, views. A global thumbnail (the whole image padded into one 384 tile) plus the image padded
onto the chosen canvas and cut into n_h x n_w tiles. All views go through the same SigLIP: patch 14
gives 27 x 27 = 729 tokens per tile.

Step 3, the adaptor. 27 is odd, so the grid is zero-padded to 28, then every 2x2 neighbourhood is
folded into one token with 4x the channels (F.unfold, kernel 2, stride 2): 14 x 14 = 196 tokens per
tile, then a 2-layer GELU MLP to the LM width. A fold is a pure rearrangement, so it is invertible;
the demo checks that with F.fold.

Step 4, layout. Global: 14 rows of 14 tokens, each row closed by a learned newline token: 14 * 15 =
210. Then one view separator. Then the tiles stitched into one big (14 n_h) x (14 n_w) grid, again
with a newline per row. Total h(h+1) + 1 + (h n_h)(h n_w + 1) with h = ceil((384 // 14) / 2) = 14,
which is 421 for a 1x1 tiling (the local view is always added). The newlines tell the LM where rows
end, which a flat sequence would otherwise hide. The cost: tokens grow with the tile count, 2017 for
a 3x3 grid and 2101 for a 1-wide, 9-high one (126 short rows, each paying a newline), inside a
4096-token context (README). Without the 4x fold those tiles would not fit at all.
</karpathys_code_comments>
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VL2Config:
    tile_size: int = 70  # 384 (SigLIP-SO400M-384); 70 / 14 = 5 is odd on purpose, like 384 // 14 = 27
    patch_size: int = 14  # SigLIP patch 14
    downsample: int = 2  # projector downsample_ratio 2 (2x2 fold)
    vit_dim: int = 32  # SigLIP-SO400M width (1152 for SO400M; unverified here)
    vit_heads: int = 4  # SO400M heads (16; unverified here)
    vit_depth: int = 2  # SO400M depth (27; unverified here)
    lm_dim: int = 64  # LM hidden size, variant dependent (unverified here)
    max_tiles: int = 9  # m * n <= 9 (paper section 2 via a secondary source; unverified)


def candidate_resolutions(tile_size, max_tiles):
    return [(m * tile_size, n * tile_size)
            for m in range(1, max_tiles + 1) for n in range(1, max_tiles + 1) if m * n <= max_tiles]


def select_best_resolution(image_wh, candidates):
    w, h = image_wh
    best, best_eff, best_waste = None, -1, float("inf")
    for cw, ch in candidates:
        # Karpathy: fit the image inside the canvas, keep aspect ratio; int() as in a real resize.
        scale = min(cw / w, ch / h)
        eff = min(int(w * scale) * int(h * scale), w * h)
        waste = cw * ch - eff
        # Karpathy: effective resolution first; waste ONLY breaks exact ties.
        if eff > best_eff or (eff == best_eff and waste < best_waste):
            best, best_eff, best_waste = (cw, ch), eff, waste
    return best


def canvas_score(image_wh, canvas):
    # Karpathy: the same rule as a sortable key, (effective, -waste), for checking by brute force.
    (w, h), (cw, ch) = image_wh, canvas
    scale = min(cw / w, ch / h)
    eff = min(int(w * scale) * int(h * scale), w * h)
    return eff, -(cw * ch - eff)


def resize_and_pad(image, out_w, out_h):
    _, h, w = image.shape
    scale = min(out_w / w, out_h / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # Karpathy: resized shape [1, 3, new_h, new_w]; bilinear is enough for a demo.
    resized = F.interpolate(image[None], size=(new_h, new_w), mode="bilinear", align_corners=False)
    # Karpathy: canvas shape [3, out_h, out_w]: a flat fill (here the image mean; the repo's exact
    # fill colour is not modelled), with the resized image centred on it.
    canvas = image.mean(dim=(1, 2), keepdim=True).expand(3, out_h, out_w).clone()
    top, left = (out_h - new_h) // 2, (out_w - new_w) // 2
    canvas[:, top:top + new_h, left:left + new_w] = resized[0]
    return canvas


def make_views(image, cfg, candidates):
    t = cfg.tile_size
    best_w, best_h = select_best_resolution((image.shape[2], image.shape[1]), candidates)
    n_w, n_h = best_w // t, best_h // t
    local = resize_and_pad(image, best_w, best_h)
    # Karpathy: tiles shape [n_tiles, 3, tile_size, tile_size], cut in row-major order:
    # tile index = row * n_w + col, the order `layout_tokens` relies on.
    tiles = local.view(3, n_h, t, n_w, t).permute(1, 3, 0, 2, 4).reshape(n_h * n_w, 3, t, t)
    # Karpathy: views shape [n_views, 3, tile_size, tile_size]: global thumbnail first.
    views = torch.cat([resize_and_pad(image, t, t)[None], tiles])
    return views, (n_h, n_w)


class TinySigLIP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        g = cfg.tile_size // cfg.patch_size
        # Karpathy: the patch embedding is a Conv2d with kernel = stride = 14: the one and only
        # convolution in VL2's vision tower. Everything after it is a plain transformer.
        self.patch_embed = nn.Conv2d(3, cfg.vit_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        # Karpathy: self.pos shape [1, n_patches, vit_dim]; SigLIP has no CLS token, all tokens are patches.
        self.pos = nn.Parameter(torch.randn(1, g * g, cfg.vit_dim) * 0.02)
        layer = nn.TransformerEncoderLayer(cfg.vit_dim, cfg.vit_heads, 4 * cfg.vit_dim,
                                           dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.vit_depth, enable_nested_tensor=False)

    def forward(self, views):
        # Karpathy: x shape [n_views, n_patches, vit_dim]. One ViT, shared by the thumbnail and
        # every tile: the tiles are just a batch.
        x = self.patch_embed(views).flatten(2).transpose(1, 2) + self.pos
        return self.blocks(x)


def fold_2x2(x, k=2):
    n, seq, c = x.shape
    g = math.isqrt(seq)
    # Karpathy: x shape [n, c, g, g], back from a sequence to an image-like grid.
    x = x.transpose(1, 2).reshape(n, c, g, g)
    pad = (-g) % k
    # Karpathy: odd grid -> zero-pad right and bottom (27 -> 28 in the real model, 5 -> 6 here).
    x = F.pad(x, (0, pad, 0, pad))
    # Karpathy: y shape [n, ck, n_out]: each 2x2 block becomes one column of 4c numbers.
    y = F.unfold(x, kernel_size=k, stride=k)
    return y.transpose(1, 2)


def unfold_inverse(y, grid, k=2):
    n = y.shape[0]
    gp = grid + (-grid) % k
    # Karpathy: x shape [n, c, gp, gp]. Non-overlapping blocks, so fold is an exact inverse.
    x = F.fold(y.transpose(1, 2), output_size=(gp, gp), kernel_size=k, stride=k)
    return x[:, :, :grid, :grid].flatten(2).transpose(1, 2)


class Adaptor(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.k = cfg.downsample
        d_in = cfg.vit_dim * cfg.downsample ** 2
        # Karpathy: self.up.weight shape [lm_dim, d_in]: the MLP input is 4x the ViT width because
        # of the fold; two Linears with a GELU between (real: downsample_mlp_gelu).
        self.up = nn.Linear(d_in, cfg.lm_dim)
        self.down = nn.Linear(cfg.lm_dim, cfg.lm_dim)

    def forward(self, x):
        # Karpathy: folded shape [n_views, n_tok, four_vit_dim]; 4x fewer tokens, each 4x wider.
        folded = fold_2x2(x, self.k)
        return self.down(F.gelu(self.up(folded)))


def layout_tokens(global_tokens, local_tokens, n_h, n_w, newline, separator):
    h = math.isqrt(global_tokens.shape[0])
    d = global_tokens.shape[-1]
    # Karpathy: glob shape [h, h_plus_1, d]: each row of the thumbnail closed by a newline.
    glob = torch.cat([global_tokens.view(h, h, d), newline.expand(h, 1, d)], dim=1)
    # Karpathy: grid shape [rows, cols, d]: stitch the tiles back into one big picture, so row r of
    # the sequence runs across all n_w tiles before the newline.
    grid = local_tokens.view(n_h, n_w, h, h, d).permute(0, 2, 1, 3, 4).reshape(n_h * h, n_w * h, d)
    grid = torch.cat([grid, newline.expand(n_h * h, 1, d)], dim=1)
    # Karpathy: VL2's order is global, separator, local (DeepSeek-OCR uses local, global, separator).
    return torch.cat([glob.reshape(-1, d), separator[None], grid.reshape(-1, d)])


def unpack_layout(seq, n_h, n_w, h):
    d = seq.shape[-1]
    n_glob = h * (h + 1)
    # Karpathy: glob shape [h, h_plus_1, d]: the thumbnail rows, newline still attached.
    glob = seq[:n_glob].view(h, h + 1, d)
    # Karpathy: loc shape [rows, cols_plus_1, d]: skip the separator, re-grid the stitched tiles.
    loc = seq[n_glob + 1:].view(n_h * h, n_w * h + 1, d)
    tiles = loc[:, :-1].reshape(n_h, h, n_w, h, d).permute(0, 2, 1, 3, 4).reshape(n_h * n_w, h * h, d)
    newlines = torch.cat([glob[:, -1], loc[:, -1]])
    return glob[:, :-1].reshape(h * h, d), tiles, newlines, seq[n_glob]


def num_vision_tokens(n_h, n_w, tile_size=384, patch_size=14, downsample=2):
    # Karpathy: h = ceil(27 / 2) = 14 at real sizes; the ceil is the odd-grid padding.
    h = math.ceil((tile_size // patch_size) / downsample)
    return h * (h + 1) + 1 + (h * n_h) * (h * n_w + 1)


class VL2VisionEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.candidates = candidate_resolutions(cfg.tile_size, cfg.max_tiles)
        self.vit, self.adaptor = TinySigLIP(cfg), Adaptor(cfg)
        # Karpathy: self.image_newline shape [lm_dim]: one of two learned vectors in LM space; they
        # cost 1 token per row and 1 per image (the separator).
        self.image_newline = nn.Parameter(torch.randn(cfg.lm_dim) * 0.02)
        self.view_separator = nn.Parameter(torch.randn(cfg.lm_dim) * 0.02)

    def forward(self, image):
        views, (n_h, n_w) = make_views(image, self.cfg, self.candidates)
        # Karpathy: feats shape [n_views, n_tok, lm_dim]: n_tok = 9 here (5x5 padded to 6x6, folded).
        feats = self.adaptor(self.vit(views))
        seq = layout_tokens(feats[0], feats[1:], n_h, n_w, self.image_newline, self.view_separator)
        return seq, (n_h, n_w)


def main():
    torch.manual_seed(0)
    real = candidate_resolutions(384, 9)
    print("Grid choice at real sizes (384 tiles, m*n <= 9):")
    print("   image (w x h)   grid n_h x n_w   canvas        tokens")
    for wh in [(100, 100), (384, 384), (800, 400), (1024, 768), (768, 1536), (1920, 1080), (2000, 500)]:
        bw, bh = select_best_resolution(wh, real)
        # Karpathy: brute-force reference: the best (effective, -waste) pair over all canvases.
        assert canvas_score(wh, (bw, bh)) == max(canvas_score(wh, c) for c in real)
        n_h, n_w = bh // 384, bw // 384
        print(f"  {wh[0]:5d} x {wh[1]:<5d}     {n_h} x {n_w}          {bw:4d} x {bh:<4d}   {num_vision_tokens(n_h, n_w):5d}")
    assert select_best_resolution((100, 100), real) == (384, 384)
    assert select_best_resolution((800, 400), real) == (1152, 768)
    assert num_vision_tokens(1, 1) == 421 and num_vision_tokens(3, 3) == 2017
    assert max(num_vision_tokens(ch // 384, cw // 384) for cw, ch in real) == num_vision_tokens(9, 1) == 2101
    print("check: chosen canvas maximizes effective resolution, waste only breaks ties OK")
    print("check: 1x1 tiling at real sizes = 210 + 1 + 210 = 421 tokens OK (3x3: 2017; largest, 9 high x 1 wide: 2101)")

    cfg = VL2Config()
    enc = VL2VisionEncoder(cfg).eval()
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    assert convs == [enc.vit.patch_embed]
    print("check: one SigLIP-style ViT, its patch embed is the only conv (no CNN + ViT hybrid) OK")
    h = math.ceil((cfg.tile_size // cfg.patch_size) / cfg.downsample)
    print(f"\nToy run: tile {cfg.tile_size}px, patch {cfg.patch_size} -> 5x5 patches -> pad 6x6 -> fold {h}x{h}")
    for w_px, h_px in [(60, 60), (150, 80), (90, 200)]:
        # Karpathy: a random picture of the given size; tokens are checked against the formula.
        image = torch.rand(3, h_px, w_px)
        with torch.no_grad():
            seq, (n_h, n_w) = enc(image)
        expected = num_vision_tokens(n_h, n_w, cfg.tile_size, cfg.patch_size, cfg.downsample)
        assert seq.shape == (expected, cfg.lm_dim)
        assert expected == h * (h + 1) + 1 + (h * n_h) * (h * n_w + 1)
        glob, tiles, newlines, sep = unpack_layout(seq, n_h, n_w, h)
        with torch.no_grad():
            views, _ = make_views(image, cfg, enc.candidates)
            feats = enc.adaptor(enc.vit(views))
        assert torch.equal(glob, feats[0]) and torch.equal(tiles, feats[1:])
        assert torch.equal(newlines, enc.image_newline.expand(h + h * n_h, -1)) and torch.equal(sep, enc.view_separator)
        print(f"  image {w_px:3d} x {h_px:<3d} -> grid {n_h} x {n_w} -> {seq.shape[0]:3d} tokens (formula {expected})")
    print("check: token count == h(h+1) + 1 + (h n_h)(h n_w + 1) for every image OK")
    print("check: layout round-trips: tokens go back to their tiles, newlines and separator in place OK")

    # Karpathy: x shape [4, 25, vit_dim]: four views of 5 x 5 ViT tokens, the real 27 x 27 in small.
    x = torch.randn(4, 25, cfg.vit_dim)
    y = fold_2x2(x)
    assert y.shape == (4, 9, 4 * cfg.vit_dim)
    assert torch.equal(unfold_inverse(y, 5), x)
    assert torch.equal(F.fold(y.transpose(1, 2), (6, 6), 2, stride=2)[:, :, 5, :], torch.zeros(4, cfg.vit_dim, 6))
    print("check: 2x2 fold of an odd 5x5 grid pads to 6x6, is exactly invertible, padding is zeros OK")


if __name__ == "__main__":
    main()
# Karpathy: One SigLIP over a thumbnail and local tiles, a 2x2 fold to 196 tokens each, newlines so the LM sees rows.
