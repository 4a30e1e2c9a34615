"""RFC 9162 Merkle trees (`audit.merkle`): the reference data of Certificate Transparency's
tests, then every inclusion and consistency proof of small trees and samples of larger ones,
checked by the RFC's verification algorithms and against a naive recursive MTH.

Reference data: transparency-dev/merkle (the Go library Trillian and CT logs use),
`testonly/constants.go` (LeafInputs, NodeHashes, RootHashes) and `proof/verify_test.go`
(consistencyProofs): the 8 leaves of RFC 6962's reference tests, read there, values copied.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from lifeledger.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    recorded,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CONSISTENCY = {
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (6, 7): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (1, 1): [],
}  # fmt: skip


def naive_mth(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162's recursive definition, over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


def tree_of(n: int) -> MemoryTree:
    return MemoryTree(leaf_hash(i.to_bytes(8, "big")) for i in range(n))


REFERENCE = MemoryTree(leaf_hash(data) for data in LEAF_INPUTS)


def test_reference_node_hashes_and_roots() -> None:
    for level, row in enumerate(NODE_HASHES):
        assert [REFERENCE.node(level, i).hex() for i in range(len(row))] == row
    assert [REFERENCE.root(size).hex() for size in range(9)] == ROOTS
    assert EMPTY_ROOT.hex() == ROOTS[0]


def test_reference_frontier_roots() -> None:
    frontier = Frontier()
    for size, data in enumerate(LEAF_INPUTS, start=1):
        frontier.append(leaf_hash(data))
        assert frontier.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY))
def test_reference_consistency_proofs(old: int, new: int) -> None:
    path = consistency_path(REFERENCE.node, old, new)
    assert [p.hex() for p in path] == CONSISTENCY[(old, new)]
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert verify_consistency(old, new, old_root, new_root, path)


def test_reference_inclusion_proofs() -> None:
    root = bytes.fromhex(ROOTS[8])
    first = inclusion_path(REFERENCE.node, 0, 8)
    assert [p.hex() for p in first] == CONSISTENCY[(1, 8)]  # leaf 0's siblings
    for index in range(8):
        path = inclusion_path(REFERENCE.node, index, 8)
        assert verify_inclusion(index, 8, REFERENCE.node(0, index), path, root)


def inclusion_checks(tree: MemoryTree, index: int, size: int) -> None:
    root = tree.root(size)
    leaf = tree.node(0, index)
    path = inclusion_path(tree.node, index, size)
    assert verify_inclusion(index, size, leaf, path, root)
    assert not verify_inclusion(index, size, leaf_hash(b"other"), path, root)
    if path:
        bent = [path[0][:-1] + bytes([path[0][-1] ^ 1]), *path[1:]]
        assert not verify_inclusion(index, size, leaf, bent, root)
        assert not verify_inclusion(index, size, leaf, path[:-1], root)
    assert not verify_inclusion(index, size, leaf, [*path, root], root)
    if size > 1:
        assert not verify_inclusion((index + 1) % size, size, leaf, path, root)


def consistency_checks(tree: MemoryTree, old: int, new: int) -> None:
    old_root, new_root = tree.root(old), tree.root(new)
    path = consistency_path(tree.node, old, new)
    assert verify_consistency(old, new, old_root, new_root, path)
    if old < new:
        assert not verify_consistency(old, new, leaf_hash(b"x"), new_root, path)
        assert not verify_consistency(old, new, old_root, leaf_hash(b"x"), path)
        assert not verify_consistency(old, new, old_root, new_root, path[:-1])
        assert not verify_consistency(old, new, old_root, new_root, [*path, new_root])
        assert not verify_consistency(old, new, old_root, new_root, [])


def test_every_proof_of_trees_up_to_64() -> None:
    tree = tree_of(64)
    for size in range(1, 65):
        assert tree.root(size) == naive_mth(tree.levels[0][:size])
        for index in range(size):
            inclusion_checks(tree, index, size)
        for old in range(1, size + 1):
            consistency_checks(tree, old, size)


def test_sampled_proofs_of_trees_up_to_1000() -> None:
    tree = tree_of(1000)
    chance = random.Random(9162)
    frontier = Frontier()
    for size in range(1, 1001):
        frontier.append(tree.node(0, size - 1))
        assert frontier.root() == tree.root(size)
        if size % 37 and size not in (128, 511, 512, 513, 999, 1000):
            continue
        assert tree.root(size) == naive_mth(tree.levels[0][:size])
        for index in {0, size - 1, *chance.sample(range(size), min(size, 8))}:
            inclusion_checks(tree, index, size)
        for old in {1, size, *chance.sample(range(1, size + 1), min(size, 8))}:
            consistency_checks(tree, old, size)


def test_frontier_names_the_nodes_it_completes() -> None:
    tree = tree_of(300)
    frontier = Frontier()
    made: list[tuple[int, int, bytes]] = []
    for index in range(300):
        frontier.append(tree.node(0, index), made)
    assert made and all(tree.node(level, i) == node for level, i, node in made)
    assert len(made) == sum(300 >> level for level in range(1, 9))
    restarted = Frontier(300, [tree.node(lv, i) for lv, i in Frontier.edge_nodes(300)])
    assert restarted.root() == frontier.root()


def test_a_proof_reads_few_nodes() -> None:
    """What a store fetches for a proof: a handful of nodes, not the tree."""
    size = 1_000_003
    asked = recorded(lambda nodes: inclusion_path(nodes, 123_456, size))
    assert len(asked) < 3 * size.bit_length()
    asked = recorded(lambda nodes: consistency_path(nodes, 765_432, size))
    assert len(asked) < 3 * size.bit_length()


def test_impossible_proofs_are_refused() -> None:
    with pytest.raises(ValueError):
        inclusion_path(REFERENCE.node, 8, 8)
    with pytest.raises(ValueError):
        consistency_path(REFERENCE.node, 0, 8)
    with pytest.raises(ValueError):
        consistency_path(REFERENCE.node, 5, 4)
    with pytest.raises(ValueError):
        root_from_inclusion(3, 3, REFERENCE.node(0, 0), [])
    assert not verify_consistency(5, 4, REFERENCE.root(5), REFERENCE.root(4), [])
