# Sourced by tests/cluster/test_cluster.sh: a single-node Slurm started by hand
# (no systemd) in a state directory of its own, and stopped again.
#
#   slurm_up STATE_DIR     write slurm.conf, start munged, slurmctld and slurmd,
#                          wait (bounded) until the node is idle; exports SLURM_CONF
#   slurm_down             cancel what is left and stop every daemon slurm_up started
#   slurm_wait JOBID SECS  wait until the job (every array task) has left the queue;
#                          1 if it is still there after SECS seconds
#   slurm_state JOBID      the jobs' final states, one line each (from the controller)
#
# Everything lives under STATE_DIR (configuration, sockets, pid files, logs,
# spool, saved state) with ports picked free at start, so a second copy can run
# beside this one and nothing of the machine's own Slurm or munge is touched;
# only /run/munge is created (owned by munge) when missing.

slurm_free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# until SECS CMD...: run CMD once a second until it succeeds, at most SECS times.
slurm_until() {
    _secs=$1
    shift
    while [ "$_secs" -gt 0 ]; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
        _secs=$((_secs - 1))
    done
    return 1
}

slurm_write_conf() {
    _node=$(hostname -s)
    cat >"$SLURM_STATE/slurm.conf" <<EOF
# single-node Slurm of tests/cluster (written by slurm_local.sh)
ClusterName=ckptest
SlurmctldHost=$_node(127.0.0.1)
SlurmctldPort=$(slurm_free_port)
SlurmdPort=$(slurm_free_port)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_STATE/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$SLURM_STATE/ctld
SlurmdSpoolDir=$SLURM_STATE/spool
SlurmctldPidFile=$SLURM_STATE/slurmctld.pid
SlurmdPidFile=$SLURM_STATE/slurmd.pid
SlurmctldLogFile=$SLURM_STATE/slurmctld.log
SlurmdLogFile=$SLURM_STATE/slurmd.log
NodeName=$_node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$_node Default=YES MaxTime=INFINITE State=UP
EOF
}

slurm_node_idle() {
    timeout 10 sinfo -h -N -o '%T' | grep -q '^idle'
}

slurm_up() {
    SLURM_STATE=$1
    SLURM_CONF=$SLURM_STATE/slurm.conf
    export SLURM_CONF
    SLURM_STARTED=""
    mkdir -p "$SLURM_STATE/munge" "$SLURM_STATE/ctld" "$SLURM_STATE/spool"
    chmod 0755 "$SLURM_STATE" # munged (user munge) goes through it to its socket
    mkdir -p /run/munge
    chown munge:munge /run/munge "$SLURM_STATE/munge"
    chmod 0755 /run/munge "$SLURM_STATE/munge"
    slurm_write_conf
    runuser -u munge -- munged --socket="$SLURM_STATE/munge/munge.socket" \
        --pid-file="$SLURM_STATE/munge/munged.pid" --log-file="$SLURM_STATE/munge/munged.log" \
        --seed-file="$SLURM_STATE/munge/munged.seed" || return 1
    SLURM_STARTED="munged"
    slurm_until 10 test -S "$SLURM_STATE/munge/munge.socket" || return 1
    slurmctld -i -f "$SLURM_CONF" || return 1
    SLURM_STARTED="$SLURM_STARTED slurmctld"
    slurmd -f "$SLURM_CONF" || return 1
    SLURM_STARTED="$SLURM_STARTED slurmd"
    slurm_until 60 slurm_node_idle
}

slurm_pid() {
    case $1 in
    munged) cat "$SLURM_STATE/munge/munged.pid" 2>/dev/null ;;
    *) cat "$SLURM_STATE/$1.pid" 2>/dev/null ;;
    esac
}

slurm_gone() {
    ! kill -0 "$1" 2>/dev/null
}

# Stop in reverse order of start: slurmd, slurmctld, munged; SIGTERM, then
# SIGKILL after 15 s. Jobs still queued are cancelled first (bounded).
slurm_down() {
    [ -n "${SLURM_STATE:-}" ] || return 0
    if [ -n "${SLURM_STARTED:-}" ]; then
        timeout 10 scancel --user=root >/dev/null 2>&1 || true
        slurm_until 15 slurm_queue_empty || true
    fi
    for _d in slurmd slurmctld munged; do
        case " ${SLURM_STARTED:-} " in *" $_d "*) ;; *) continue ;; esac
        _pid=$(slurm_pid $_d)
        [ -n "$_pid" ] || continue
        kill -TERM "$_pid" 2>/dev/null || continue
        slurm_until 15 slurm_gone "$_pid" || kill -KILL "$_pid" 2>/dev/null || true
    done
    SLURM_STARTED=""
}

slurm_queue_empty() {
    [ -z "$(timeout 10 squeue -h -o '%i' 2>/dev/null)" ]
}

slurm_job_gone() {
    # squeue fails for a job the controller has forgotten (gone); a timeout
    # (124) says nothing, so the job counts as still there.
    _q=$(timeout 10 squeue -h -j "$1" -o '%i' 2>&1) || { [ $? = 124 ] && return 1; return 0; }
    [ -z "$_q" ]
}

slurm_wait() {
    slurm_until "$2" slurm_job_gone "$1"
}

slurm_state() {
    timeout 10 scontrol -o show job "$1" 2>/dev/null | sed -n 's/.*JobId=\([0-9]*\).* JobState=\([A-Z_]*\).*/\1 \2/p'
}
