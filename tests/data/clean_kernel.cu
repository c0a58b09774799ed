/*
 * Module: Vector scale, the smallest CUDA kernel worth annotating
 *
 * <karpathys_code_comments>
 * ** This File's Role in DeepSeek **
 * This file is a warm-up for the GEMM ladder: it shows how one thread maps to
 * one element, how the host launches a grid, and how the result is checked on
 * the CPU before anyone looks at a timing.
 *
 * ** Function List **
 * scale_kernel(x, alpha, n) - Multiply every element of x by alpha on the GPU
 * launch_scale(x, alpha, n) - Pick the grid size and launch the kernel
 * main() - Allocate, launch, copy back and check against a CPU loop
 *
 * ** Technical Deep Dive **
 * A CUDA kernel runs the same function on many threads at once. Each thread
 * computes a global index from its block index and its thread index, and if
 * that index is inside the array it handles exactly one element. The host
 * chooses how many blocks of 256 threads to launch so that every element gets
 * a thread, then waits for the GPU and copies the result back. Checking the
 * result against a plain CPU loop first is the habit that keeps every later,
 * faster kernel honest.
 * </karpathys_code_comments>
 */
#include <cstdio>
#include <cuda_runtime.h>

__global__ void scale_kernel(float* x, float alpha, int n) {
  // Karpathy: one thread, one element; the guard handles the ragged last block
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    x[i] *= alpha;
  }
}

void launch_scale(float* x, float alpha, int n) {
  // Karpathy: 256 threads per block is a safe default on every GPU since Kepler
  int threads = 256;
  int blocks = (n + threads - 1) / threads;
  scale_kernel<<<blocks, threads>>>(x, alpha, n);
}

int main() {
  // Karpathy: a small array is enough to check correctness
  const int n = 1000;
  float host[n];
  for (int i = 0; i < n; ++i) host[i] = 1.0f;
  float* dev = nullptr;
  if (cudaMalloc(&dev, n * sizeof(float)) != cudaSuccess) {
    printf("no CUDA device\n");
    return 3;
  }
  cudaMemcpy(dev, host, n * sizeof(float), cudaMemcpyHostToDevice);
  launch_scale(dev, 2.0f, n);
  // Karpathy: copy back and compare with what a CPU loop would give
  cudaMemcpy(host, dev, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dev);
  for (int i = 0; i < n; ++i) {
    if (host[i] != 2.0f) {
      printf("FAIL at %d\n", i);
      return 1;
    }
  }
  printf("PASS\n");
  return 0;
}
// Karpathy: one index per thread. Every GEMM kernel starts from this.
