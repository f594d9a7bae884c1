#!/usr/bin/env bash
# Creates deploy/secrets/{db_password,data_key,admin_token} (mode 0600) unless they exist. Keep data_key safe: it
# seals destination fields and merchant secrets, and every instance needs the same one.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p secrets
umask 077
[ -f secrets/db_password ] || head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > secrets/db_password
[ -f secrets/data_key ] || head -c 32 /dev/urandom | base64 | tr -d '\n' > secrets/data_key
[ -f secrets/admin_token ] || head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > secrets/admin_token
echo "secrets in $(pwd)/secrets"
