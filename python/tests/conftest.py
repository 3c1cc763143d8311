"""Shared fixtures of the binding's tests: the example articles, the tool, generated corpora.

The tests run on the package in the build tree (ctest sets PYTHONPATH); NEARDUP_CLI and
NEARDUP_GEN_CORPUS name the tool and the corpus generator built beside it, so that the binding can be
compared with the tool on the same input.
"""
import json
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("NEARDUP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def example_items():
    """(id, text) of examples/articles, ids as the tool names them when given the directory."""
    root = SOURCE_DIR / "examples" / "articles"
    return [(f"examples/articles/{p.name}", p.read_text(encoding="utf-8")) for p in sorted(root.iterdir())]


@pytest.fixture(scope="session")
def examples():
    return example_items()


def _tool(name):
    path = os.environ.get(name)
    if not path or not os.path.exists(path):
        pytest.skip(f"{name} is not set (run through ctest)")
    return path


@pytest.fixture(scope="session")
def cli():
    return _tool("NEARDUP_CLI")


@pytest.fixture(scope="session")
def gen_corpus():
    return _tool("NEARDUP_GEN_CORPUS")


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def corpus_2k(tmp_path_factory, gen_corpus):
    """2,000 generated articles with planted near-duplicates and excerpts, as JSON Lines."""
    path = tmp_path_factory.mktemp("corpus") / "c2k.jsonl"
    run([gen_corpus, "-n", "2000", "--seed", "5", "--jsonl", str(path), "--truth", str(path) + ".truth"])
    return path
