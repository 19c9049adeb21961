#!/bin/sh
# Submit a chokepoint run to Slurm as a job array of TASKS pieces and a merge
# job that starts once every piece has succeeded; with --mpi also the same run
# as one MPI job (it needs the MPI build). Prints the job ids as
# `array=ID merge=ID [mpi=ID]`; the files land in CKP_DIR (see array.sbatch).
#
#   examples/slurm/submit.sh [--mpi] [TASKS]        (TASKS default: 4)
#
#   CKP_PATHS=1000000 CKP_DIR=/scratch/$USER/korea examples/slurm/submit.sh 16
#   squeue --me                                     # watch; then
#   chokepoint summary /scratch/$USER/korea/all.h5
#
# CKP_SBATCH_ARGS adds sbatch options to every job (for example
# "--partition=short --account=proj"), CKP_MPI_SBATCH_ARGS to the MPI job only
# (for example "--ntasks=8 --cpus-per-task=16"). The environment, with the
# CKP_* settings, reaches the jobs (sbatch's default --export=ALL).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mpi=0
if [ "${1:-}" = "--mpi" ]; then
    mpi=1
    shift
fi
tasks=${1:-4}
case $tasks in
'' | *[!0-9]*)
    echo "submit.sh: TASKS must be a positive number, not '$tasks'" >&2
    exit 2
    ;;
esac
[ "$tasks" -ge 1 ] || { echo "submit.sh: TASKS must be at least 1" >&2; exit 2; }

# --parsable prints "ID" or "ID;CLUSTER"; keep the id.
# shellcheck disable=SC2086 # CKP_SBATCH_ARGS is a list of options
array=$(sbatch --parsable --array=0-$((tasks - 1)) ${CKP_SBATCH_ARGS:-} "$here/array.sbatch")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable --dependency=afterok:"$array" ${CKP_SBATCH_ARGS:-} \
    "$here/merge.sbatch")
merge=${merge%%;*}
line="array=$array merge=$merge"
if [ "$mpi" = 1 ]; then
    # shellcheck disable=SC2086
    job=$(sbatch --parsable ${CKP_SBATCH_ARGS:-} ${CKP_MPI_SBATCH_ARGS:-} "$here/mpi.sbatch")
    line="$line mpi=${job%%;*}"
fi
echo "$line"
