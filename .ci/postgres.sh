#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster as a non-root user in a temporary folder on a loopback port, and prints
# the URL to reach it on stdout (everything else goes to stderr). Stop it with: .ci/postgres.sh stop DIR
# Installs PostgreSQL from Debian's packages when it is missing.
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  dir=$2
  su pgci -s /bin/sh -c "$(cat "$dir/bin")/pg_ctl -D '$dir/data' -m fast stop" >&2 || true
  exit 0
fi
port=${1:-55432}
# Another server on that port (a developer's cluster): take a free one instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
id pgci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pgci >&2
dir=$(mktemp -d /tmp/payout-pg.XXXXXX)
chown pgci "$dir"
echo "$bin" > "$dir/bin"
su pgci -s /bin/sh -c "$bin/initdb -D '$dir/data' -U postgres --auth=trust --no-sync -E UTF8" >&2
su pgci -s /bin/sh -c "$bin/pg_ctl -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable $dir"
