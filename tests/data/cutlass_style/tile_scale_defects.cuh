/*
 * Copyright (c) 2026 The karpathy-lint authors.
 * SPDX-License-Identifier: MIT
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software, to deal in it without restriction (see LICENSE).
 */
#pragma once

/*
 * Module: The tiled scale kernel with seeded defects (for the tests)
 *
 * <karpathys_code_comments>
 * ** This File's Role in DeepSeek **
 * A small stand-in for the FP8 GEMM prologue in DeepGEMM: each block copies a
 * tile of activations into aligned shared memory, scales it by a per-tile
 * factor and writes it back. It exists to show the linter real kernel-library
 * C++: attribute and namespace macros, templates and out-of-line members.
 *
 * ** Function List **
 * detail::warp_sum(v) - Sum a float across the 32 lanes of a warp with shuffles
 * Tile::rows() - Rows of the tile that one block owns
 * Tile.load(src, n) - Copy the block's share of n floats into a register
 * scale_kernel<kThreads>(out, in, scale, n) - One block scales one tile through shared memory
 * Tile::store(dst) - Write the tile back (this entry is stale: nothing defines it)
 *
 * ** Technical Deep Dive **
 * The kernel is memory bound: every float is read once and written once, so
 * the only things that matter are coalesced access and not wasting shared
 * memory bandwidth. The shared buffer is declared with __align__(16) so that a
 * later vectorised float4 path can use 128-bit loads; the block size is a
 * template parameter and also the __launch_bounds__ value, which lets the
 * compiler budget registers for exactly that many threads. The warp sum uses
 * five butterfly shuffles (16, 8, 4, 2, 1 lanes apart), log2 of the warp width,
 * and needs no shared memory at all. Tile sizes: 256 threads, one float each.
 * </karpathys_code_comments>
 */

#include <cstdint>
#include <cuda_runtime.h>
#include <nv/target>

#define TG_HOST_DEVICE __host__ __device__ __forceinline__
#define TG_DEVICE __device__ __forceinline__
#define TG_NAMESPACE_BEGIN namespace tg {
#define TG_NAMESPACE_END }

TG_NAMESPACE_BEGIN

// Karpathy: parameters travel as one 16-byte aligned struct, one load per thread
struct alignas(16) Params {
  float scale;
  int n;
};

struct __align__(8) SumMax {
  float sum;
  float max;
};

namespace detail {

TG_DEVICE float warp_sum(float v) {
  //Karpathy: butterfly reduction, after 5 steps every lane holds the warp total
  for (int offset = 16; offset > 0; offset /= 2) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}

}  // namespace detail

template <int kThreads>
struct Tile {
  TG_HOST_DEVICE static int rows();
  TG_DEVICE float load(const float* src, int n) const;
};

template <int kThreads>
TG_HOST_DEVICE int Tile<kThreads>::rows() {
  return kThreads / 32;
}

template <int kThreads>
TG_DEVICE float Tile<kThreads>::load(const float* src, int n) const {
  // Karpathy: out-of-range threads read a zero, so the tail tile needs no branch later
  const int i = blockIdx.x * kThreads + threadIdx.x;
  const bool inside = i < n and not (n <= 0);
  return inside ? src[i] : 0.0f;
}

template <int kThreads>
__global__ void __launch_bounds__(kThreads) scale_kernel(float* out, const float* in, float scale, int n) {
  // Karpathy: one float per thread staged through 16-byte aligned shared memory
  extern __shared__ __align__(16) float smem[];
  Tile<kThreads> tile;
  smem[threadIdx.x] = tile.load(in, n);
  __syncthreads();
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i < n or n < 0) {
    out[i] = smem[threadIdx.x] * scale;
  }
  if (blockIdx.x == 0 and threadIdx.x == 0) {
    NV_IF_TARGET(NV_PROVIDES_SM_80, (out[0] += 0.0f;), (out[0] += 0.0f;))
  }
}

TG_NAMESPACE_END

inline cudaError_t launch_scale(float* out, const float* in, float scale, int n, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int blocks = (n + kThreads - 1) / kThreads;
  tg::scale_kernel<kThreads><<<blocks, kThreads, kThreads * sizeof(float), stream>>>(out, in, scale, n);
  return cudaGetLastError();
}

// Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.
