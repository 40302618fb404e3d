"""Check a ledger receipt or a whole log export offline, with nothing but the public key.

    python -m gridops.ledger.verify --public-key KEY receipt.json [--document contract.pdf]
    python -m gridops.ledger.verify --public-key-file ledger.pub export.json

Why standalone: a receipt is only worth something if a party who distrusts the district can
check it without our server or our code base, so this module imports the standard library,
`cryptography` and `merkle.py`, never Django. The tree-head encoding lives here and the service
imports it from here, so signer and verifier cannot drift apart.

A tree head is signed as RFC 6962's TreeHeadSignature: version 0 (1 byte), signature type
tree_hash 1 (1 byte), timestamp in ms (8 bytes), tree size (8 bytes), root hash (32 bytes),
all big-endian, with Ed25519.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

try:  # run as `python -m gridops.ledger.verify` or imported by the service
    from . import merkle
except ImportError:  # pragma: no cover - copied next to merkle.py and run as a script
    import merkle  # type: ignore[no-redef]

RECEIPT_FORMAT = "gridops-ledger-receipt/1"
EXPORT_FORMAT = "gridops-ledger-export/1"


def head_bytes(tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    """The bytes an Ed25519 tree-head signature covers (RFC 6962 TreeHeadSignature)."""
    if len(root_hash) != merkle.HASH_SIZE:
        raise ValueError("root hash must be 32 bytes")
    return struct.pack(">BBQQ", 0, 1, timestamp_ms, tree_size) + root_hash


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_raw(key)).hexdigest()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key as base64 of the 32 raw bytes, or as PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("public key is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def _unhex(value, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not hex") from exc


def verify_head(head: dict, public_key: Ed25519PublicKey) -> list[str]:
    """Problems with a signed tree head (empty when its signature holds)."""
    try:
        root = _unhex(head["root_hash"], "head.root_hash")
        message = head_bytes(int(head["tree_size"]), int(head["timestamp_ms"]), root)
        signature = base64.b64decode(head["signature"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error, struct.error) as exc:
        return [f"tree head is malformed: {exc}"]
    if head.get("key_id") and head["key_id"] != key_id(public_key):
        return [f"tree head was signed by key {head['key_id'][:16]}…, not the given public key"]
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return [f"tree head of size {head['tree_size']}: signature does not verify"]
    return []


def _entry_leaf_hash(entry: dict, problems: list[str]) -> bytes | None:
    label = f"entry #{entry.get('index')}"
    try:
        stated = _unhex(entry["leaf_hash"], f"{label} leaf_hash")
    except (KeyError, ValueError) as exc:
        problems.append(f"{label}: {exc}")
        return None
    if entry.get("leaf") is not None:
        try:
            leaf = base64.b64decode(entry["leaf"], validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"{label}: leaf is not base64")
            return None
        if merkle.leaf_hash(leaf) != stated:
            problems.append(f"{label}: leaf does not hash to its leaf_hash")
            return None
    return stated


def verify_receipt(receipt: dict, public_key: Ed25519PublicKey, document: bytes | None = None) -> list[str]:
    """Problems with a receipt: its head's signature, the inclusion proof, and the document."""
    problems: list[str] = []
    try:
        entry, inclusion, head = receipt["entry"], receipt["inclusion"], receipt["head"]
    except (KeyError, TypeError):
        return ["not a receipt: it needs entry, inclusion and head"]
    problems += verify_head(head, public_key)
    leaf = _entry_leaf_hash(entry, problems)
    if leaf is None:
        return problems or ["entry has no usable leaf hash"]
    try:
        proof = [_unhex(p, "proof element") for p in inclusion["proof"]]
        size = int(inclusion["tree_size"])
        root = _unhex(head["root_hash"], "head.root_hash")
        index = int(entry["index"])
    except (KeyError, TypeError, ValueError) as exc:
        return problems + [f"receipt is malformed: {exc}"]
    if size != int(head.get("tree_size", -1)):
        problems.append("the inclusion proof is for another tree size than the signed head")
    if not merkle.verify_inclusion(leaf, index, size, proof, root):
        problems.append(f"entry #{index} is not included in the signed tree of size {size}")
    if document is not None:
        problems += _check_document(entry, document)
    return problems


def _check_document(entry: dict, document: bytes) -> list[str]:
    if entry.get("leaf") is None:
        return ["the receipt carries no leaf to compare the document with"]
    record = json.loads(base64.b64decode(entry["leaf"]))
    digest = hashlib.sha256(document).hexdigest()
    if record.get("sha256") != digest:
        return [f"the document's SHA-256 {digest} is not the notarised {record.get('sha256')}"]
    return []


def verify_export(export: dict, public_key: Ed25519PublicKey) -> list[str]:
    """Problems with a whole log export: every leaf, every head and the consistency of the heads."""
    problems: list[str] = []
    entries = export.get("entries") or []
    hashes: list[bytes] = []
    for position, entry in enumerate(entries):
        if entry.get("index") != position:
            problems.append(f"entry at position {position} says index {entry.get('index')}: the log has a gap")
            return problems
        leaf = _entry_leaf_hash(entry, problems)
        hashes.append(leaf if leaf is not None else b"\0" * merkle.HASH_SIZE)
    levels = merkle.tree_levels(hashes) if hashes else [[]]

    def lookup(level, index):
        return levels[level][index]

    for head in export.get("heads") or []:
        head_problems = verify_head(head, public_key)
        problems += head_problems
        if head_problems:
            continue
        size = int(head["tree_size"])
        if size > len(hashes):
            problems.append(f"head of size {size} is beyond the {len(hashes)} exported entries")
            continue
        root = merkle.range_hash(0, size, lookup) if size else merkle.EMPTY_ROOT
        if root.hex() != head["root_hash"]:
            problems.append(f"head of size {size}: the exported entries give root {root.hex()}, not the signed one")
    return problems


def _format_of(document: dict) -> str:
    if document.get("format") == EXPORT_FORMAT or "entries" in document:
        return "export"
    return "receipt"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridops.ledger.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a receipt or a log export (JSON); '-' reads standard input")
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--public-key", help="the log's Ed25519 public key, base64 of the raw 32 bytes, or PEM")
    key.add_argument("--public-key-file", help="a file holding the public key")
    parser.add_argument("--document", help="for a notarisation receipt: the document whose SHA-256 was logged")
    args = parser.parse_args(list(argv) if argv is not None else None)

    try:
        key_text = args.public_key if args.public_key else open(args.public_key_file, encoding="utf-8").read()
        public_key = load_public_key(key_text)
        raw = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
        document = json.loads(raw)
        payload = open(args.document, "rb").read() if args.document else None
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(document, dict):
        print("error: expected a JSON object", file=sys.stderr)
        return 2
    if _format_of(document) == "export":
        problems = verify_export(document, public_key)
        what = f"log export of {len(document.get('entries') or [])} entries and {len(document.get('heads') or [])} signed heads"
    else:
        problems = verify_receipt(document, public_key, payload)
        entry = document.get("entry") or {}
        what = f"receipt for entry #{entry.get('index')} ({entry.get('kind')})"
    if problems:
        print(f"FAILED: {what}")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"OK: {what} verifies against key {key_id(public_key)[:16]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
