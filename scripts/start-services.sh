#!/usr/bin/env bash
# Services the test suite expects to be running that it cannot start itself: PostgreSQL.
# (S3, fake Chorus Pro, fake Twilio, SMTP and the test PKI are started by the test fixtures.)
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  else
    echo "PostgreSQL is not installed: apt-get install postgresql" >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
