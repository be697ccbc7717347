#!/usr/bin/env bash
# Submits a sweep as a Slurm job array of TASKS tasks, and the gather step to run when every task has ended
# (succeeded or not: the gather reports the members that are missing or failed, and exits 1).
#
#   tools/slurm/submit.sh [OPTIONS] SWEEP_FILE TASKS [OUTPUT_DIR]
#   tools/slurm/submit.sh --cpus 4 --partition short --account proj42 scenarios/sweeps/idlib_sensitivity.yaml 20
#
# Run it from the directory the sweep's relative paths (and output/) are relative to, normally the checkout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
usage: submit.sh [OPTIONS] SWEEP_FILE TASKS [OUTPUT_DIR]

Submits SWEEP_FILE as a job array of TASKS tasks (tools/slurm/sweep_array.sbatch) and the gather step
(tools/slurm/gather.sbatch, --dependency=afterany on the array). OUTPUT_DIR defaults to the sweep file's
output:, else output/<sweep.name>.

Options (before the positional arguments):
  --cpus N         CPUs per array task (default 1); haven sweep runs N members at a time
  --mem M          memory per array task, as sbatch --mem (default 2G)
  --time T         time limit per array task, as sbatch --time (default 01:00:00)
  --partition P    partition of the array and the gather (default: the cluster's)
  --account A      account charged for the array and the gather (default: yours)
  --sbatch "OPTS"  further sbatch options for the array and the gather, e.g. --sbatch "--qos=short"
  --allow-missing  let the gather write ensemble.h5 even if some members are missing or failed
  -h, --help       this help

The haven binary: $HAVEN if set, else `haven` on PATH, else build/default/bin/haven of this checkout; the
jobs use the same one.
EOF
}

die() {
  echo "submit.sh: error: $*" >&2
  echo "run 'tools/slurm/submit.sh --help' for the options" >&2
  exit 2
}

cpus=1
array_options=()  # for the array only
common_options=() # for the array and the gather
gather_options=() # for haven gather
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --cpus | --mem | --time | --partition | --account | --sbatch)
      [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"
      case "$1" in
        --cpus)
          [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--cpus $2: expected a whole number of CPUs (1, 2, ...)"
          cpus="$2" ;;
        --mem) array_options+=("--mem=$2") ;;
        --time) array_options+=("--time=$2") ;;
        --partition) common_options+=("--partition=$2") ;;
        --account) common_options+=("--account=$2") ;;
        --sbatch)
          read -r -a words <<<"$2"
          common_options+=("${words[@]}") ;;
      esac
      shift 2 ;;
    --cpus=* | --mem=* | --time=* | --partition=* | --account=* | --sbatch=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --allow-missing) gather_options+=(--allow-missing); shift ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -ge 2 && $# -le 3 ]] || { usage >&2; exit 2; }
sweep_file="$1"
tasks="$2"
[[ -f "$sweep_file" ]] || die "$sweep_file: no such file"
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || die "TASKS $tasks: expected a whole number of array tasks (1, 2, ...)"
array_options+=("--cpus-per-task=$cpus")

# The haven binary, resolved once here and handed to the jobs (sbatch passes the environment on).
if [[ -n "${HAVEN:-}" ]]; then
  haven="$HAVEN"
elif command -v haven >/dev/null 2>&1; then
  haven="$(command -v haven)"
else
  haven="$here/../../build/default/bin/haven"
fi
if [[ "$haven" == */* ]]; then
  [[ -x "$haven" && -f "$haven" ]] ||
    die "no haven binary at $haven: set HAVEN, put haven on PATH, or build it (cmake --preset default &&" \
      "cmake --build --preset default)"
  haven="$(cd "$(dirname "$haven")" && pwd)/$(basename "$haven")"
else
  haven="$(command -v "$haven")" || die "HAVEN=$HAVEN: no such command"
fi
export HAVEN="$haven"

# The sweep's output directory: given, else as haven reads the sweep file (its `output:`, else output/<name>).
directory="${3:-}"
extra=()
if [[ -n "$directory" ]]; then
  extra=(-o "$directory")
fi
"$haven" sweep "$sweep_file" --list >/dev/null # validate before queueing anything
directory=$("$haven" sweep "$sweep_file" "${extra[@]}" --print-directory)
array=$(sbatch --parsable --array=0-$((tasks - 1)) "${common_options[@]}" "${array_options[@]}" \
  "$here/sweep_array.sbatch" "$sweep_file" "${extra[@]}")
array="${array%%;*}" # --parsable prints "id;cluster" on multi-cluster sites
# afterany: the gather runs however the tasks ended, and says which members are missing or failed (afterok would
# leave it pending for ever after one failed task).
gather=$(sbatch --parsable --dependency=afterany:"$array" "${common_options[@]}" \
  "$here/gather.sbatch" "$directory" "${gather_options[@]}")
echo "submitted array $array ($tasks tasks, $cpus CPUs each) and gather ${gather%%;*} (when the array ends)" \
  "for $directory"
echo "haven: $haven"
