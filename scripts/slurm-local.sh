#!/usr/bin/env bash
# A real single-node Slurm cluster (controller + node on this machine) for the tests and CI:
#   scripts/slurm-local.sh start|stop|status
# Debian's slurm-wlm + munge, run as root without systemd (no cgroups: proctrack/linuxproc, task/none), accounting
# off. The config, state and daemon logs live in $SYNTH_SLURM_DIR (default /tmp/synth-slurm). `start` is idempotent
# and prints the SLURM_CONF path to export; `status` prints it too when the node is up; `stop` stops slurmd and
# slurmctld by their pid files (munged, which other tools on the machine may use, keeps running).
set -euo pipefail

D="${SYNTH_SLURM_DIR:-/tmp/synth-slurm}"
CONF="$D/slurm.conf"
NODE="$(hostname -s)"

die() { echo "slurm-local: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_idle() { SLURM_CONF="$CONF" sinfo -h -n "$NODE" -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; }

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
  [ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chmod 400 /etc/munge/munge.key
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  munge -n | unmunge >/dev/null || die "munge does not work (munge -n | unmunge)"
}

write_conf() {
  # CPUs and memory no more than the node reports (slurmd refuses a node that claims more); memory capped.
  local probe cpus mem
  probe="$(slurmd -C)"
  cpus="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$probe" | head -n1)"
  mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$probe" | head -n1)"
  [ -n "$cpus" ] && [ -n "$mem" ] || die "cannot read CPUs/RealMemory from 'slurmd -C': $probe"
  [ "$mem" -gt 20000 ] && mem=20000
  mkdir -p "$D/slurmd" "$D/state"
  cat > "$CONF.tmp" <<CONF
ClusterName=local
SlurmctldHost=$NODE
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmdSpoolDir=$D/slurmd
StateSaveLocation=$D/state
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmUser=root
SlurmdUser=root
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MaxArraySize=10001
NodeName=$NODE CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$CONF.tmp" "$CONF"
}

start() {
  [ "$(id -u)" = "0" ] || die "run as root (the daemons run as root here, as in CI)"
  command -v slurmctld >/dev/null && command -v munged >/dev/null || die "slurm-wlm and munge are not installed (apt-get install slurm-wlm munge)"
  start_munge
  if pid_alive "$D/slurmctld.pid" && pid_alive "$D/slurmd.pid" && node_idle; then echo "$CONF"; return; fi
  [ -f "$CONF" ] || write_conf
  pid_alive "$D/slurmctld.pid" || slurmctld -f "$CONF"
  pid_alive "$D/slurmd.pid" || slurmd -f "$CONF"
  for _ in $(seq 1 60); do
    if node_idle; then echo "$CONF"; return; fi
    sleep 1
  done
  die "node $NODE not idle after 60 s; see $D/slurmctld.log and $D/slurmd.log"
}

stop() {
  local f pid
  for f in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    if pid_alive "$f"; then
      pid="$(cat "$f")"; kill "$pid"
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
  done
  echo "slurm-local: stopped"
}

status() {
  if pid_alive "$D/slurmctld.pid" && pid_alive "$D/slurmd.pid" && node_idle; then
    echo "$CONF"; SLURM_CONF="$CONF" sinfo >&2
  else
    echo "slurm-local: not running" >&2; return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
