#!/usr/bin/env bash
# Run everything in this repo that needs a CUDA GPU and write the figures to bench/GPU.md.
#
#   bash bench/gpu_check.sh [--out FILE] [--python PY] [--size N] [--wheels DIR] [--budget SECONDS] [--rehearse]
#
# Stages (each under its own time limit; the report is rewritten after every stage, so a run that is
# cut short still leaves the figures gathered so far):
#   1. the machine: GPU name, driver, torch and CUDA versions
#   2. pytest -m gpu tests/corpus      (every test marked gpu, with their printed figures)
#   3. bench/gemm_bench.py at N^3      (the GEMM ladder vs cuBLAS SGEMM, default N = 4096)
#   4. the MLA decode timing            (tests/corpus/test_flashmla.py::test_cuda_timing_absorbed_vs_naive)
#
# Options:
#   --out FILE      report path (default: bench/GPU.md next to this script)
#   --python PY     interpreter with torch and pytest (default: $PYTHON or python3)
#   --size N        GEMM size for stage 3, a multiple of 128 (default 4096)
#   --wheels DIR    pip-install the wheels in DIR into a private folder first (for a machine with no
#                   network that lacks a test dependency); nothing is installed system-wide
#   --budget S      total seconds for stages 2-4 together (default 540, so one 600 s device call holds
#                   the whole run); each stage gets its share
#   --rehearse      run every stage even without a CUDA device (GPU tests skip, figures stay empty), to
#                   check the script and the report on any machine; use it with --out
# Environment: KARPATHY_GEMM_BIN=path uses a prebuilt ladder binary; otherwise nvcc builds it once for
# the GPU's own arch (sm_90 on an H100/H200) and stages 2 and 3 share it.
#
# Exit codes: 0 every stage passed; 1 a stage failed or ran out of time (the report says which);
#             2 bad arguments; 3 no CUDA device (nothing is run and the report is not touched).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/GPU.md"
py="${PYTHON:-python3}"
size=4096
wheels=""
budget=540

usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die_usage() { echo "gpu_check.sh: $1 (see --help)" >&2; exit 2; }
rehearse=0

while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die_usage "--out needs a path"; out="$2"; shift 2 ;;
        --python) [ $# -ge 2 ] || die_usage "--python needs an interpreter"; py="$2"; shift 2 ;;
        --size) [ $# -ge 2 ] || die_usage "--size needs a number"; size="$2"; shift 2 ;;
        --wheels) [ $# -ge 2 ] || die_usage "--wheels needs a folder"; wheels="$2"; shift 2 ;;
        --budget) [ $# -ge 2 ] || die_usage "--budget needs seconds"; budget="$2"; shift 2 ;;
        --rehearse) rehearse=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die_usage "unknown argument: $1" ;;
    esac
done
[[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 128 ] && [ $((size % 128)) -eq 0 ] || die_usage "--size must be a multiple of 128"
[[ "$budget" =~ ^[0-9]+$ ]] && [ "$budget" -ge 60 ] || die_usage "--budget must be at least 60 seconds"
command -v "$py" >/dev/null 2>&1 || die_usage "python not found: $py"
[ -z "$wheels" ] || [ -d "$wheels" ] || die_usage "--wheels: not a folder: $wheels"

# ---- the no-GPU path: one line, exit 3, report untouched ----
probe="$("$py" - <<'EOF' 2>&1 || true
try:
    import torch
except ImportError:
    print("no CUDA device: torch is not installed")
else:
    print("cuda" if torch.cuda.is_available() else "no CUDA device: torch.cuda.is_available() is False")
EOF
)"
if [ "$probe" != "cuda" ] && [ "$rehearse" -eq 0 ]; then
    echo "${probe##*$'\n'}"
    exit 3
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="$work/GPU.md"
status=0

if [ -n "$wheels" ]; then
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$work/site" "$wheels"/*.whl
    export PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}"
fi

publish() {  # copy the report so far into place atomically: a cut-short run still leaves a whole file
    mkdir -p "$(dirname "$out")"
    cp "$report" "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
}

# run_stage NAME SECONDS LOG CMD...: run under a time limit, record PASS/FAIL/TIMEOUT, never abort
run_stage() {
    local name="$1" limit="$2" log="$3"
    shift 3
    local rc=0
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "- $name: PASS" >>"$report"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "- $name: TIMEOUT after ${limit} s" >>"$report"; status=1
    else
        echo "- $name: FAIL (exit code $rc)" >>"$report"; status=1
    fi
    echo "$name: exit $rc" >&2
}

code_block() { echo '```' >>"$report"; cat "$1" >>"$report"; echo '```' >>"$report"; }

# ---- stage 1: the machine ----
"$py" - >"$work/machine.txt" 2>&1 <<'EOF' || true
import torch
p = torch.cuda.get_device_properties(0)
print(f"GPU: {torch.cuda.get_device_name(0)} (sm_{p.major}{p.minor}, {p.multi_processor_count} SMs, "
      f"{p.total_memory / 2**30:.0f} GiB)")
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}")
EOF
gpu_name="$(sed -n 's/^GPU: \(.*\) (sm_.*/\1/p' "$work/machine.txt" | head -1)"
{
    echo "# GPU check: ${gpu_name:-unknown GPU}"
    echo
    echo "Written by \`bench/gpu_check.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit" \
         "\`$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)\`."
    echo
    cat "$work/machine.txt"
    if command -v nvidia-smi >/dev/null 2>&1; then
        echo "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
    fi
    if command -v nvcc >/dev/null 2>&1; then
        echo "nvcc: $(nvcc --version | tail -1)"
    fi
    echo
    echo "## Stages"
    echo
} >"$report"
publish

share=$((budget / 3))

# ---- build the GEMM ladder once; the pytest stage and the bench both use it ----
if [ -z "${KARPATHY_GEMM_BIN:-}" ] && command -v nvcc >/dev/null 2>&1; then
    arch="$("$py" -c 'import torch; m, n = torch.cuda.get_device_capability(); print(f"sm_{m}{n}")' 2>/dev/null)" \
        || arch=sm_90
    if timeout 300 nvcc -O3 -std=c++17 "-arch=$arch" -o "$work/gemm" "$root/corpus/02-DeepGEMM/01-gemm_kernel.cu" \
        >"$work/nvcc.log" 2>&1; then
        export KARPATHY_GEMM_BIN="$work/gemm"
        echo "- nvcc -O3 -arch=$arch 01-gemm_kernel.cu: PASS" >>"$report"
    else
        echo "- nvcc -O3 -arch=$arch 01-gemm_kernel.cu: FAIL (see the pytest stage)" >>"$report"; status=1
    fi
fi

# ---- stage 2: every test marked gpu ----
cd "$root"
run_stage "pytest -m gpu tests/corpus" $((share + share / 2)) "$work/pytest.log" \
    env PYTHONUNBUFFERED=1 "$py" -m pytest -m gpu tests/corpus -p no:cacheprovider -q -rA
publish

# ---- stage 3: the GEMM ladder against cuBLAS ----
gemm_args=(bench/gemm_bench.py --size "$size" --check 512 --iters 5)
[ -n "${KARPATHY_GEMM_BIN:-}" ] && gemm_args+=(--binary "$KARPATHY_GEMM_BIN")
run_stage "bench/gemm_bench.py --size $size" "$share" "$work/gemm.log" env PYTHONUNBUFFERED=1 "$py" "${gemm_args[@]}"
publish

# ---- stage 4: MLA timing (from stage 2's log when it got there, else on its own) ----
mla_line() { grep -E "one MLA decode step" "$1" | head -1 || true; }
mla="$(mla_line "$work/pytest.log")"
if [ -z "$mla" ]; then
    run_stage "MLA decode timing" $((share / 2)) "$work/mla.log" env PYTHONUNBUFFERED=1 "$py" -m pytest \
        -m gpu "tests/corpus/test_flashmla.py::test_cuda_timing_absorbed_vs_naive" -p no:cacheprovider -q -rA
    mla="$(mla_line "$work/mla.log")"
else
    echo "- MLA decode timing: PASS (taken from the pytest run)" >>"$report"
fi

# ---- the figures ----
{
    echo
    echo "## GEMM ladder at ${size}^3 (FP32; % of cuBLAS SGEMM with TF32 off)"
    echo
    grep -E "^torch\.matmul FP32|^warp tiling at" "$work/gemm.log" | sed 's/^/    /' || echo "    (no figures: see the log below)"
    echo
    grep -E "^\|" "$work/gemm.log" || true
    echo
    echo "## MLA decode timing"
    echo
    echo "    ${mla:-(no figure: the timing test did not print one)}"
    echo
    echo "## pytest -m gpu tests/corpus"
    echo
    echo "Summary: $(grep -E "(passed|failed|error|skipped|deselected)" "$work/pytest.log" | tail -1 || echo none)"
    echo
    echo "Figures printed by the tests (their captured output, test by test):"
    echo
    # -rA prints each test's captured stdout under a "Captured stdout call" rule; keep those lines.
    awk '/^_+ .* _+$/ { name = $2 } /^-+ Captured stdout call -+$/ { on = 1; print "    [" name "]"; next }
         /^(-+|=+|_+)( |$)/ { on = 0 } on && NF { print "    " $0 }' "$work/pytest.log" || true
    echo
    echo "## Logs"
    echo
    echo "gemm_bench.py:"
} >>"$report"
code_block "$work/gemm.log"
{ echo; echo "pytest (last 150 lines):"; } >>"$report"
tail -n 150 "$work/pytest.log" >"$work/pytest.tail"
code_block "$work/pytest.tail"
publish

echo "wrote $out (exit $status)"
exit "$status"
