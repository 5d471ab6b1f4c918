#!/usr/bin/env bash
# Benchmark `hoist check migrations` against the squawk CLI on the same files, in the same run:
# 3,000 golang-migrate migrations (1,500 up/down pairs) of realistic statements (tables, enums,
# indexes, foreign keys, renames, backfills), generated here. Both parse every statement and
# lint it; Hoist also checks the layout.
#
# Usage: bench/migrations.sh   (needs hyperfine and python3; installs squawk-cli 2.68.0 from
# PyPI into a temporary directory; prints Markdown tables)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip install --quiet --disable-pip-version-check --target "$work/squawk" squawk-cli==2.68.0
squawk="$work/squawk/bin/squawk"

cargo build --release --quiet -p hoist
hoist="$PWD/target/release/hoist"

dir="$work/migrations"
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import sys, os
d = sys.argv[1]
for i in range(1, 1501):
    n = f"{i:05d}"
    t = f"t{i}"
    kind = i % 5
    if kind == 0:
        up = f"CREATE TABLE {t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n"
        down = f"DROP TABLE {t};\n"
    elif kind == 1:
        up = f"CREATE TYPE {t}_kind AS ENUM ('a', 'b', 'c');\nALTER TABLE t{i-1} ADD COLUMN kind {t}_kind;\n"
        down = f"ALTER TABLE t{i-1} DROP COLUMN kind;\nDROP TYPE {t}_kind;\n"
    elif kind == 2:
        up = f"SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY {t}_idx ON t{i-2} (name);\n"
        down = f"DROP INDEX CONCURRENTLY {t}_idx;\n"
    elif kind == 3:
        up = f"ALTER TABLE t{i-3} ADD CONSTRAINT {t}_fk FOREIGN KEY (id) REFERENCES t{i-3} (id) NOT VALID;\nALTER TABLE t{i-3} VALIDATE CONSTRAINT {t}_fk;\n"
        down = f"ALTER TABLE t{i-3} DROP CONSTRAINT {t}_fk;\n"
    else:
        up = f"UPDATE t{i-4} SET name = lower(name) WHERE name <> lower(name);\nALTER TABLE t{i-4} RENAME COLUMN name TO title;\n"
        down = f"ALTER TABLE t{i-4} RENAME COLUMN title TO name;\n"
    open(os.path.join(d, f"{n}_m{i}.up.sql"), "w").write(up)
    open(os.path.join(d, f"{n}_m{i}.down.sql"), "w").write(down)
PY
echo "$(ls "$dir" | wc -l) files, $(cat "$dir"/* | wc -c) bytes"
# The two rule sets differ (squawk's defaults include prefer-robust-stmts and timeout rules;
# Hoist tells squawk that golang-migrate runs each file in a transaction), so the counts are
# shown, not compared. Both exit 1 on findings, hence `-i`.
echo "findings: hoist $("$hoist" check migrations "$dir" --format json | grep -c '"code"' || true), squawk $("$squawk" --reporter gcc "$dir"/*.sql 2>/dev/null | grep -c ': [a-z]*: ' || true)"
hyperfine --warmup 2 --runs 10 -N -i --export-markdown "$work/r.md" \
  -n "hoist check migrations" "$hoist check migrations $dir" \
  -n "squawk (PyPI squawk-cli 2.68.0)" "sh -c '$squawk $dir/*.sql >/dev/null'" >/dev/null
cat "$work/r.md"
