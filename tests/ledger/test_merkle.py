"""RFC 6962 known answers (the certificate-transparency reference vectors), corrupted proofs,
and property tests for the pure Merkle functions."""
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridops.ledger import merkle
from tests.fuzzing import examples

# The eight reference leaves of google/certificate-transparency and transparency-dev/merkle.
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
# MTH of the first n leaves, n = 0..8.
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]


def h(*hexes):
    return [bytes.fromhex(x) for x in hexes]


# (0-based index, tree size, published audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]
# (old size, new size, published consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_is_sha256_of_nothing():
    assert merkle.root_hash([]) == hashlib.sha256(b"").digest() == ROOTS[0]


def test_single_leaf_hashes_carry_the_prefixes():
    assert merkle.leaf_hash(b"") == ROOTS[1]
    assert merkle.node_hash(merkle.leaf_hash(LEAVES[0]), merkle.leaf_hash(LEAVES[1])) == ROOTS[2]


@pytest.mark.parametrize("size", range(0, 9))
def test_roots_of_one_to_eight_leaves(size):
    assert merkle.root_hash(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("n,k", [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512), (2**40, 2**39)])
def test_split_is_the_largest_power_of_two_below(n, k):
    assert merkle.split_point(n) == k


@pytest.mark.parametrize("index,size,path", INCLUSION)
def test_inclusion_proofs_match_published_paths(index, size, path):
    assert merkle.inclusion_proof(LEAVES[:size], index) == path
    assert merkle.verify_inclusion(merkle.leaf_hash(LEAVES[index]), index, size, path, ROOTS[size])


@pytest.mark.parametrize("old,new,path", CONSISTENCY)
def test_consistency_proofs_match_published_paths(old, new, path):
    assert merkle.consistency_proof(LEAVES[:new], old) == path
    assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], path)


def corrupted_inclusions(index, size, path, root, leaf):
    """Each probe must fail (transparency-dev/merkle's corruption list)."""
    probes = [
        (index - 1, size, root, leaf, path), (index + 1, size, root, leaf, path),
        (index ^ 2, size, root, leaf, path), (index, size * 2, root, leaf, path),
        (index, size // 2, root, leaf, path), (index, size, root, merkle.leaf_hash(b"WrongLeaf"), path),
        (index, size, ROOTS[0], leaf, path), (index, size, SOME_HASH, leaf, path),
        (index, size, root, leaf, path + [b""]), (index, size, root, leaf, path + [root]),
        (index, size, root, leaf, [b""] + path), (index, size, root, leaf, [root] + path),
    ]
    for i in range(len(path)):
        bad = list(path)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((index, size, root, leaf, bad))
    if path:
        probes.append((index, size, root, leaf, path[:-1]))
    if len(path) > 1:
        probes.append((index, size, root, leaf, [path[0], SOME_HASH] + path[1:]))
    return probes


@pytest.mark.parametrize("index,size,path", INCLUSION)
def test_corrupted_inclusion_proofs_fail(index, size, path):
    leaf = merkle.leaf_hash(LEAVES[index])
    for probe_index, probe_size, root, probe_leaf, probe_path in corrupted_inclusions(index, size, path, ROOTS[size], leaf):
        if (probe_index, probe_size, root, probe_leaf, probe_path) == (index, size, ROOTS[size], leaf, path):
            continue  # index ^ 2 == index + ... can coincide with the original for tiny trees
        assert not merkle.verify_inclusion(probe_leaf, probe_index, probe_size, probe_path, root), (probe_index, probe_size)


@pytest.mark.parametrize("old,new,path", [c for c in CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_fail(old, new, path):
    r1, r2 = ROOTS[old], ROOTS[new]
    wrong = hashlib.sha256(b"WrongRoot").digest()
    probes = [
        (old - 1, new, r1, r2, path), (old + 1, new, r1, r2, path), (old ^ 2, new, r1, r2, path),
        (old, new * 2, r1, r2, path), (old, new // 2, r1, r2, path),
        (old, new, wrong, r2, path), (old, new, r1, wrong, path), (old, new, r2, r1, path),
        (old, new, r1, r2, []), (old, new, r1, r2, path + [b""]), (old, new, r1, r2, path + [r1]),
        (old, new, r1, r2, path + [r2]), (old, new, r1, r2, [b""] + path), (old, new, r1, r2, [r1] + path),
        (old, new, r1, r2, [r2] + path), (old, new, r1, r2, [path[0]] + path), (old, new, r1, r2, path[:-1]),
    ]
    for i in range(len(path)):
        bad = list(path)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((old, new, r1, r2, bad))
    for probe in probes:
        assert not merkle.verify_consistency(*probe), probe[:2]


@pytest.mark.parametrize("old,new,r1,r2,proof,ok", [
    (0, 0, ROOTS[0], ROOTS[0], [], True),
    (0, 1, ROOTS[0], ROOTS[1], [], True),
    (1, 1, ROOTS[1], ROOTS[1], [], True),
    (1, 1, ROOTS[1], ROOTS[2], [], False),
    (1, 0, ROOTS[1], ROOTS[0], [], False),
    (2, 1, ROOTS[2], ROOTS[1], [], False),
    (1, 2, ROOTS[1], ROOTS[2], [], False),
    (0, 1, ROOTS[0], ROOTS[0], [ROOTS[0]], False),
    (1, 1, ROOTS[1], ROOTS[1], [ROOTS[0]], False),
])
def test_trivial_consistency_cases(old, new, r1, r2, proof, ok):
    assert merkle.verify_consistency(old, new, r1, r2, proof) is ok


@pytest.mark.parametrize("index,size", [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4)])
def test_inclusion_outside_the_tree_fails(index, size):
    assert not merkle.verify_inclusion(SOME_HASH, index, size, [], ROOTS[0])


def test_wrong_hash_sizes_fail():
    leaf = merkle.leaf_hash(b"data")
    assert merkle.verify_inclusion(leaf, 0, 1, [], leaf)
    assert not merkle.verify_inclusion(b"", 0, 1, [], leaf)
    assert not merkle.verify_inclusion(leaf, 0, 1, [], b"")


def test_range_helpers_reject_bad_arguments():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError):
        merkle.consistency_proof(LEAVES[:3], 4)
    with pytest.raises(ValueError):
        merkle.split_point(1)


# --- properties ---------------------------------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@settings(max_examples=examples(60), deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_any_generated_inclusion_proof_verifies_and_any_byte_change_fails(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = merkle.root_hash(leaves)
    proof = merkle.inclusion_proof(leaves, index)
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(leaf, index, len(leaves), proof, root)
    # Change any single byte anywhere (leaf hash, a proof element, the root): it must fail.
    pieces = [leaf, *proof, root]
    which = data.draw(st.integers(0, len(pieces) - 1))
    pos = data.draw(st.integers(0, merkle.HASH_SIZE - 1))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(pieces[which])
    changed[pos] ^= delta
    pieces[which] = bytes(changed)
    assert not merkle.verify_inclusion(pieces[0], index, len(leaves), pieces[1:-1], pieces[-1])


@settings(max_examples=examples(60), deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_any_generated_consistency_proof_verifies_and_any_byte_change_fails(leaves, data):
    old = data.draw(st.integers(1, len(leaves)))
    old_root, new_root = merkle.root_hash(leaves[:old]), merkle.root_hash(leaves)
    proof = merkle.consistency_proof(leaves, old)
    assert merkle.verify_consistency(old, len(leaves), old_root, new_root, proof)
    pieces = [old_root, *proof, new_root]
    which = data.draw(st.integers(0, len(pieces) - 1))
    pos = data.draw(st.integers(0, merkle.HASH_SIZE - 1))
    changed = bytearray(pieces[which])
    changed[pos] ^= data.draw(st.integers(1, 255))
    pieces[which] = bytes(changed)
    assert not merkle.verify_consistency(old, len(leaves), pieces[0], pieces[-1], pieces[1:-1])


@settings(max_examples=examples(40), deadline=None)
@given(leaves=leaf_lists)
def test_root_matches_the_recursive_definition(leaves):
    def mth(d):
        if len(d) == 1:
            return merkle.leaf_hash(d[0])
        k = merkle.split_point(len(d))
        return merkle.node_hash(mth(d[:k]), mth(d[k:]))

    assert merkle.root_hash(leaves) == mth(leaves)
