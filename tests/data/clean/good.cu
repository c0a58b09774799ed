/*
Module: Tiny CUDA kernel used by the pre-commit test

<karpathys_code_comments>
** This File's Role in DeepSeek **
This small file stands in for a real kernel of the code base. It fills a
buffer with ones so that the linter has one kernel to check, and nothing calls it.

** Function List **
fill(x, n) - Write 1.0 into each of the n elements of x

** Technical Deep Dive **
There is very little to say about filling a buffer, but the convention asks
for a deep dive of sixty words or more, so here it is. Each thread computes its
global index from the block and thread indices, checks it against the length,
and writes one element. The bounds check matters because the grid is rounded up
to whole blocks, so the last block may have threads past the end.
</karpathys_code_comments>
*/

__global__ void fill(float* x, int n) {
    // Karpathy: one thread per element
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = 1.0f;
}

// Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.
