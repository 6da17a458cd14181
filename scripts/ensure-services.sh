#!/usr/bin/env bash
# Make sure what the test suite talks to is there: the PostgreSQL server on 127.0.0.1:5432.
# The tests themselves fail loudly (never skip) if it is still unreachable after this.
set -u
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; trying to start it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && break; sleep 1; done
  pg_up || echo "PostgreSQL still unreachable: the registry tests will fail (see README, 'Tests')" >&2
fi
exit 0
