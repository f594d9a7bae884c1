#!/usr/bin/env python3
"""Fills a stopped gateway's SQLite store with finished payouts up to TOTAL rows (perf.sh's scale row).

usage: seed_payouts.py DB TOTAL

Each filler payout copies a finished payout already in the store, with its attempts and events, under new ids and
references, so the tables and their indexes grow the way real traffic grows them. Filler payouts are final (no
engine work) and belong to the same merchant, so lookups by id and by reference search the same indexes as the
measured ones.
"""
import sqlite3
import sys

db, total = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=OFF")
have = con.execute("SELECT count(*) FROM payouts").fetchone()[0]
missing = total - have
if missing <= 0:
    print(f"seed: {have} payouts stored, nothing to add", file=sys.stderr)
    sys.exit(0)


def columns(table):
    return [row[1] for row in con.execute(f"PRAGMA table_info({table})")]


payout_cols, attempt_cols, event_cols = columns("payouts"), columns("attempts"), columns("payout_events")
template = con.execute("SELECT * FROM payouts WHERE next_action_at IS NULL ORDER BY created_ms LIMIT 1").fetchone()
if template is None:
    sys.exit("seed: no finished payout to copy")
template = dict(zip(payout_cols, template))
attempts = [dict(zip(attempt_cols, row)) for row in con.execute("SELECT * FROM attempts WHERE payout_id = ?", (template["id"],))]
events = [dict(zip(event_cols, row)) for row in con.execute("SELECT * FROM payout_events WHERE payout_id = ?", (template["id"],))]


def insert(table, cols, rows):
    con.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    ([row[c] for c in cols] for row in rows))


batch = 20000
for start in range(0, missing, batch):
    payouts, attempt_rows, event_rows = [], [], []
    for n in range(have + start, have + min(start + batch, missing)):
        pid = f"cpoi_fill{n:016d}"
        payout = dict(template, id=pid, reference_id=f"fill-{n}", created_ms=template["created_ms"] - n - 1)
        payouts.append(payout)
        for a in attempts:
            attempt_rows.append(dict(a, id=f"att_fill{n:016d}_{a['number']}", payout_id=pid, reference=f"{pid}-{a['number']}",
                                     provider_payout_id=f"fill{n}"))
        for e in events:
            event_rows.append({**{c: e[c] for c in event_cols if c != "id"}, "payout_id": pid})
    insert("payouts", payout_cols, payouts)
    insert("attempts", attempt_cols, attempt_rows)
    insert("payout_events", [c for c in event_cols if c != "id"], event_rows)
    con.commit()
print(f"seed: {have} → {total} payouts", file=sys.stderr)
