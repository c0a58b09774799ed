#include "cuda_host_emu.h"
#include KERNELS  // the FP32 steps of corpus/02-DeepGEMM/01-gemm_kernel.cu, cut out by the test
int main(int argc, char** argv) {
    const int n = argc > 1 ? atoi(argv[1]) : 256, M = n, N = n, K = n;
    std::mt19937 gen(7);
    std::normal_distribution<float> randn(0.f, 1.f);
    std::vector<float> A(n * n), B(n * n), C(n * n);
    for (auto& v : A) v = randn(gen);
    for (auto& v : B) v = randn(gen);
    std::vector<double> ref(n * n, 0.0);
    for (int i = 0; i < M; ++i)
        for (int k = 0; k < K; ++k)
            for (int j = 0; j < N; ++j) ref[i * N + j] += (double)A[i * K + k] * B[k * N + j];
    const float *a = A.data(), *b = B.data();
    float* c = C.data();
    int fails = 0;
    for (int id = 3; id <= 5; ++id) {
        std::fill(C.begin(), C.end(), NAN);
        if (id == 3) emu_launch(n / 128, n / 128, 256, [=] { sgemm_2d_blocktile<128, 128, 8, 8, 8>(M, N, K, a, b, c); });
        if (id == 4) emu_launch(n / 128, n / 128, 256, [=] { sgemm_vectorized<128, 128, 16>(M, N, K, a, b, c); });
        if (id == 5) emu_launch(n / 128, n / 128, 128, [=] { sgemm_warptiled<128, 128, 16, 64, 64, 4, 8, 4>(M, N, K, a, b, c); });
        double num = 0, den = 0;
        for (int i = 0; i < n * n; ++i) { num += (C[i] - ref[i]) * (C[i] - ref[i]); den += ref[i] * ref[i]; }
        const double rel = std::sqrt(num / den);
        const bool pass = rel < 1e-5;
        fails += !pass;
        printf("%s step %d rel_err %.2e\n", pass ? "PASS" : "FAIL", id, rel);
    }
    return fails ? 1 : 0;
}
