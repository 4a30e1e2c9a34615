"""The stand-alone verifier of docs/audit.md, extracted as a reader would copy it and loaded
as a module: Certificate Transparency's reference proofs (see test_merkle.py for their
source), then proofs of trees of every size from 1 to 1,000 (all of them up to 32 leaves),
made by `audit.merkle` and checked by the script, and corrupted ones refused.
(tests/api/test_ledger_proofs.py runs the same script as a process on the API's proofs.)"""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path
from types import ModuleType

from lifeledger.audit.merkle import MemoryTree, consistency_path, inclusion_path, leaf_hash
from tests.unit.test_merkle import CONSISTENCY, REFERENCE, ROOTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def extracted(tmp: Path) -> ModuleType:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text[text.index("<!-- verifier") :], re.DOTALL)
    assert block is not None
    path = tmp / "verify_proof.py"
    path.write_text(block.group(1), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("verify_proof", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "import" not in block.group(1).replace("import hashlib", "").replace(
        "import json", ""
    ).replace("import sys", "")  # the standard library's hashlib, json and sys only
    return module


def test_the_reference_proofs(tmp_path: Path) -> None:
    script = extracted(tmp_path)
    for (old, new), hexes in CONSISTENCY.items():
        proof = [bytes.fromhex(p) for p in hexes]
        roots = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
        assert script.consistent(old, new, *roots, proof)
    root = bytes.fromhex(ROOTS[8])
    for index in range(8):
        path = inclusion_path(REFERENCE.node, index, 8)
        assert script.inclusion_root(index, 8, REFERENCE.node(0, index), path) == root


def test_trees_of_every_size_up_to_1000(tmp_path: Path) -> None:
    script = extracted(tmp_path)
    tree = MemoryTree(leaf_hash(i.to_bytes(4, "big")) for i in range(1000))
    chance = random.Random(1000)
    for size in range(1, 1001):
        root = tree.root(size)
        indexes = range(size) if size <= 32 else {0, size - 1, chance.randrange(size)}
        for index in indexes:
            path = inclusion_path(tree.node, index, size)
            leaf = tree.node(0, index)
            assert script.inclusion_root(index, size, leaf, path) == root
            assert script.inclusion_root(index, size, leaf_hash(b"x"), path) != root
            if size < 1000:
                assert script.inclusion_root(index, size + 1, leaf, path) != tree.root(size + 1)
        olds = range(1, size + 1) if size <= 32 else {1, size, chance.randrange(1, size + 1)}
        for old in olds:
            path = consistency_path(tree.node, old, size)
            assert script.consistent(old, size, tree.root(old), root, path)
            if old < size:
                assert not script.consistent(old, size, leaf_hash(b"x"), root, path)
                assert not script.consistent(old, size, tree.root(old), root, path[:-1])
                assert not script.consistent(size, old, root, tree.root(old), path)
