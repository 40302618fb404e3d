"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs, as plain functions over bytes.

Why plain functions and no Django: any verifier (the offline CLI, a browser port, a third party)
must be able to run exactly this code with nothing but the standard library, and the log service
uses the very same range arithmetic to build proofs from its stored node table.

Vocabulary (RFC 6962 section 2.1):
- a *leaf* is the raw entry bytes; its hash is ``SHA-256(0x00 || leaf)``;
- an interior node is ``SHA-256(0x01 || left || right)``;
- MTH(D[0:n]) splits at ``k``, the largest power of two smaller than ``n``;
- the empty tree hashes to ``SHA-256()``.

The proof generators are written over *ranges*: a proof is a list of ``(start, end)`` leaf ranges
whose Merkle tree hashes make up the proof. A range hash is folded from aligned complete
subtrees ``(level, index)`` (leaves ``index*2**level .. (index+1)*2**level``), which a stored log
keeps in a table; so the same arithmetic answers a proof from memory or from O(log n) lookups.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeLookup = Callable[[int, int], bytes]
"""(level, index) -> hash of the complete subtree at that position."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data); the prefix stops a leaf posing as a node."""
    return hashlib.sha256(LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 6962's ``k``."""
    if n < 2:
        raise ValueError("split_point needs n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


# --- range arithmetic shared by the in-memory functions and the stored log -------------------


def complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The aligned complete subtrees, left to right, that MTH(D[start:end]) folds together.

    Valid for the ranges RFC 6962 ever asks about (``start`` a multiple of the largest power of
    two that fits the range, as every PATH/SUBPROOF range is): the range is cut into its binary
    decomposition, biggest block first.
    """
    if end <= start:
        raise ValueError("empty range")
    blocks = []
    pos = start
    while pos < end:
        size = end - pos
        level = size.bit_length() - 1
        # The block must also be aligned on its own size.
        while pos % (1 << level):
            level -= 1
        blocks.append((level, pos >> level))
        pos += 1 << level
    return blocks


def range_hash(start: int, end: int, lookup: NodeLookup) -> bytes:
    """MTH(D[start:end]) from complete-subtree hashes: the right-most blocks fold first."""
    blocks = complete_subtrees(start, end)
    acc = lookup(*blocks[-1])
    for level, index in reversed(blocks[:-1]):
        acc = node_hash(lookup(level, index), acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form PATH(index, D[0:size]), leaf to root (RFC 6962 2.1.1)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m = start + k, m - k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form PROOF(old_size, D[0:new_size]) (RFC 6962 2.1.2)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove {old_size} -> {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    ranges.reverse()
    return ranges


def tree_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash, level by level (level 0 = leaf hashes)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _memory_lookup(leaves: Sequence[bytes]) -> NodeLookup:
    levels = tree_levels([leaf_hash(leaf) for leaf in leaves])
    return lambda level, index: levels[level][index]


# --- the public RFC 6962 functions -------------------------------------------------------------


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH of the raw entries ``leaves``; the empty tree hashes to SHA-256 of nothing."""
    if not leaves:
        return EMPTY_ROOT
    return range_hash(0, len(leaves), _memory_lookup(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of entry ``index`` in the tree of all ``leaves``."""
    lookup = _memory_lookup(leaves)
    return [range_hash(s, e, lookup) for s, e in inclusion_ranges(index, len(leaves))]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of all ``leaves``."""
    lookup = _memory_lookup(leaves)
    return [range_hash(s, e, lookup) for s, e in consistency_ranges(old_size, len(leaves))]


def _is_hash(value) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_SIZE


def root_from_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2), or None if it is malformed."""
    if not (isinstance(index, int) and isinstance(tree_size, int)) or not 0 <= index < tree_size:
        return None
    if not _is_hash(leaf_hash) or not all(_is_hash(p) for p in proof):
        return None
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True when ``proof`` shows the leaf with hash ``leaf_hash`` at ``index`` under ``root``."""
    if not _is_hash(root):
        return False
    computed = root_from_inclusion(leaf_hash, index, tree_size, proof)
    return computed is not None and computed == bytes(root)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """True when ``proof`` shows the tree ``old_root`` (size ``old_size``) is a prefix of ``new_root``.

    RFC 9162 2.1.4.2, with the trivial cases of transparency-dev/merkle: equal sizes need equal
    roots and an empty proof; an empty old tree is consistent with anything (empty proof).
    """
    if not (isinstance(old_size, int) and isinstance(new_size, int)) or not 0 <= old_size <= new_size:
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    if old_size == new_size:
        return not proof and _is_hash(old_root) and bytes(old_root) == bytes(new_root)
    if old_size == 0:
        return not proof
    if not proof or not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == bytes(old_root) and sr == bytes(new_root)
