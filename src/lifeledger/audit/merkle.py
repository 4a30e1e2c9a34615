"""Merkle trees as RFC 9162 (Certificate Transparency 2.0) section 2.1 defines them: pure
functions, no storage, no I/O.

    leaf hash   SHA-256(0x00 ‖ leaf bytes)
    node hash   SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n])   the leaf hash for n = 1; for n > 1, with k the largest power of two
                smaller than n: node(MTH(D[0:k]), MTH(D[k:n]))

Every subtree the recursion meets on its left is *complete and aligned*: 2**level leaves
starting at a multiple of 2**level. Those never change once the log has grown past them, so a
log stores them (`Nodes`: (level, index) → hash) and answers any proof for any earlier size
from them (`range_hash` puts the incomplete ones on the right edge together).

Proofs are built by the recursive definitions of §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF)
and checked by the iterative algorithms of §2.1.3.2 and §2.1.4.2, transcribed step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
Nodes = Callable[[int, int], bytes]
"""The hash of the complete aligned subtree (level, index): leaves index·2**level …
(index+1)·2**level − 1; level 0 is the leaf hashes."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty list (RFC 9162: the hash of an empty string)."""


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(nodes: Nodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]), from the complete subtrees it is made of (`start` is where a
    subtree of the recursion begins, so its left parts are always complete and aligned)."""
    size = end - start
    if size <= 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return nodes(size.bit_length() - 1, start // size)
    k = split(size)
    return node_hash(range_hash(nodes, start, start + k), range_hash(nodes, start + k, end))


def inclusion_path(nodes: Nodes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:  # the recursion, unrolled; siblings are collected leaf-first
        k = split(end - start)
        if index < start + k:
            path.append(range_hash(nodes, start + k, end))
            end = start + k
        else:
            path.append(range_hash(nodes, start, start + k))
            start += k
    return path[::-1]


def consistency_path(nodes: Nodes, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 §2.1.4.1 (0 < old ≤ new)."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    return _subproof(nodes, old, 0, new, True)


def _subproof(nodes: Nodes, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], whole) of §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if whole else [range_hash(nodes, start, end)]
    k = split(n)
    if m <= k:
        return [*_subproof(nodes, m, start, start + k, whole), range_hash(nodes, start + k, end)]
    return [*_subproof(nodes, m - k, start + k, end, False), range_hash(nodes, start, start + k)]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that `path` proves leaf hash `leaf` at `index` in a tree of `size` belongs
    to (RFC 9162 §2.1.3.2); raises `ValueError` when the path cannot be one."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("the audit path is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the audit path is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """Does `path` prove leaf hash `leaf` at `index` in the tree of `size` whose root is `root`?"""
    try:
        return root_from_inclusion(index, size, leaf, path) == root
    except ValueError:
        return False


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """Does `path` prove the tree of size `new` (root `new_root`) extends the tree of size
    `old` (root `old_root`)? RFC 9162 §2.1.4.2, step by step."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not path and old_root == new_root
    if not path:  # step 1
        return False
    proof = list(path)
    if old & (old - 1) == 0:  # step 2: old is a power of two
        proof.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:  # steps 3 and 4
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Frontier:
    """A growing tree's right edge: the complete subtrees its size is made of, largest first
    (one per bit of the size). Appending a leaf hashes what it completes; `completed` names
    the nodes (level ≥ 1) it made, for a log that stores them."""

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        self.size = size
        self.edge = list(edge)
        if len(self.edge) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} edge subtrees")

    @staticmethod
    def edge_nodes(size: int) -> list[tuple[int, int]]:
        """The (level, index) of the complete subtrees of a tree of `size`, largest first."""
        found: list[tuple[int, int]] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                found.append((level, start >> level))
                start += 1 << level
        return found

    def append(self, leaf: bytes, completed: list[tuple[int, int, bytes]] | None = None) -> None:
        index = self.size
        node, level = leaf, 0
        while index >> level & 1:  # each 1 bit below the new leaf closes a subtree
            node = node_hash(self.edge.pop(), node)
            level += 1
            if completed is not None:
                completed.append((level, index >> level, node))
        self.edge.append(node)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self.edge:
            return EMPTY_ROOT
        root = self.edge[-1]
        for node in reversed(self.edge[:-1]):
            root = node_hash(node, root)
        return root


def block_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of a power-of-two number of leaf hashes, level by level (fewer steps per leaf
    than a frontier: `lifeledger verify`'s inner loop)."""
    level = list(leaves)
    sha = hashlib.sha256
    while len(level) > 1:
        pairs = zip(level[::2], level[1::2], strict=True)
        level = [sha(b"\x01" + left + right).digest() for left, right in pairs]
    return level[0]


class MemoryTree:
    """Every node of a tree of known leaf hashes, kept in memory (tests, small trees)."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index & 1:
            if len(self.levels) == level + 1:
                self.levels.append([])
            row = self.levels[level]
            self.levels[level + 1].append(node_hash(row[index - 1], row[index]))
            level, index = level + 1, index >> 1

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return range_hash(self.node, 0, self.size if size is None else size)


def recorded(plan: Callable[[Nodes], object]) -> list[tuple[int, int]]:
    """The (level, index) of the nodes `plan` reads (given stand-in hashes): a store fetches
    them in one query, then runs `plan` again on them."""
    asked: list[tuple[int, int]] = []

    def stand_in(level: int, index: int) -> bytes:
        asked.append((level, index))
        return bytes(HASH_SIZE)

    plan(stand_in)
    return list(dict.fromkeys(asked))
