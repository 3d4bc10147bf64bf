#!/usr/bin/env bash
# Start a real single-node SLURM (with accounting) on localhost, for tests and demos.
# Installs Debian's Slurm 22.05 if missing; everything else lives under $WDLAB_SLURM_DIR
# (default /tmp/wdlab-slurm). Idempotent: returns at once if the cluster already answers.
# Stop it with slurm/local/down.sh. Needs root (daemons run as root/munge/mysql).
set -euo pipefail
DIR=${WDLAB_SLURM_DIR:-/tmp/wdlab-slurm}
HOST=$(hostname -s)

if command -v sinfo >/dev/null && [[ -f $DIR/slurm.conf ]] &&
   SLURM_CONF=$DIR/slurm.conf timeout 5 sinfo -h -n "$HOST" -o %t 2>/dev/null | grep -q idle; then
  echo "local SLURM already up ($DIR)"; exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends munge slurm-client slurmctld slurmd slurmdbd \
    mariadb-server >/dev/null
fi

mkdir -p "$DIR"/{state,spool,log,run,gpu}
ln -sf /dev/null "$DIR/gpu/fakegpu0"; ln -sf /dev/null "$DIR/gpu/fakegpu1"

cat > "$DIR/slurm.conf" <<CONF
ClusterName=wdlab
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0
KillWait=2
ReturnToService=2
GresTypes=gpu
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=8 RealMemory=16000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
CONF
echo "Name=gpu File=$DIR/gpu/fakegpu[0-1]" > "$DIR/gres.conf"

cat > "$DIR/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StorageUser=slurm
StoragePass=wdlab
StorageLoc=slurm_acct_db
CONF
chmod 600 "$DIR/slurmdbd.conf"

# munge: Debian's postinst made the key; the daemon runs as munge.
mkdir -p /run/munge && chown munge:munge /run/munge
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

# MariaDB for accounting.
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
if ! mysqladmin ping >/dev/null 2>&1; then
  # it runs as mysql, so its pid file goes where mysql may write
  /usr/sbin/mariadbd --user=mysql --pid-file=/run/mysqld/wdlab-mariadb.pid \
    >"$DIR/log/mariadb.log" 2>&1 &
  for _ in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'wdlab';
          CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'wdlab';
          GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
          GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

export SLURM_CONF=$DIR/slurm.conf
/usr/sbin/slurmdbd  # reads slurmdbd.conf beside $SLURM_CONF
for _ in $(seq 40); do sacctmgr -i show cluster >/dev/null 2>&1 && break; sleep 0.5; done
sacctmgr -i add cluster wdlab >/dev/null 2>&1 || true
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -n "$HOST" -o %t 2>/dev/null | grep -q idle && sacct -n >/dev/null 2>&1; then
    echo "local SLURM up: export SLURM_CONF=$SLURM_CONF"; exit 0
  fi
  sleep 0.5
done
echo "local SLURM did not come up; logs in $DIR/log" >&2
exit 1
