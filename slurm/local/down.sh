#!/usr/bin/env bash
# Stop the local SLURM started by up.sh: cancel jobs, then stop daemons by their pid files.
set -uo pipefail
DIR=${WDLAB_SLURM_DIR:-/tmp/wdlab-slurm}
export SLURM_CONF=$DIR/slurm.conf
[[ -f $SLURM_CONF ]] && scancel --full --user="$(id -un)" 2>/dev/null
for daemon in slurmd slurmctld slurmdbd mariadb; do
  pidfile=$DIR/run/$daemon.pid
  [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null && rm -f "$pidfile"
done
echo "local SLURM stopped"
