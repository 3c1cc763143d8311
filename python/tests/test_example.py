"""examples/python/dedup_jsonl.py: run as a user would, on a file written here, and checked against
`neardup dedup`'s manifest for the same file."""
import json
import subprocess
import sys

from conftest import SOURCE_DIR, read_jsonl, run

EXAMPLE = SOURCE_DIR / "examples" / "python" / "dedup_jsonl.py"


def test_the_example_keeps_what_the_tool_keeps(corpus_2k, cli, tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLE), str(corpus_2k)], check=True, capture_output=True, text=True)
    kept = [json.loads(line) for line in out.stdout.splitlines()]
    manifest = tmp_path / "manifest.jsonl"
    run([cli, "dedup", "--jsonl", str(corpus_2k), "-o", str(manifest)])
    want = [r["id"] for r in read_jsonl(manifest) if r["status"] == "kept"]
    records = read_jsonl(corpus_2k)
    assert [r["id"] for r in kept] == want
    assert 100 < len(records) - len(kept) < len(records)
    # Records are passed through whole, in input order.
    by_id = {r["id"]: r for r in records}
    assert all(r == by_id[r["id"]] for r in kept)
    assert out.stderr.strip() == f"{len(records) - len(kept)} of {len(records)} dropped"


def test_the_example_on_a_small_file(tmp_path):
    story = ("The ferry company said on Monday that the night crossing to Elmsby would stop in March because "
             "too few passengers used it, and that the morning boat would leave half an hour earlier.")
    lines = [{"id": "a", "text": story}, {"id": "b", "text": "Another story entirely: the library reopens "
              "after a year of repairs to its roof, with longer hours on Saturdays and a new reading room."},
             {"id": "c", "text": story + " Updated with the timetable."}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    out = subprocess.run([sys.executable, str(EXAMPLE), str(src)], check=True, capture_output=True, text=True)
    assert [json.loads(x)["id"] for x in out.stdout.splitlines()] == ["a", "b"]
    assert out.stderr.strip() == "1 of 3 dropped"
