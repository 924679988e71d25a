#!/usr/bin/env bash
# Backups of PostgreSQL with pgBackRest (continuous WAL archiving, point-in-time recovery) and a
# copy of the uploaded files and audit checkpoints. docs/operations.md has the whole procedure.
#
#   scripts/backup.sh                     take a backup: full the first time, then incremental
#                                         (BACKUP_TYPE=full|diff|incr), then copy the files
#   scripts/backup.sh enable-archiving    set wal_level, archive_mode and archive_command on the
#                                         cluster (ALTER SYSTEM); PostgreSQL must restart after
#   scripts/backup.sh check               the stanza exists and a WAL segment reaches the repository
#   scripts/backup.sh restore-point NAME  mark a named point to restore to; prints its time
#   scripts/backup.sh restore DIR name|time TARGET
#                                         restore into the empty data directory DIR, up to the
#                                         named point or the time (then promote)
#   scripts/backup.sh info                the backups and WAL archive in the repository
#   scripts/backup.sh config              print the pgBackRest configuration in use
#
# The cluster and the repository come from the environment (defaults for Debian's cluster):
#   PGDATA=/var/lib/postgresql/15/main  PGPORT=5432  PGHOST=/var/run/postgresql (its socket folder)
#   BACKUP_DIR=var/backup         pgBackRest's configuration, logs, and the repository unless:
#   BACKUP_REPO_PATH=$BACKUP_DIR/repo   a repository on another disk, or for one in an S3 store:
#   BACKUP_REPO_S3_BUCKET, BACKUP_REPO_S3_ENDPOINT, BACKUP_REPO_S3_REGION,
#   BACKUP_REPO_S3_KEY, BACKUP_REPO_S3_KEY_SECRET (pgBackRest speaks HTTPS to the store)
#   BACKUP_RETENTION_FULL=4       full backups kept (with the WAL to recover from each)
#   BACKUP_STANZA=mazad           BACKUP_FILES=1 copies the files too (0: the database only)
# pgBackRest runs as the postgres user (it reads the data directory); so does this script's psql.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_VERSION="${PG_VERSION:-15}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/$PG_VERSION/bin}"
export PGDATA="${PGDATA:-/var/lib/postgresql/$PG_VERSION/main}"
export PGPORT="${PGPORT:-5432}"
export PGHOST="${PGHOST:-/var/run/postgresql}"
STANZA="${BACKUP_STANZA:-mazad}"
BACKUP_DIR="$(realpath -m "${BACKUP_DIR:-$ROOT/var/backup}")"
REPO_PATH="${BACKUP_REPO_PATH:-$BACKUP_DIR/repo}"
RETENTION_FULL="${BACKUP_RETENTION_FULL:-4}"
CONFIG="$BACKUP_DIR/pgbackrest.conf"
PY="$ROOT/.venv/bin/python"

log() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mxx\033[0m %s\n' "$*" >&2; exit 1; }

as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"; fi
}

psql_() { as_postgres "$PG_BIN/psql" -h "$PGHOST" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtAX "$@"; }

pgbackrest_() { as_postgres pgbackrest --config="$CONFIG" --stanza="$STANZA" "$@"; }

write_config() {
  command -v pgbackrest >/dev/null || die "pgbackrest is missing (apt-get install pgbackrest)"
  mkdir -p "$BACKUP_DIR/log" "$BACKUP_DIR/lock"
  local repo
  if [ -n "${BACKUP_REPO_S3_BUCKET:-}" ]; then
    repo="repo1-type=s3
repo1-path=/pgbackrest
repo1-s3-bucket=$BACKUP_REPO_S3_BUCKET
repo1-s3-endpoint=${BACKUP_REPO_S3_ENDPOINT:?BACKUP_REPO_S3_ENDPOINT names the store}
repo1-s3-region=${BACKUP_REPO_S3_REGION:-us-east-1}
repo1-s3-key=${BACKUP_REPO_S3_KEY:?}
repo1-s3-key-secret=${BACKUP_REPO_S3_KEY_SECRET:?}
repo1-s3-uri-style=path"
  else
    mkdir -p "$REPO_PATH"
    repo="repo1-path=$REPO_PATH"
  fi
  local wanted
  wanted="# Written by scripts/backup.sh; edit its environment rather than this file.
[global]
$repo
repo1-retention-full=$RETENTION_FULL
start-fast=y
compress-type=zst
log-path=$BACKUP_DIR/log
lock-path=$BACKUP_DIR/lock
log-level-console=warn
log-level-file=info

[$STANZA]
pg1-path=$PGDATA
pg1-port=$PGPORT
pg1-socket-path=$PGHOST"
  if [ ! -f "$CONFIG" ] || [ "$(cat "$CONFIG")" != "$wanted" ]; then
    printf '%s\n' "$wanted" > "$CONFIG"
  fi
  chmod 0640 "$CONFIG"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$BACKUP_DIR"
    [ -n "${BACKUP_REPO_S3_BUCKET:-}" ] || chown -R postgres:postgres "$REPO_PATH"
  fi
}

archive_command() { echo "pgbackrest --config=$CONFIG --stanza=$STANZA archive-push %p"; }

archiving_ok() {
  [ "$(psql_ -c "show archive_mode")" != "off" ] \
    && [ "$(psql_ -c "show archive_command")" = "$(archive_command)" ] \
    && [ "$(psql_ -c "show wal_level")" != "minimal" ]
}

enable_archiving() {
  write_config
  log "archiving the cluster's WAL into stanza $STANZA (restart PostgreSQL to apply archive_mode)"
  psql_ -c "alter system set wal_level = 'replica'"
  psql_ -c "alter system set archive_mode = 'on'"
  psql_ -c "alter system set archive_command = '$(archive_command)'"
  psql_ -c "alter system set archive_timeout = '60s'"
  psql_ -c "select pg_reload_conf()" >/dev/null
}

ensure_stanza() {
  write_config
  archiving_ok || die "the cluster on port $PGPORT does not archive into this repository:
  run scripts/backup.sh enable-archiving and restart PostgreSQL (archive_command must be
  '$(archive_command)')"
  pgbackrest_ stanza-create >/dev/null
}

backup() {
  ensure_stanza
  local type="${BACKUP_TYPE:-incr}"
  log "pgBackRest $type backup of $PGDATA (a full one if the repository has none)"
  pgbackrest_ --type="$type" backup
  pgbackrest_ expire >/dev/null
  if [ "${BACKUP_FILES:-1}" = "1" ]; then
    log "copying uploaded files and audit checkpoints into $BACKUP_DIR/files"
    "$PY" "$ROOT/manage.py" backup_files "$BACKUP_DIR/files"
  fi
}

restore_point() {
  local name="${1:?restore-point needs a name}"
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,60}$ ]] || die "restore-point: a name of letters, digits, '.', '_' and '-'"
  # now() is the start of this statement's transaction: at or before the point it marks, so
  # `audit_chain restored --to` with it never claims more than the restore brought back.
  local at
  at="$(psql_ -c "select to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), pg_create_restore_point('$name')" | cut -d'|' -f1)"
  mkdir -p "$BACKUP_DIR"
  echo "$name $at" >> "$BACKUP_DIR/restore-points.log"
  echo "$name $at"
}

restore() {
  local target_dir="${1:?restore needs the new data directory}" kind="${2:?name or time}" target="${3:?the point}"
  write_config
  case "$kind" in name|time) ;; *) die "restore: the target is a 'name' or a 'time'" ;; esac
  mkdir -p "$target_dir"
  [ -z "$(ls -A "$target_dir")" ] || die "restore: $target_dir is not empty"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$target_dir"; fi
  chmod 0700 "$target_dir"
  log "restoring stanza $STANZA into $target_dir up to $kind $target"
  pgbackrest_ --pg1-path="$target_dir" --type="$kind" --target="$target" \
    --target-action=promote restore
}

case "${1:-backup}" in
  backup) backup ;;
  enable-archiving) enable_archiving ;;
  check) ensure_stanza; pgbackrest_ check ;;
  restore-point) shift; restore_point "$@" ;;
  restore) shift; restore "$@" ;;
  info) write_config; pgbackrest_ info ;;
  config) write_config; cat "$CONFIG" ;;
  *) die "usage: $0 [backup|enable-archiving|check|restore-point NAME|restore DIR name|time TARGET|info|config]" ;;
esac
