#!/usr/bin/env bash
# Stop the local SLURM started by up.sh: cancel jobs, then stop daemons by their pid files
# (never by name: other daemons of the same name may belong to someone else).
set -uo pipefail
DIR=${WDLAB_SLURM_DIR:-/tmp/wdlab-slurm}
export SLURM_CONF=$DIR/slurm.conf
[[ -f $SLURM_CONF ]] && scancel --full --user="$(id -un)" 2>/dev/null
for pidfile in "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid" "$DIR/run/slurmdbd.pid" \
               /run/mysqld/wdlab-mariadb.pid; do
  if [[ -f $pidfile ]]; then
    kill "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  fi
done
echo "local SLURM stopped"
