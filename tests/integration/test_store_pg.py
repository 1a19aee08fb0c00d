"""The PostgreSQL store's own behaviour (masked passwords, its writer lock, deleting a KB in use,
the HNSW index) and the same answers from both stores on the same data: BM25 rankings and
doc_freq, dense rankings (exact and HNSW), the fused search and the gate.

The PostgreSQL is real: the `pg_server` fixture starts one with pgvector (the pgserver package).
Tests that need it are marked `pg`. The contract both stores keep is in test_store_contract.py.
"""

from __future__ import annotations

import hashlib
import random
import threading

import numpy as np
import pytest

from ragchat import kb as stores
from ragchat.errors import ConfigError, KBError, KBLocked
from ragchat.retrieval import Retriever
from ragchat.settings import Settings
from ragchat.text import lexical_tokens
from tests.kbdata import open_kb, put


# ---------------------------------------------------------------- PostgreSQL specifics
def test_store_setting_is_validated_and_passwords_are_masked() -> None:
    from ragchat.settings import mask_url

    with pytest.raises(ConfigError, match="postgresql://") as err:
        Settings(store="mysql://u:hunter2@h/db")
    assert "hunter2" not in str(err.value)
    assert mask_url("postgresql://u:hunter2@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert (
        mask_url("postgresql://h/db?password=hunter2&x=1") == "postgresql://h/db?password=***&x=1"
    )
    settings = Settings.load(env={"RAGCHAT_STORE": "postgresql://u:hunter2@h/db"})
    assert "hunter2" not in repr(settings)
    assert dict((n, v) for n, v, _ in settings.describe())["store"] == "postgresql://u:***@h/db"


@pytest.mark.pg
def test_unreachable_server_is_one_clear_error_without_the_password(tmp_path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://u:hunter2@/db?host={tmp_path}&connect_timeout=2"
    with pytest.raises(KBError, match="cannot connect to PostgreSQL") as err:
        stores.open_kb(Settings(store=url), "docs")
    assert "hunter2" not in str(err.value)


@pytest.mark.pg
def test_pg_writer_lock_is_held_across_processes_and_concurrent_readers_work(pg_url) -> None:
    settings = Settings(store=pg_url, lock_timeout=0.3)
    kb = open_kb(settings)
    put(kb, "/d/a.pdf", ["shared text"] * 3)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                with kb.snapshot():
                    assert kb.size() == 3 and len(kb.lexical_search(["shared"], 5)) == 3
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---------------------------------------------------------------- the same answers from both
EN_WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list
    "boiler pressure valve pump burner filter warranty month year service interval inspection"
    " committee budget annual maintenance plan regional office schedule safety glove goggles"
    " equipment revenue growth quarter fiscal company's apple's apple’s microsoft’s u.s. 3.5"
    " 1,000 2.0.1 don't running runs ran runner café naïve résumé operating temperature heating"
    " radiators bleed autumn intake water soapy warm clean replace check report approved"
    " ha ha.ha ha.ha.ha s's s"
).split()
ZH_SENTENCES = [
    "锅炉的工作压力是三巴。",
    "保修期为二十四个月。",
    "过滤器每月清洗一次。",
    "北京大学位于海淀区。",
    "公司的收入增长了百分之八。",
    "维修计划由委员会批准。",
]


def corpus(seed: int = 7) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    weights = [1 / (r + 1) for r in range(len(EN_WORDS))]
    files = []
    for f in range(5):
        texts = []
        for i in range(40):
            words = rng.choices(EN_WORDS, weights, k=rng.randint(6, 40))
            text = " ".join(words).capitalize() + "."
            if (f + i) % 5 == 0:
                text += " " + "".join(rng.choices(ZH_SENTENCES, k=rng.randint(1, 3)))
            texts.append(text)
        files.append((f"/corpus/f{f}.pdf", texts))
    return files


def queries(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = [" ".join(rng.sample(EN_WORDS, rng.randint(1, 6))) for _ in range(60)]
    out += ["What is Apple's revenue growth?", "the u.s. office", "version 2.0.1 and 3.5 bar"]
    out += ["ha.ha", "ha.ha.ha s's"]  # phrases that overlap themselves
    out += ["锅炉的工作压力是多少？", "北京大学在哪里？", "保修期多长？", "收入增长"]
    return out


@pytest.fixture
def both(pg_url, tmp_path):
    """The same corpus in a FAISS KB and a PostgreSQL KB (one file replaced, one removed)."""
    kbs = {
        "faiss": open_kb(Settings(home=tmp_path / "home"), dim=32),
        "pg": open_kb(Settings(home=tmp_path / "home", store=pg_url), dim=32),
    }
    data = corpus()
    for kb in kbs.values():
        for f, (path, texts) in enumerate(data):
            put(kb, path, texts, dim=32, seed=f)
        put(kb, data[1][0], data[1][1][:20], dim=32, seed=99)
        with kb.writer() as w:
            w.remove_file(data[3][0])
    return kbs


def _ids(kb, ranked: list[tuple[int, float]]) -> list[str]:
    chunks = kb.chunks([i for i, _ in ranked])
    return [chunks[i].chunk_id for i, _ in ranked]


@pytest.mark.pg
def test_lexical_rankings_and_doc_freq_are_equal(both) -> None:
    faiss_kb, pg_kb = both["faiss"], both["pg"]
    assert faiss_kb.chunk_count() == pg_kb.chunk_count() == 140
    for q in queries():
        tokens = lexical_tokens(q)
        a, b = faiss_kb.lexical_search(tokens, 20), pg_kb.lexical_search(tokens, 20)
        assert _ids(faiss_kb, a) == _ids(pg_kb, b), q
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-9)
        for t in set(tokens):
            assert faiss_kb.doc_freq(t) == pg_kb.doc_freq(t), t


@pytest.mark.pg
def test_dense_rankings_are_equal_exact_and_hnsw(both) -> None:
    faiss_kb, pg_kb = both["faiss"], both["pg"]
    index = f"{pg_kb.schema}.embeddings_hnsw"
    assert pg_kb.rows("SELECT to_regclass(%s)", (index,))[0][0] is None  # small: exact search
    pg_kb.exact_limit = 0
    pg_kb.save_vectors()  # what a writer session does when the KB outgrows exact search
    pg_kb.exact_limit = type(pg_kb).exact_limit
    assert pg_kb.rows("SELECT to_regclass(%s)", (index,))[0][0] is not None
    pg_kb.rows("SET enable_seqscan = off", fetch=False)  # 140 rows: make the planner take the index
    rng = np.random.default_rng(3)
    overlap = []
    for _ in range(20):
        q = rng.normal(size=32).astype(np.float32)
        q /= np.linalg.norm(q)
        a = faiss_kb.dense_search(q, 10)
        b = pg_kb.dense_search(q, 10)
        assert _ids(faiss_kb, a) == _ids(pg_kb, b)
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
        pg_kb.exact_limit = 0  # the HNSW index
        c = pg_kb.dense_search(q, 10)
        plan = pg_kb.rows(
            f"EXPLAIN SELECT id FROM {pg_kb.schema}.embeddings ORDER BY vec <#> %s LIMIT 10", (q,)
        )
        assert "embeddings_hnsw" in str(plan)
        pg_kb.exact_limit = type(pg_kb).exact_limit
        overlap.append(len(set(_ids(faiss_kb, a)) & set(_ids(pg_kb, c))) / 10)
    assert np.mean(overlap) >= 0.95


class HashEmbedder:
    """A deterministic toy embedder: hashed word counts (enough to exercise fusion and the gate)."""

    name, dim, max_tokens = "e", 32, 256

    def embed_query(self, text: str) -> np.ndarray:
        v = np.full(self.dim, 0.01, dtype=np.float32)
        for t in lexical_tokens(text):
            v[int(hashlib.md5(t.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / np.linalg.norm(v)


@pytest.mark.pg
def test_fused_search_and_gate_are_equal(both) -> None:
    settings = Settings(candidates=20)
    faiss_r = Retriever(both["faiss"], HashEmbedder(), settings)
    pg_r = Retriever(both["pg"], HashEmbedder(), settings)
    for q in queries():
        a, b = faiss_r.search(q), pg_r.search(q)
        assert [h.chunk.chunk_id for h in a.candidates] == [h.chunk.chunk_id for h in b.candidates]
        assert a.gate_score == pytest.approx(b.gate_score, abs=1e-6) and a.covered == b.covered


@pytest.mark.pg
def test_pg_delete_waits_for_a_running_writer(pg_url) -> None:
    from ragchat.kb.pg_schema import delete_kb

    kb = open_kb(Settings(store=pg_url))
    with kb.writer(), pytest.raises(KBLocked, match="being written"):
        delete_kb(pg_url, "docs", timeout=0.3)
    kb.close()
    delete_kb(pg_url, "docs", timeout=0.3)
    assert stores.list_kbs(Settings(store=pg_url)) == []


@pytest.mark.slow
@pytest.mark.pg
def test_real_pdfs_give_the_same_hits_and_gate_on_both_stores(shared_dir, pg_url, tmp_path):
    """SQuAD PDFs with the real embedder: the retriever answers the same from both stores."""
    import json

    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder

    base = Settings.load({"home": tmp_path / "home"})
    embedder = load_embedder(base)
    pdfs = sorted((shared_dir / "eval" / "squad-en" / "pdfs").glob("*.pdf"))[:2]
    rows = [
        json.loads(line)
        for line in (shared_dir / "eval" / "squad-en" / "questions.jsonl").read_text().splitlines()
    ]
    names = {p.name for p in pdfs}
    questions = [r["question"] for r in rows if r.get("file") in names][:60]
    questions += [r["question"] for r in rows if r["kind"] == "out_of_domain"][:20]
    results = {}
    for store in ("", pg_url):
        settings = base.replace(store=store)
        kb = stores.open_kb(
            settings, "squad", embedder=embedder.name, dim=embedder.dim, create=True
        )
        Ingestor(kb, settings, embedder).ingest(pdfs)
        retriever = Retriever(kb, embedder, settings)
        results[store] = [retriever.search(q) for q in questions]
    for q, a, b in zip(questions, results[""], results[pg_url], strict=True):
        assert [h.chunk.chunk_id for h in a.hits] == [h.chunk.chunk_id for h in b.hits], q
        assert a.covered == b.covered and a.gate_score == pytest.approx(b.gate_score, abs=1e-5)
