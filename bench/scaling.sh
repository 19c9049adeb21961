#!/bin/sh
# Strong and weak scaling of the two cluster routes of bench/README.md
# ("Scaling"), at 1, 2 and 3 ranks of one thread each:
#   pieces  R `chokepoint run --first-path` processes at once, then `merge`
#   mpi     `mpirun -np R chokepoint run` on the MPI build (when given; its
#           merge is inside the run: rank 0 merges the ranks' parts)
# Strong: STRONG paths in all; weak: WEAK paths per rank. Prints one markdown
# row per case: wall seconds of the run (and of the merge), and the CPU
# seconds (user + sys, all processes) of both. Files go to a temporary
# directory, removed at the end.
#
#   bench/scaling.sh CHOKEPOINT [MPI_CHOKEPOINT]
#   STRONG=12000 WEAK=4000 RANKS="1 2 3" ROUTES="pieces mpi" RUN_ARGS="" \
#       bench/scaling.sh build/engine/chokepoint build-mpi/engine/chokepoint
set -eu

exe=$(realpath "$1")
mpi_exe=${2:+$(realpath "$2")}
strong=${STRONG:-12000}
weak=${WEAK:-4000}
ranks=${RANKS:-1 2 3}
routes=${ROUTES:-pieces mpi}
args=${RUN_ARGS:-}
dir=$(mktemp -d /tmp/ckp-scaling.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# timed OUT CMD...: run CMD, append "wall cpu" (seconds) to OUT.
timed() {
    out=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$dir/t" "$@"
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$dir/t" >"$out"
}

# pieces N R: R processes at once over [0, N), then merge them.
pieces() {
    n=$1 r=$2
    rm -f "$dir"/p*.h5 "$dir/all.h5"
    cat >"$dir/pieces.sh" <<EOF
i=0
while [ \$i -lt $r ]; do
    first=\$((i * $n / $r)); next=\$(((i + 1) * $n / $r))
    "$exe" run $args --first-path \$first -n \$((next - first)) -j 1 -q \
        --no-checkpoint -o "$dir/p\$i.h5" >/dev/null &
    i=\$((i + 1))
done
wait
EOF
    timed "$dir/run" sh "$dir/pieces.sh"
    timed "$dir/merge" "$exe" merge "$dir"/p*.h5 -q -o "$dir/all.h5"
    echo "$(cat "$dir/run") $(cat "$dir/merge")"
}

mpi() {
    n=$1 r=$2
    rm -f "$dir/mpi.h5"
    # shellcheck disable=SC2086 # args is a list of options
    timed "$dir/run" mpirun -np "$r" --oversubscribe --bind-to none --mca pml ob1 \
        --mca btl self,vader "$mpi_exe" run $args -n "$n" -j 1 -q --no-checkpoint \
        -o "$dir/mpi.h5" >/dev/null
    echo "$(cat "$dir/run") - -"
}

echo "| route | scaling | ranks | paths | run wall s | run CPU s | merge wall s | merge CPU s |"
echo "|---|---|---|---|---|---|---|---|"
for route in $routes; do
    [ "$route" = pieces ] || [ -n "$mpi_exe" ] || continue
    for kind in strong weak; do
        for r in $ranks; do
            n=$strong
            [ "$kind" = strong ] || n=$((weak * r))
            # shellcheck disable=SC2046 # four numbers
            set -- $($route "$n" "$r")
            echo "| $route | $kind | $r | $n | $1 | $2 | $3 | $4 |"
        done
    done
done
