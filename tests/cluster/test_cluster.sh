#!/bin/sh
# Suite `cluster`: examples/slurm on a real single-node Slurm started by hand.
#
#   test_cluster.sh CHOKEPOINT [--mpi]
#
# Installs slurm-wlm and munge when missing (skips, exit 77, only when they
# cannot be installed), starts munged, slurmctld and slurmd in a temporary
# state directory (tests/cluster/slurm_local.sh), then:
#   1. submits examples/slurm/submit.sh: a 3-task array of uneven pieces and
#      the merge job depending on it; waits (bounded) and checks that every
#      task and the merge COMPLETED and that the merged file equals a single
#      run of the whole range dataset by dataset (tests/same_results.py;
#      all but created_utc, command_line and the merge's `merged_parts`), and that a
#      part alone does not (the comparison can fail);
#   2. submits an array whose tasks fail (a path count the tasks cannot split)
#      and checks that its merge never starts (afterok), and nothing is merged;
#   3. with --mpi (CHOKEPOINT is the MPI build): with the array, submit.sh --mpi
#      also submits examples/slurm/mpi.sbatch at 3 ranks on the 2-CPU node
#      (--overcommit); its file must equal the single run too.
# Every wait has a time limit; every daemon started is stopped on exit, also
# on failure or a signal (meson's timeout sends SIGTERM).
set -eu

exe=$(realpath "$1")
want_mpi=0
[ "${2:-}" = "--mpi" ] && want_mpi=1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
paths=1001 # 3 tasks: 333, 334, 334 paths
run_args="-p stockpile_100d -p detente --batch 64"

install_missing() {
    missing=""
    for p in slurm-wlm munge; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
    done
    [ -n "$missing" ] || return 0
    echo "cluster: installing:$missing"
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then
        sudo -n true 2>/dev/null || return 1
        sudo_cmd="sudo -n"
    fi
    timeout 300 $sudo_cmd apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive timeout 600 $sudo_cmd apt-get install -y -qq \
        --no-install-recommends $missing || return 1
}

if ! install_missing; then
    echo "SKIP: slurm-wlm and munge are not installed and cannot be installed here" \
        "(apt-get failed, or not root and no sudo)"
    exit 77
fi
if [ "$(id -u)" != 0 ]; then
    # The daemons run as root (SlurmUser=root) and munged as user munge.
    echo "FAIL: the cluster suite starts slurmctld, slurmd and munged: run it as root" >&2
    exit 1
fi

. "$here/slurm_local.sh"
state=$(mktemp -d /tmp/ckp-cluster.XXXXXX)
failed=1
cleanup() {
    trap - EXIT INT TERM HUP
    slurm_down
    if [ "$failed" = 1 ]; then
        for log in slurmctld.log slurmd.log munge/munged.log; do
            echo "---- tail of $log" >&2
            tail -n 20 "$state/$log" >&2 2>/dev/null || true
        done
        for out in "$state"/work/*.out "$state"/fail/*.out; do
            [ -f "$out" ] || continue
            echo "---- $out" >&2
            tail -n 20 "$out" >&2
        done
    fi
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# The states of a job's tasks, one per line, or `missing` (bounded).
states() {
    timeout 20 scontrol -o show job "$1" 2>/dev/null |
        sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p' || true
}

all_completed() {
    s=$(states "$1")
    [ -n "$s" ] && [ "$(echo "$s" | grep -vc '^COMPLETED$')" = 0 ]
}

if ! slurm_up "$state"; then
    fail "the single-node Slurm did not start (logs below)"
fi
echo "ok: single-node Slurm up in $state ($(timeout 10 sinfo -h -o '%N %c CPUs %T'))"

export CHOKEPOINT="$exe" CKP_PATHS=$paths CKP_RUN_ARGS="$run_args"
export CKP_SBATCH_ARGS=--overcommit OPENBLAS_NUM_THREADS=1

# The single run of the whole range, one thread, the default batch.
"$exe" run -n $paths -p stockpile_100d -p detente -j 1 -q -o "$state/single.h5" >/dev/null ||
    fail "the single run failed"

# 1. the array and its merge
# (with --mpi also the MPI job at 3 ranks: submit.sh --mpi)
mkdir "$state/work"
submit_mpi=""
if [ "$want_mpi" = 1 ]; then
    submit_mpi=--mpi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export CKP_MPIRUN_ARGS="--mca pml ob1 --mca btl self,vader" CKP_MPI_SBATCH_ARGS=--ntasks=3
fi
ids=$(cd "$state/work" && timeout 60 "$root/examples/slurm/submit.sh" $submit_mpi 3) ||
    fail "submit.sh failed"
echo "submitted: $ids"
array=$(echo "$ids" | sed -n 's/.*array=\([0-9]*\).*/\1/p')
merge=$(echo "$ids" | sed -n 's/.*merge=\([0-9]*\).*/\1/p')
mpijob=$(echo "$ids" | sed -n 's/.*mpi=\([0-9]*\).*/\1/p')
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in '$ids'"
slurm_wait "$merge" 400 || fail "the merge job $merge did not finish in 400 s"
all_completed "$array" || fail "array $array: states $(states "$array" | tr '\n' ' ')"
all_completed "$merge" || fail "merge $merge: state $(states "$merge")"
[ "$(states "$array" | wc -l)" = 3 ] || fail "array $array has not 3 tasks"
echo "ok: array $array (3 tasks) and merge $merge COMPLETED"
grep -q 'paths 0\.\.332 ' "$state"/work/ckp-array-"$array"_0.out &&
    grep -q 'paths 333\.\.666 ' "$state"/work/ckp-array-"$array"_1.out &&
    grep -q 'paths 667\.\.1000 ' "$state"/work/ckp-array-"$array"_2.out ||
    fail "the tasks did not run the pieces 0..332, 333..666, 667..1000"
merged=$state/work/ckp-results/all.h5
[ -f "$merged" ] || fail "no merged file $merged"
$py "$here/../same_results.py" "$state/single.h5" "$merged" --skip merged_parts ||
    fail "the merged file differs from the single run"
echo "ok: merged file equals the single run"
if $py "$here/../same_results.py" "$state/single.h5" \
    "$state/work/ckp-results/parts/part-0001.h5" --skip merged_parts >/dev/null; then
    fail "a part alone compares equal to the whole run: the comparison is blind"
fi
echo "ok: a part alone differs from the single run"

# 2. failing tasks: the merge must never start
mkdir "$state/fail"
ids=$(cd "$state/fail" && CKP_PATHS=2 timeout 60 "$root/examples/slurm/submit.sh" 3) ||
    fail "submit.sh (failing array) failed"
farray=$(echo "$ids" | sed -n 's/.*array=\([0-9]*\).*/\1/p')
fmerge=$(echo "$ids" | sed -n 's/.*merge=\([0-9]*\).*/\1/p')
slurm_wait "$farray" 300 || fail "the failing array $farray did not end in 300 s"
reason=""
for _ in $(seq 30); do
    reason=$(timeout 20 squeue -h -j "$fmerge" -o '%T %r' 2>/dev/null || true)
    case $reason in *DependencyNeverSatisfied*) break ;; esac
    sleep 1
done
case $reason in
*PENDING*DependencyNeverSatisfied*) ;;
*) fail "merge $fmerge after failed tasks: '$reason' (expected PENDING DependencyNeverSatisfied)" ;;
esac
[ ! -e "$state/fail/ckp-results/all.h5" ] || fail "a merged file after failed tasks"
grep -q 'at least one unit' "$state"/fail/ckp-array-"$farray"_0.out ||
    fail "the failed task did not say why"
timeout 20 scancel "$fmerge" || true
echo "ok: tasks failing leave the merge $fmerge pending (DependencyNeverSatisfied), nothing merged"

# 3. the MPI job at 3 ranks on the 2-CPU node
if [ "$want_mpi" = 1 ]; then
    job=$mpijob
    [ -n "$job" ] || fail "no MPI job id from submit.sh --mpi"
    slurm_wait "$job" 400 || fail "the MPI job $job did not finish in 400 s"
    all_completed "$job" || fail "MPI job $job: state $(states "$job")"
    $py "$here/../same_results.py" "$state/single.h5" "$state/work/ckp-results/mpi.h5" \
        --skip merged_parts || fail "the MPI job's file differs from the single run"
    echo "ok: MPI job $job (3 ranks) equals the single run"
else
    echo "note: not the MPI build: the MPI job (examples/slurm/mpi.sbatch) is not tested"
fi
failed=0
echo "cluster: all checks passed"
