#!/usr/bin/env python3
"""Prints perf.sh's figures: medians per label and the gateway ÷ baseline ratios of issue 15's rows."""
import re
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    label, _, rest = line.strip().partition(" ")
    runs[label].append({k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)(?=\s|$)", rest)})


def median(label, key):
    values = [run[key] for run in runs.get(label, []) if key in run]
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}"


print()
print("Rates count 2xx answers only.")
print()
print("| row | gateway | baseline | ratio | gateway p50 / p99 ms | baseline p50 / p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
rows = [
    ("create, 1 connection (req/s)", "create-gateway-c1", "create-sandbox-c1"),
    ("create, 16 connections (req/s)", "create-gateway-c16", "create-sandbox-c16"),
    ("create, 64 connections (req/s)", "create-gateway-c64", "create-sandbox-c64"),
    ("create, steady ~1,000/s (req/s)", "steady-gateway", "steady-sandbox"),
    ("GET by id, 16 connections (req/s)", "read-id-gateway-c16", "read-id-nginx-c16"),
    ("GET by reference, 16 connections (req/s)", "read-ref-gateway-c16", "read-ref-nginx-c16"),
    ("GET by id beside 8 creating connections (req/s)", "read-id-beside-writes-c8", "read-id-nginx-c16"),
    ("create, 2 instances on PostgreSQL, 64 connections (req/s)", "create-postgres2-c64", "create-sandbox-c64"),
]
for title, gateway, baseline in rows:
    if gateway not in runs:
        continue
    g = median(gateway, "ok_rps") if median(gateway, "ok_rps") is not None else median(gateway, "rps")
    b = median(baseline, "ok_rps") if median(baseline, "ok_rps") is not None else median(baseline, "rps")
    print(f"| {title} | {fmt(g)} | {fmt(b)} | {ratio(g, b)} | "
          f"{fmt(median(gateway, 'p50_ms'), 2)} / {fmt(median(gateway, 'p99_ms'), 2)} | "
          f"{fmt(median(baseline, 'p50_ms'), 2)} / {fmt(median(baseline, 'p99_ms'), 2)} |")
if "burst" in runs:
    print()
    print("| burst | payouts | send s | all final s | final ÷ send | finalised/s | gateway CPU ms per payout |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| median of {len(runs['burst'])} | {fmt(median('burst', 'payouts'), 0)} | {fmt(median('burst', 'send_s'), 2)} | "
          f"{fmt(median('burst', 'final_s'), 2)} | {fmt(median('burst', 'final_over_send'), 2)} | "
          f"{fmt(median('burst', 'finalised_per_s'))} | {fmt(median('burst', 'cpu_ms_per_payout'), 2)} |")
if "scale-small-id-c16" in runs:
    print()
    print("| lookups as the store grows (16 connections) | stored | req/s | p50 / p99 ms | stored | req/s | p50 / p99 ms | large ÷ small |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, title in (("id", "GET by id"), ("ref", "GET by reference")):
        small, large = f"scale-small-{kind}-c16", f"scale-large-{kind}-c16"
        s_rps, l_rps = median(small, "ok_rps"), median(large, "ok_rps")
        print(f"| {title} | {fmt(median(small, 'stored'), 0)} | {fmt(s_rps)} | {fmt(median(small, 'p50_ms'), 2)} / {fmt(median(small, 'p99_ms'), 2)} | "
              f"{fmt(median(large, 'stored'), 0)} | {fmt(l_rps)} | {fmt(median(large, 'p50_ms'), 2)} / {fmt(median(large, 'p99_ms'), 2)} | "
              f"{ratio(l_rps, s_rps)} |")
if "memory" in runs:
    m = runs["memory"][-1]
    print()
    print("| memory under mixed load | seconds | creates/s | reads/s | RSS early MB | RSS end MB | RSS max MB | end ÷ early |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| demo gateway | {fmt(m.get('seconds'), 0)} | {fmt(m.get('creates_per_s'))} | {fmt(m.get('reads_per_s'))} | "
          f"{fmt(m.get('rss_early_mb'))} | {fmt(m.get('rss_end_mb'))} | {fmt(m.get('rss_max_mb'))} | {fmt(m.get('end_over_early'), 2)} |")
bad = {label: sum(run.get("bad", 0) + run.get("socket_errors", 0) for run in items) for label, items in runs.items()}
bad = {k: v for k, v in bad.items() if v}
print()
print("non-2xx answers or socket errors: " + (", ".join(f"{k}={int(v)}" for k, v in sorted(bad.items())) or "none"))
