#!/usr/bin/env bash
# Start the local PostgreSQL cluster when it is installed but not running (CONTRACT §1).
# Without PostgreSQL the PostgreSQL half of the suite is skipped, except under CI=true, where it fails.
set -u
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in /etc/postgresql/*; do
    [ -d "$version/main" ] || continue
    echo "starting PostgreSQL $(basename "$version")" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
  done
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
if [ "${CI:-}" = "true" ]; then
  echo "error: PostgreSQL is not reachable at 127.0.0.1:5432, and CI=true requires it" >&2
  exit 1
fi
echo "note: PostgreSQL is not reachable at 127.0.0.1:5432; its tests will be skipped" >&2
