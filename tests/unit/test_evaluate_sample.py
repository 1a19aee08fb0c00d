"""The labelled evaluation's seeded sample: a larger count keeps the smaller sample as its start."""

from __future__ import annotations

import json


def test_a_larger_labelled_sample_keeps_the_smaller_one_as_its_start(tmp_path):
    from finetune.evaluate import sample_questions

    rows = [{"question": f"a{i}", "kind": "answerable"} for i in range(30)]
    rows += [{"question": f"o{i}", "kind": "out_of_domain"} for i in range(25)]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    small = sample_questions(path, {"answerable": 6, "unanswerable": 4, "out_of_domain": 5})
    every = sample_questions(path, {"answerable": 6, "unanswerable": 4, "out_of_domain": 999})
    ood = [q["question"] for q in every if q["kind"] == "out_of_domain"]
    assert sorted(ood) == sorted(f"o{i}" for i in range(25))  # all of them, once each
    assert every[: len(small)] == small  # same answerable questions, same first five off-topic
