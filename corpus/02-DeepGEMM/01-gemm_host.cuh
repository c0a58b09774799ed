#pragma once
/*
Module: Host side of the GEMM ladder: inputs, FP8 block casts, device buffers, CPU references, verdicts

Comments in this file are written in the style of Andrej Karpathy's teaching; he did not write them.

<karpathys_code_comments>
** This File's Role in DeepSeek **
DeepGEMM (deepseek-ai/DeepGEMM) tests its GEMMs in tests/test_core.py: random inputs, cast with
per_token_cast_to_fp8 (activations) and per_block_cast_to_fp8 (weights), both scaling by 448 / amax,
then the gate calc_diff < 1e-3 against a reference matmul. This header is that harness for the ladder
in 01-gemm_kernel.cu, in plain C++: it makes the inputs, casts them to E4M3 with the same 1x128 and
128x128 scales, moves them to the GPU, computes the CPU references, and decides PASS or FAIL for every
rung before the kernel file is allowed to time it. Nothing here runs on the GPU.

** Function List **
quantize_blocks(x, rows, cols, block_rows, q, scale) - amax-scaled E4M3 cast per block_rows x 128
make_host_data(n, seed) - Random A, B and their block-scaled FP8 copies
to_device<T>(v) - cudaMalloc + cudaMemcpy of one host vector
upload(h, n) - Copy the host data to the GPU and allocate C
free_problem(p) - Release the device buffers
init_cublas() - Create the cuBLAS handle with TF32 off (only with USE_CUBLAS)
reference_fp32_cpu(A, B, n, C) - Plain triple loop with double accumulation
reference_fp8_cpu(h, n, C) - The same block-scaled FP8 math as step 6, on the CPU in double
rel_frobenius(x, ref) - ||x - ref|| / ||ref||
calc_diff(x, y) - DeepGEMM's test metric 1 - 2*sum(xy)/sum(x^2 + y^2)
check_output(name, fp8, out, ref32, ref8) - Apply the PASS/FAIL gates to one kernel's C, print the verdict
parse_args(argc, argv, n, check, iters, cublas_gflops) - Overwrite main's defaults; false means exit code 2
find_gpu(prop) - Print the GPU's name, or the one no-device line (then main exits with code 3)

** Technical Deep Dive **
A fast kernel that is wrong is worth nothing, so the ladder never times a kernel it has not checked,
and the checks live here, apart from the kernels they judge. There are two references, both summed on
the CPU in double so the reference itself adds no rounding worth talking about:
1. reference_fp32_cpu is C = A @ B (built with USE_CUBLAS, cuBLAS's own output takes its place).
   Steps 1-5 must match it to a relative Frobenius error below 1e-5. Bit equality is impossible,
   because each kernel sums K in its own order; 1e-5 is about 84 float epsilons (2^-23 each): room
   for another summation order at the K <= 2048 that --check allows, none for a wrong tile index, a
   missed barrier or an unwritten output (C is NaN-filled, and NaN fails every comparison).
2. reference_fp8_cpu repeats step 6's math exactly: the same E4M3 values, one partial sum per
   128-element K block, both scales applied once per block. Step 6 must match it below 1e-5 too,
   AND stay within DeepGEMM's gate calc_diff < 1e-3 (tests/test_core.py) of the FP32 product: the
   first check catches a bug in the kernel, the second says the quantization itself is good enough.

The FP8 copies follow DeepGEMM's layout. A8 is A, K-major, one scale per row per 128 columns (1x128,
per token). B8 is B transposed to [N, K], so the GEMM is NT like DeepGEMM's SM90 kernels (README:
D = C + A @ B.T), with one scale per 128x128 block (per weight tile). Each scale is amax / 448, so
the block's largest magnitude lands on E4M3's largest finite value (OCP FP8 spec).

Sizes stay small where the CPU pays: each reference costs n^3 multiply-adds, so main checks at
--check 512 and times at the big n. Device buffers are plain cudaMalloc with blocking copies: this is
a harness, not a pipeline, and none of it is inside the timed region.
</karpathys_code_comments>
*/
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#ifdef USE_CUBLAS
#include <cublas_v2.h>
#endif

// Karpathy: every CUDA call is checked; a failure prints where it happened and exits with code 1.
#define CUDA_CHECK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
    fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); exit(1); } } while (0)

// Karpathy: DeepGEMM's BLOCK_K. One activation scale and one weight scale cover 128 elements of K.
constexpr int SCALE_BLOCK = 128;
// Karpathy: largest finite E4M3 value; quantizers map each block's amax onto it.
constexpr float E4M3_MAX = 448.0f;

// ---------------------------------------------------------------- inputs: FP32 matrices and their block-scaled FP8 copies
struct HostData {
    std::vector<float> A, B, sa, sb;  // Karpathy: A shape [n, n], B shape [n, n] (K rows, N columns)
    std::vector<__nv_fp8_e4m3> A8, B8;  // Karpathy: A8 shape [n, n] (M, K), B8 shape [n, n] (N, K)
};
struct Problem { int n; float *A, *B, *C, *sa, *sb; __nv_fp8_e4m3 *A8, *B8; };

// Karpathy: x shape [rows, cols] -> q shape [rows, cols], scale shape [rows / block_rows, cols / 128].
// block_rows = 1 gives DeepGEMM's per-token 1x128 cast, block_rows = 128 its 128x128 weight cast.
inline void quantize_blocks(const float* x, int rows, int cols, int block_rows, __nv_fp8_e4m3* q, float* scale) {
    const int sc = cols / SCALE_BLOCK;
    for (int br = 0; br < rows / block_rows; ++br)
        for (int bc = 0; bc < sc; ++bc) {
            // Karpathy: amax floor 1e-4 as in DeepGEMM's test quantizers, so an all-zero block is safe.
            float amax = 1e-4f;
            for (int r = br * block_rows; r < (br + 1) * block_rows; ++r)
                for (int c = bc * SCALE_BLOCK; c < (bc + 1) * SCALE_BLOCK; ++c) amax = fmaxf(amax, fabsf(x[r * cols + c]));
            scale[br * sc + bc] = amax / E4M3_MAX;
            for (int r = br * block_rows; r < (br + 1) * block_rows; ++r)
                for (int c = bc * SCALE_BLOCK; c < (bc + 1) * SCALE_BLOCK; ++c)
                    q[r * cols + c] = __nv_fp8_e4m3(x[r * cols + c] * (E4M3_MAX / amax));
        }
}

inline HostData make_host_data(int n, unsigned seed) {
    const size_t nn = (size_t)n * n;
    HostData h{std::vector<float>(nn), std::vector<float>(nn), std::vector<float>(nn / SCALE_BLOCK),
               std::vector<float>(nn / SCALE_BLOCK / SCALE_BLOCK), std::vector<__nv_fp8_e4m3>(nn),
               std::vector<__nv_fp8_e4m3>(nn)};
    // Karpathy: standard normal inputs like torch.randn in DeepGEMM's tests, seeded so runs repeat.
    std::mt19937 gen(seed);
    std::normal_distribution<float> randn(0.f, 1.f);
    for (auto& v : h.A) v = randn(gen);
    for (auto& v : h.B) v = randn(gen);
    // Karpathy: the FP8 weight is B transposed, Bt shape [N, K], so C = A8 @ B8^T approximates A @ B
    // and one FP32 reference serves every step.
    std::vector<float> Bt(nn);
    for (int k = 0; k < n; ++k)
        for (int j = 0; j < n; ++j) Bt[(size_t)j * n + k] = h.B[(size_t)k * n + j];
    quantize_blocks(h.A.data(), n, n, 1, h.A8.data(), h.sa.data());
    quantize_blocks(Bt.data(), n, n, SCALE_BLOCK, h.B8.data(), h.sb.data());
    return h;
}

// ---------------------------------------------------------------- device buffers
template <typename T>
T* to_device(const std::vector<T>& v) {
    // Karpathy: a copy from pageable host memory is synchronous: the data is on the GPU on return.
    T* d = nullptr;
    CUDA_CHECK(cudaMalloc(&d, v.size() * sizeof(T)));
    CUDA_CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}

inline Problem upload(const HostData& h, int n) {
    // Karpathy: C is only allocated: no kernel reads it, and each check NaN-fills it first.
    float* C = nullptr;
    CUDA_CHECK(cudaMalloc(&C, (size_t)n * n * sizeof(float)));
    return Problem{n, to_device(h.A), to_device(h.B), C, to_device(h.sa), to_device(h.sb), to_device(h.A8),
                   to_device(h.B8)};
}

inline void free_problem(Problem& p) {
    for (void* ptr : {(void*)p.A, (void*)p.B, (void*)p.C, (void*)p.A8, (void*)p.B8, (void*)p.sa, (void*)p.sb})
        CUDA_CHECK(cudaFree(ptr));
}

#ifdef USE_CUBLAS
inline cublasHandle_t g_cublas;  // Karpathy: one handle for the whole run, used by launch(0, p)

inline bool init_cublas() {
    // Karpathy: DEFAULT_MATH = no TF32, the same FP32 SGEMM that torch runs with allow_tf32 = False.
    if (cublasCreate(&g_cublas) != CUBLAS_STATUS_SUCCESS) { fprintf(stderr, "cublasCreate failed\n"); return false; }
    cublasSetMathMode(g_cublas, CUBLAS_DEFAULT_MATH);
    return true;
}
#endif

// ---------------------------------------------------------------- references and the PASS/FAIL gates
inline void reference_fp32_cpu(const float* A, const float* B, int n, float* C) {
    // Karpathy: i-k-j order walks B and the output row contiguously; double keeps the reference honest.
    std::vector<double> row(n);
    for (int i = 0; i < n; ++i) {
        std::fill(row.begin(), row.end(), 0.0);
        for (int k = 0; k < n; ++k) {
            const double a = A[(size_t)i * n + k];
            for (int j = 0; j < n; ++j) row[j] += a * B[(size_t)k * n + j];
        }
        for (int j = 0; j < n; ++j) C[(size_t)i * n + j] = (float)row[j];
    }
}

inline void reference_fp8_cpu(const HostData& h, int n, float* C) {
    // Karpathy: the SAME math as step 6 (FP8 values, per-block partial sums, scales applied per K block),
    // so any difference left is summation order, not quantization.
    const int kb_n = n / SCALE_BLOCK;
    std::vector<float> bq((size_t)n * n);  // Karpathy: bq shape [K, N], unscaled FP8 values of B8^T
    for (int j = 0; j < n; ++j)
        for (int k = 0; k < n; ++k) bq[(size_t)k * n + j] = (float)h.B8[(size_t)j * n + k];
    std::vector<double> acc(n), part(n);
    for (int i = 0; i < n; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int kb = 0; kb < kb_n; ++kb) {
            std::fill(part.begin(), part.end(), 0.0);
            for (int k = kb * SCALE_BLOCK; k < (kb + 1) * SCALE_BLOCK; ++k) {
                const double a = (float)h.A8[(size_t)i * n + k];
                for (int j = 0; j < n; ++j) part[j] += a * bq[(size_t)k * n + j];
            }
            for (int j = 0; j < n; ++j) acc[j] += part[j] * h.sa[(size_t)i * kb_n + kb] * h.sb[(j / SCALE_BLOCK) * kb_n + kb];
        }
        for (int j = 0; j < n; ++j) C[(size_t)i * n + j] = (float)acc[j];
    }
}

inline double rel_frobenius(const std::vector<float>& x, const std::vector<float>& ref) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < x.size(); ++i) { num += ((double)x[i] - ref[i]) * ((double)x[i] - ref[i]); den += (double)ref[i] * ref[i]; }
    // Karpathy: NaN (an unwritten C is filled with NaN before each check) compares false: a FAIL.
    return std::sqrt(num / den);
}

inline double calc_diff(const std::vector<float>& x, const std::vector<float>& y) {
    // Karpathy: 1 - cosine-like similarity, scale-aware: 0 for identical, 1e-3 is DeepGEMM's gate.
    double xy = 0.0, sq = 0.0;
    for (size_t i = 0; i < x.size(); ++i) { xy += (double)x[i] * y[i]; sq += (double)x[i] * x[i] + (double)y[i] * y[i]; }
    return 1.0 - 2.0 * xy / sq;
}

inline bool check_output(const char* name, bool fp8, const std::vector<float>& out, const std::vector<float>& ref32,
                         const std::vector<float>& ref8) {
    // Karpathy: FP32 steps must match FP32 math to 1e-5 (about 84 float epsilons); step 6 must match the
    // same block-scaled math AND stay within DeepGEMM's calc_diff gate, 1e-3, of the true FP32 product.
    const double rel = rel_frobenius(out, fp8 ? ref8 : ref32);
    const double diff = calc_diff(out, ref32);
    const bool pass = rel < 1e-5 && (!fp8 || diff < 1e-3);
    printf("%s  %-28s rel_err %.2e", pass ? "PASS" : "FAIL", name, rel);
    if (fp8) printf("  calc_diff vs FP32 %.2e", diff);
    return pass;
}

// ---------------------------------------------------------------- command line and device
// Karpathy: main holds the defaults; this overwrites what the command line names and rejects the rest.
inline bool parse_args(int argc, char** argv, int& n, int& check, int& iters, double& cublas_gflops) {
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--check") && i + 1 < argc) check = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cublas-gflops") && i + 1 < argc) cublas_gflops = atof(argv[++i]);
        else if (argv[i][0] != '-') n = atoi(argv[i]);
        else { fprintf(stderr, "usage: %s [n] [--check n] [--iters k] [--cublas-gflops X]\n", argv[0]); return false; }
    }
    // Karpathy: multiples of 128 because every grid is n / 128 tiles with no bounds checks. The caps bound
    // the cost: 16384 keeps the timed matrices in device memory, 2048 keeps the O(n^3) CPU references short.
    if (n < 128 || n > 16384 || n % 128 || check < 128 || check > 2048 || check % 128 || iters < 1 ||
        cublas_gflops < 0) {
        fprintf(stderr, "sizes must be multiples of 128 (n <= 16384, check <= 2048), iters >= 1\n");
        return false;
    }
    return true;
}

inline bool find_gpu(cudaDeviceProp& prop) {
    // Karpathy: no device is an answer, not a crash: one line, and main exits with code 3.
    int devices = 0;
    const cudaError_t err = cudaGetDeviceCount(&devices);
    if (err != cudaSuccess || devices == 0) {
        printf("no CUDA device: %s (exit code 3)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return false;
    }
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("GPU: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
    return true;
}

// Karpathy: Check before timing: one double-precision reference for FP32 math, one for the exact block-scaled FP8 math.
