"""Ledger: appends per second (with signing), proof size and proof time at 1,000,000 entries.

Goal (issue 7): at least 2,000 appends/s, proofs under 5 ms at a million entries.

How: the bench database's log is emptied and bulk-built with 1,000,000 notarisation leaves by
COPY (entries, and the node table computed in Python with merkle.py), then:
- proofs from the stored node table (`selectors.inclusion_proof` / `consistency_proof`, and the
  receipt endpoint through HTTP) against the baseline of computing the same proof with
  `merkle.inclusion_proof` from the in-memory list of a million leaves;
- appends on top of the million: one append per transaction, batches of 100 with a signed head
  per batch, and full notarisations (append + fresh signed head + receipt, each committed).
Only the bench database is touched (the log's triggers are bypassed with
session_replication_role, which needs the database superuser the bench already uses).
"""
from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import random
import time
from urllib.parse import urlparse

from django.db import connection, transaction

from bench.support import live_server, percentiles_ms, timed
from gridops.ledger import merkle, records, selectors
from gridops.ledger.services import log, notary

DEMO_STEPS = []  # the bench rebuilds the log from scratch and needs no demo data
N = int(os.environ.get("BENCH_LEDGER_N", "1000000"))
COPY_CHUNK = 100_000
PROOF_SAMPLES = 500
BASELINE_SAMPLES = 3
SINGLE_APPENDS = 1000
BATCH = 100
BATCHES = 50
NOTARISATIONS = 300
HTTP_SAMPLES = 300
CLIENTS = 32
PER_CLIENT = 100
LEDGER_TABLES = "ledger_entry, ledger_node, ledger_treehead"


def _reset() -> None:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise RuntimeError(f"refusing to empty the ledger of database {name!r}: bench databases only")
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(f"TRUNCATE {LEDGER_TABLES} RESTART IDENTITY CASCADE")
        cur.execute("SET session_replication_role = DEFAULT")


def _leaves(n: int) -> list[bytes]:
    ts = "2026-01-01T00:00:00.000Z"
    return [records.leaf_bytes("notary", {"sha256": hashlib.sha256(i.to_bytes(8, "big")).hexdigest(), "title": ""}, ts)
            for i in range(n)]


def _copy(cur, table: str, columns: str, rows) -> None:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write(row)
        count += 1
        if count % COPY_CHUNK == 0:
            buffer.seek(0)
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
            buffer = io.StringIO()
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _bulk_build(leaves: list[bytes]) -> tuple[list[list[bytes]], dict]:
    started = time.perf_counter()
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    levels = merkle.tree_levels(hashes)
    hashed = time.perf_counter()
    created = "2026-01-01 00:00:00+00"
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        _copy(raw, "ledger_entry", "index, kind, leaf, leaf_hash, created_at",
              (f"{i}\tnotary\t\\\\x{leaf.hex()}\t\\\\x{hashes[i].hex()}\t{created}\n" for i, leaf in enumerate(leaves)))
        _copy(raw, "ledger_node", "level, index, hash",
              (f"{lv}\t{ix}\t\\\\x{h.hex()}\n" for lv, row in enumerate(levels) for ix, h in enumerate(row)))
    with connection.cursor() as cur:
        cur.execute("ANALYZE ledger_entry")
        cur.execute("ANALYZE ledger_node")
    done = time.perf_counter()
    return levels, {"hash_s": round(hashed - started, 2), "copy_s": round(done - hashed, 2),
                    "nodes": sum(len(row) for row in levels)}


def _proofs(leaves, levels) -> dict:
    rng = random.Random(7)
    size = len(leaves)
    indexes = [rng.randrange(size) for _ in range(PROOF_SAMPLES)]
    lookup = lambda lv, ix: levels[lv][ix]  # noqa: E731
    stored, lengths = [], []
    for index in indexes:
        elapsed, proof = timed(lambda: selectors.inclusion_proof(index, size))
        stored.append(elapsed)
        lengths.append(len(proof))
        expected = [merkle.range_hash(s, e, lookup) for s, e in merkle.inclusion_ranges(index, size)]
        assert proof == expected, f"stored proof for {index} differs from the in-memory one"
    root = selectors.root_at(size)
    assert all(merkle.verify_inclusion(levels[0][i], i, size, selectors.inclusion_proof(i, size), root) for i in indexes[:20])

    consistency = []
    for _ in range(PROOF_SAMPLES // 5):
        old = rng.randrange(1, size)
        elapsed, proof = timed(lambda: selectors.consistency_proof(old, size))
        consistency.append(elapsed)
    assert merkle.verify_consistency(old, size, selectors.root_at(old), root, proof)

    baseline = []
    for index in indexes[:BASELINE_SAMPLES]:
        elapsed, proof = timed(lambda: merkle.inclusion_proof(leaves, index))
        baseline.append(elapsed)
        assert proof == selectors.inclusion_proof(index, size)
    stored_p = percentiles_ms(stored)
    base_p = percentiles_ms(baseline)
    return {
        "inclusion_stored": stored_p,
        "consistency_stored": percentiles_ms(consistency),
        "inclusion_baseline_in_memory_leaf_list": base_p,
        "baseline_over_stored_p50": round(base_p["p50_ms"] / stored_p["p50_ms"], 1),
        "inclusion_proof_hashes": max(lengths),
        "inclusion_proof_bytes": 32 * max(lengths),
        "root_at_size_ms": round(timed(lambda: selectors.root_at(size))[0] * 1000, 3),
    }


def _receipt_http(size: int) -> dict:
    log.sign_head()
    rng = random.Random(11)
    samples, body_bytes = [], 0
    with live_server() as base:
        parsed = urlparse(base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        for _ in range(HTTP_SAMPLES):
            index = rng.randrange(size)

            def call():
                conn.request("GET", f"/api/v1/ledger/entries/{index}/")
                response = conn.getresponse()
                return response.status, response.read()

            elapsed, (status, body) = timed(call)
            assert status == 200, body[:200]
            samples.append(elapsed)
            body_bytes = len(body)
        conn.close()
    return {"receipt_http": percentiles_ms(samples), "receipt_json_bytes": body_bytes}


def _appends() -> dict:
    def leaf(i):
        return ("notary", records.leaf_bytes("notary", {"sha256": f"{i:064x}", "title": "bench"}, "2026-01-01T00:00:00.000Z"))

    started = time.perf_counter()
    for i in range(SINGLE_APPENDS):
        log.append_leaves([leaf(i)])  # its own transaction, committed (autocommit outside atomic)
    single = SINGLE_APPENDS / (time.perf_counter() - started)

    started = time.perf_counter()
    for b in range(BATCHES):
        with transaction.atomic():
            log.append_leaves([leaf(b * BATCH + i) for i in range(BATCH)])
            log.sign_head()
    batched = BATCHES * BATCH / (time.perf_counter() - started)

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-notary")
    started = time.perf_counter()
    for i in range(NOTARISATIONS):
        notary.notarise(user=user, sha256=hashlib.sha256(str(i).encode()).hexdigest())
    notarised = NOTARISATIONS / (time.perf_counter() - started)
    concurrent = _concurrent_notarisations(user)
    return {
        "appends_per_s_single_commit_each": round(single),
        "appends_per_s_batch100_signed_head_each_batch": round(batched),
        "notarisations_per_s_one_client": round(notarised),
        **concurrent,
        "fsync_bound_commits_per_s": round(_commits_per_s()),
    }


def _concurrent_notarisations(user) -> dict:
    """CLIENTS threads notarising at once through the group-commit sequencer: every request gets
    its own entry, a fresh signed head and its receipt; commits are shared."""
    import threading

    from django.db import connections

    from gridops.ledger.sequencer import sequencer

    before = sequencer.batches
    latencies: list[float] = []
    errors: list[BaseException] = []

    def client(n):
        try:
            for i in range(PER_CLIENT):
                elapsed, (_, receipt) = timed(lambda: notary.notarise(user=user, sha256=f"{n:032x}{i:032x}"))
                latencies.append(elapsed)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    total = CLIENTS * PER_CLIENT
    return {
        "appends_per_s_with_signing_concurrent": round(total / elapsed),
        "concurrent_clients": CLIENTS,
        "concurrent_commits": sequencer.batches - before,
        "concurrent_notarise_latency": percentiles_ms(latencies),
    }


def _commits_per_s() -> float:
    """What the disk allows: committed one-row inserts per second (the ceiling of one-per-commit)."""
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ledger_commit_probe (x int)")
    started = time.perf_counter()
    for _ in range(200):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO bench_ledger_commit_probe VALUES (1)")
    rate = 200 / (time.perf_counter() - started)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_ledger_commit_probe")
    return rate


def run() -> dict:
    _reset()
    leaves = _leaves(N)
    levels, build = _bulk_build(leaves)
    result = {"entries": N, "bulk_build": build}
    result.update(_proofs(leaves, levels))
    result.update(_receipt_http(N))
    result.update(_appends())
    result["goal"] = {"appends_per_s": 2000, "proof_ms": 5}
    result["note"] = ("baseline = merkle.inclusion_proof over the in-memory list of 1M leaves (re-hashes them); "
                      "stored = selectors.inclusion_proof from the node table (one indexed query)")
    del leaves, levels
    _reset()
    return result
