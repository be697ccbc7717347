#!/usr/bin/env bash
# Submits a sweep as a job array of TASKS tasks, and the gather step to run when every task has succeeded.
#
#   tools/slurm/submit.sh scenarios/sweeps/idlib_sensitivity.yaml 20 [output directory]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sweep_file="${1:?usage: submit.sh SWEEP_FILE TASKS [OUTPUT_DIR]}"
tasks="${2:?usage: submit.sh SWEEP_FILE TASKS [OUTPUT_DIR]}"
haven="${HAVEN:-build/default/bin/haven}"
# The sweep's output directory: given, or output/<sweep.name> (a sweep file's own `output:` needs it given).
directory="${3:-}"
extra=()
if [[ -n "$directory" ]]; then
  extra=(-o "$directory")
else
  name=$(sed -n 's/^  name: *\([A-Za-z0-9_]*\).*/\1/p' "$sweep_file" | head -1)
  directory="output/${name:?cannot read sweep.name from $sweep_file}"
fi
"$haven" sweep "$sweep_file" --list >/dev/null  # validate before queueing anything
array=$(sbatch --parsable --array=0-$((tasks - 1)) "$here/sweep_array.sbatch" "$sweep_file" "${extra[@]}")
gather=$(sbatch --parsable --dependency=afterok:"${array%%;*}" "$here/gather.sbatch" "$directory")
echo "submitted array $array ($tasks tasks) and gather $gather (after the array succeeds) for $directory"
