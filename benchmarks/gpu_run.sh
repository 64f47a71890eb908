#!/usr/bin/env bash
# Issue 4's GPU figures in one call of the lent GPU machine (JAX backend:
# it has JAX with CUDA and PyTorch, no TensorFlow). From the project root,
# after the prefix that `../shared/tools/device-prep` prints:
#
#     benchmarks/gpu_run.sh "$OUT" [PART ...]
#
# PARTs, in the order given (default: all, in this order):
#   env       the GPU, JAX's devices, the versions
#   example   examples/fashion_mnist.py's default run, with --log-dir (then
#             its per-step learning-rate points are read back) and --save
#             (then the reload check); its JSON summary -> example.json
#   overhead  benchmarks/overhead.py, epoch by epoch -> overhead-jax-gpu.json
#   calls     benchmarks/overhead.py, call by call -> overhead-calls-jax-gpu.json
#   accuracy  examples/time_to_accuracy.py, warmup_cosine (the example's
#             default) then constant -> time_to_accuracy-jax-gpu.json,
#             written after each schedule
#
# All output also goes to OUT/run.log: five files in all (the device tool
# brings back at most eight). Last, the tables of docs/benchmarks.md of the overhead
# timings made (overhead_table.py). The parts share a budget of GPU_RUN_SECONDS
# (default 560, under the tool's 600 s per call): each part is stopped at
# its own cap or when the budget is spent, and the parts after it still
# run while time is left. The two overhead timings also stop starting
# rounds after a time limit of their own (--time-limit), so that a machine
# slower than planned for gives fewer rounds rather than none.
# The exit code is 1 if a part failed, was stopped or was skipped.
# GPU_RUN_SMOKE=1 shrinks every part to seconds, to check this script on
# a CPU (tests/test_benchmarks.py does).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
    echo "usage: benchmarks/gpu_run.sh OUT_DIR [env|example|overhead|calls|accuracy ...]" >&2
    exit 2
fi
out=$1
shift
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(env example overhead calls accuracy)
for part in "${parts[@]}"; do
    case $part in
        env | example | overhead | calls | accuracy) ;;
        *) echo "gpu_run.sh: error: unknown part '$part'" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
python=${PYTHON:-python3}
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
deadline=$((SECONDS + ${GPU_RUN_SECONDS:-560}))
work=$(mktemp -d)
log=$out/run.log
failed=0

if [ "${GPU_RUN_SMOKE:-0}" = 1 ]; then
    example_args=(--quick --epochs 1)
    configurations="float rate (third model),CosineDecay + LearningRateMonitor(batch)"
    overhead_args=(--steps 8 --rounds 2 --configurations "$configurations")
    calls_args=(--steps 8 --rounds 20 --configurations "$configurations")
    accuracy_args=(--quick --epochs 1 --train-images 512 --test-images 256)
else
    example_args=()
    overhead_args=(--rounds 100 --time-limit 100)
    calls_args=(--rounds 2000 --time-limit 50)
    accuracy_args=()
fi

# run_part NAME CAP_SECONDS COMMAND...: runs COMMAND (a command, or a
# function whose commands are `bounded`) under the smaller of CAP_SECONDS
# and the time left, its output into the log.
run_part() {
    local name=$1 cap=$2
    shift 2
    local left=$((deadline - SECONDS))
    local limit=$((cap < left ? cap : left))
    if [ "$limit" -le 5 ]; then
        echo "=== $name: skipped, the budget is spent" | tee -a "$log"
        failed=1
        return
    fi
    echo "=== $name (at most ${limit} s): $*" | tee -a "$log"
    local started=$SECONDS
    "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    [ "$status" = 124 ] && echo "=== $name: stopped at ${limit} s" | tee -a "$log"
    echo "=== $name: exit code $status after $((SECONDS - started)) s" | tee -a "$log"
    [ "$status" = 0 ] || failed=1
}

bounded() {
    timeout "$limit" "$@"
}

environment() {
    bounded nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    bounded "$python" -c '
import platform, jax, keras, numpy
print("python", platform.python_version(), "jax", jax.__version__,
      "keras", keras.__version__, "numpy", numpy.__version__)
print("devices:", jax.devices())'
}

example() {
    bounded "$python" examples/fashion_mnist.py "${example_args[@]}" \
        --log-dir "$work/logs" --save "$work/model.keras" \
        | tee "$work/example.log"
    local status=${PIPESTATUS[0]}
    grep '^{' "$work/example.log" | tail -n 1 > "$out/example.json"
    # The learning-rate points that TensorBoard's own reader finds: one per step.
    timeout 60 "$python" -c '
import sys
from tensorboard.backend.event_processing import plugin_event_accumulator as events
log = events.EventAccumulator(sys.argv[1] + "/train", size_guidance={"tensors": 0})
log.Reload()
steps = [event.step for event in log.Tensors("learning_rate")]
print(f"TensorBoard: {len(steps)} learning_rate points, steps {steps[0]}..{steps[-1]}")' \
        "$work/logs"
    return "$status"
}

for part in "${parts[@]}"; do
    case $part in
        env) run_part env 60 environment ;;
        example) run_part example 240 example ;;
        overhead)
            run_part overhead 240 bounded "$python" benchmarks/overhead.py "${overhead_args[@]}" \
                --out "$out/overhead-jax-gpu.json" ;;
        calls)
            run_part calls 180 bounded "$python" benchmarks/overhead.py --timing call \
                "${calls_args[@]}" --out "$out/overhead-calls-jax-gpu.json" ;;
        accuracy)
            run_part accuracy 400 bounded "$python" examples/time_to_accuracy.py \
                --schedules warmup_cosine,constant "${accuracy_args[@]}" \
                --json "$out/time_to_accuracy-jax-gpu.json" ;;
    esac
done
# The overhead tables (docs/benchmarks.md) of what was timed, at the end of the output
# (the device tool returns its last 12000 characters).
for timing in overhead overhead-calls; do
    if [ -s "$out/$timing-jax-gpu.json" ]; then
        "$python" benchmarks/overhead_table.py "$out/$timing-jax-gpu.json" 2>&1 | tee -a "$log"
    fi
done
rm -rf "$work"
exit $failed
