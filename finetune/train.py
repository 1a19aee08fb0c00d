"""LoRA training on the cached safetensors copy of the base model, readable top to bottom.

The prompt is rendered by `ragchat.generation.render_chat` over the messages
`finetune.data` built with `ragchat.prompt.build_evidence_messages`: the same function and the
same messages as at inference. Loss is on the answer tokens only. LoRA sits on the top third of
the layers (the backward pass stops there, ~2x cheaper on a CPU), the frozen base runs in the
inference dtype (bf16 where the CPU has it). A run stops at `steps` or after `minutes`, whichever
comes first; the learning-rate schedule follows whichever is nearer. After training, the
first-token refusal threshold is calibrated on the validation split (finetune.calibrate) and
stored in training_card.json. Checkpoints (adapter + optimizer + step + RNG) let an interrupted
run resume.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from finetune.calibrate import calibrate, calibration_rows
from finetune.card import load_split
from ragchat.errors import ModelError
from ragchat.settings import Settings

# With a deadline (`finish_by`): the calibration pass costs about this much more per token than
# the batched validation loss it is estimated from (batch 1), plus saving; and training gets
# at least MIN_TRAIN_SECONDS however late it starts.
AFTER_MARGIN = 1.25
SAVE_SECONDS = 20.0
MIN_TRAIN_SECONDS = 120.0
VAL_LOSS_EXAMPLES = 16


@dataclass(frozen=True)
class TrainConfig:
    r: int = field(default=8, metadata={"help": "LoRA rank."})
    alpha: int = field(default=16, metadata={"help": "LoRA alpha (2 x r)."})
    dropout: float = 0.05
    targets: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    layers: int = field(default=8, metadata={"help": "LoRA on the top N layers (0 = all)."})
    lr: float = 3e-4
    warmup: int = 4
    steps: int = 100
    minutes: float | None = field(default=18.0, metadata={"help": "Stop training after this."})
    batch: int = 4
    max_len: int = 512
    seed: int = 0
    save_every: int = 20
    # Recompute activations in the backward pass. Off: on a 2-core CPU with Qwen2.5-0.5B a
    # step (4 x ~290 tokens) took 9.6 s without it and 18 s with it, for 1.3 GB more memory
    # (peak 5.9 GB on the longest batches, LoRA on the top 8 layers only).
    grad_checkpointing: bool = False

    def __post_init__(self) -> None:
        if self.r < 1 or self.steps < 1 or self.batch < 1:
            raise ValueError("r, steps and batch must be >= 1")


def encode(
    tokenizer: Any, messages: list[dict[str, str]], target: str, max_len: int
) -> tuple[list[int], list[int]] | None:
    """Token ids and labels (-100 on the prompt) for one example; None if it does not fit."""
    from ragchat.generation import render_chat

    prompt = tokenizer(render_chat(tokenizer, messages), add_special_tokens=False)["input_ids"]
    answer = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if len(prompt) + len(answer) > max_len:
        return None
    return prompt + answer, [-100] * len(prompt) + answer


def _batches(rows: list[tuple[list[int], list[int]]], batch: int, rng: random.Random):
    while True:
        order = list(range(len(rows)))
        rng.shuffle(order)
        for i in range(0, len(order) - batch + 1, batch):
            yield [rows[j] for j in order[i : i + batch]]


def _collate(items: list[tuple[list[int], list[int]]], pad: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in items)
    ids = torch.full((len(items), width), pad, dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for k, (a, b) in enumerate(items):
        ids[k, : len(a)] = torch.tensor(a)
        labels[k, : len(b)] = torch.tensor(b)
        mask[k, : len(a)] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def train(
    settings: Settings,
    data: Path,
    out: Path,
    config: TrainConfig = TrainConfig(),
    *,
    resume: bool = True,
    progress: Callable[[int, int, float], None] | None = None,
    finish_by: float | None = None,
) -> dict[str, Any]:
    """Train, calibrate and save the adapter in `out`; returns the training card. `finish_by`
    (a `time.time()` value) ends training early enough that the validation loss, calibration
    and saving after it also finish by then (their cost estimated from the first validation
    pass)."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file, save_file

    from ragchat.generation import base_model_identity, inference_dtype, load_causal_lm
    from ragchat.kb.files import atomic_write_text
    from ragchat.runtime_env import map_large_blocks, release_freed_memory

    map_large_blocks()  # activations of changing shapes otherwise fragment the heap (+1.7 GB)
    t0 = time.time()
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model, tok = load_causal_lm(settings, dtype=inference_dtype(settings))
    if config.grad_checkpointing:
        model.config.use_cache = False
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    train_raw = load_split(data, "train")
    train_rows = [
        x for r in train_raw if (x := encode(tok, r["messages"], r["target"], config.max_len))
    ]
    val_raw = load_split(data, "val")
    encoded = {  # each validation example encoded once: the loss and the time estimate use it
        id(r): x for r in val_raw if (x := encode(tok, r["messages"], r["target"], config.max_len))
    }
    val_rows = list(encoded.values())
    if len(train_rows) < config.batch:
        why = (
            f"only {len(train_rows)} of {len(train_raw)} training examples fit in"
            f" max_len={config.max_len} tokens; raise --max-len"
            if len(train_raw) >= config.batch
            else f"only {len(train_raw)} training examples; build more data"
        )
        raise ModelError(f"{data}: {why}")
    n_layers = int(model.config.num_hidden_layers)
    top = min(config.layers, n_layers) if config.layers > 0 else n_layers
    model = get_peft_model(
        model,
        LoraConfig(
            r=config.r,
            lora_alpha=config.alpha,
            lora_dropout=config.dropout,
            target_modules=list(config.targets),
            layers_to_transform=list(range(n_layers - top, n_layers)),
            task_type="CAUSAL_LM",
        ),
    )
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)

    budget = config.minutes * 60 if config.minutes else None
    clock = {"start": time.time(), "spent": 0.0}  # training seconds, across resumes

    def done_share(step: int) -> float:
        by_time = clock["spent"] / budget if budget else 0.0
        return min(1.0, max(step / config.steps, by_time))

    def lr_at(step: int) -> float:  # linear warmup, then cosine to 10% over steps or minutes
        if step < config.warmup:
            return (step + 1) / config.warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done_share(step)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    ckpt = out / "checkpoint"
    start = 0
    data_sha = {s: _sha(data / f"{s}.jsonl") for s in ("train", "val")}
    state = json.loads((ckpt / "state.json").read_text()) if (ckpt / "state.json").is_file() else {}
    if resume and state and state.get("data_sha256") == data_sha:  # not on data rebuilt since
        set_peft_model_state_dict(model, load_file(ckpt / "adapter.safetensors"))
        opt.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
        sched.load_state_dict(torch.load(ckpt / "scheduler.pt", weights_only=True))
        start = state["step"]
        clock["spent"] = float(state.get("spent", 0.0))
        rng.setstate(_tuple_state(state["rng"]))
    batches = _batches(train_rows, config.batch, rng)  # resumed runs continue from the saved RNG
    # what calibration will read after training (at most 60 examples per group)
    cal_tokens = sum(len(encoded[id(r)][0]) for r in calibration_rows(val_raw) if id(r) in encoded)
    # enough for a loss estimate (each pass over 48 took 3 of the 30 minutes on a slow 2-core CPU)
    val_rows = val_rows[:VAL_LOSS_EXAMPLES]
    t_val = time.time()
    val_before = evaluate_loss(model, val_rows, pad)
    t_val = time.time() - t_val
    after = None
    if finish_by is not None:  # leave time for what follows training
        per_token = t_val / max(1, sum(len(ids) for ids, _ in val_rows))
        after = t_val + AFTER_MARGIN * per_token * cal_tokens + SAVE_SECONDS
        left = clock["spent"] + max(MIN_TRAIN_SECONDS, finish_by - time.time() - after)
        budget = min(budget, left) if budget is not None else left
    clock["start"] = time.time()  # the budget is for training steps, not the loss estimate
    model.train()
    losses: list[float] = []
    step, resumed_spent = start, clock["spent"]
    for step in range(start, config.steps):
        if budget is not None and clock["spent"] >= budget:
            break
        loss = answer_loss(model, _collate(next(batches), pad))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        # each batch has its own shapes: without handing the freed activations back, the heap
        # creeps up step by step (bf16 CPU, squad-en: 3.7 -> 5.6 GiB in 28 steps; 4.5 with this)
        release_freed_memory()
        clock["spent"] = resumed_spent + time.time() - clock["start"]
        if progress:
            per_step = (clock["spent"] - resumed_spent) / max(1, step + 1 - start)
            left = budget - clock["spent"] if budget is not None else float("inf")
            total = min(config.steps, step + 1 + int(max(0.0, left) // max(per_step, 1e-9)))
            progress(step + 1, total, losses[-1])
        if (step + 1) % config.save_every == 0 and step + 1 < config.steps:
            _checkpoint(ckpt, model, opt, sched, step + 1, rng, save_file, clock["spent"], data_sha)
    steps_done = step + 1 if losses else start
    t_after = time.time()
    val_after = evaluate_loss(model, val_rows, pad)
    calibration = calibrate(model, tok, val_raw)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    cfg_path = out / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = base_model_identity(settings)
    cfg_path.write_text(json.dumps(cfg, indent=2))
    card = {
        "config": asdict(config),
        "base_model": base_model_identity(settings),
        "data": str(data),
        "data_sha256": data_sha,
        "examples": {"train": len(train_rows), "val": len(val_rows)},
        "metrics": {
            "train_loss_first10": sum(losses[:10]) / max(1, len(losses[:10])),
            "train_loss_last10": sum(losses[-10:]) / max(1, len(losses[-10:])),
            "val_loss_before": val_before,
            "val_loss_after": val_after,
        },
        "steps_done": steps_done,
        "train_seconds": round(clock["spent"], 1),
        "train_budget_seconds": round(budget, 1) if budget is not None else None,
        "validation_loss_seconds": round(t_val, 1),
        "after_training_seconds": {
            "estimated": round(after, 1) if after is not None else None,
            "measured": round(time.time() - t_after, 1),
        },
        "seconds": round(time.time() - t0, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "resumed_from_step": start,
        "refusal_threshold": calibration["threshold"],
        "calibration": calibration,
    }
    atomic_write_text(out / "training_card.json", json.dumps(card, indent=2))
    if ckpt.exists():  # finished: the checkpoint has served its purpose
        import shutil

        shutil.rmtree(ckpt)
    return card


def answer_loss(model: Any, batch: dict[str, Any]) -> Any:
    """Mean cross-entropy over the answer tokens, with the output layer run only where a label
    is (the vocabulary projection over every prompt position would cost more than the rest)."""
    import torch

    batch = {k: v.to(model.device) for k, v in batch.items()}
    targets = batch["labels"][:, 1:]  # the logits at position t predict token t + 1
    keep = (targets != -100).any(0).nonzero().squeeze(1)
    out = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=keep
    )
    logits = out.logits.float()
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets[:, keep].reshape(-1), ignore_index=-100
    )


def evaluate_loss(
    model: Any, rows: list[tuple[list[int], list[int]]], pad: int, batch: int = 4
) -> float | None:
    import torch

    if not rows:
        return None
    model.eval()
    total, n = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(rows), batch):
            part = rows[i : i + batch]
            total += float(answer_loss(model, _collate(part, pad))) * len(part)
            n += len(part)
    model.train()
    return total / n


def _checkpoint(
    ckpt: Path,
    model: Any,
    opt: Any,
    sched: Any,
    step: int,
    rng: random.Random,
    save_file: Any,
    spent: float = 0.0,
    data_sha: dict[str, str] | None = None,
) -> None:
    import torch
    from peft import get_peft_model_state_dict

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in get_peft_model_state_dict(model).items()},
        tmp / "adapter.safetensors",
    )
    torch.save(opt.state_dict(), tmp / "optimizer.pt")
    torch.save(sched.state_dict(), tmp / "scheduler.pt")
    (tmp / "state.json").write_text(
        json.dumps(
            {
                "step": step,
                "spent": spent,
                "rng": _jsonable(rng.getstate()),
                "data_sha256": data_sha or {},
            }
        )
    )
    if ckpt.exists():
        import shutil

        shutil.rmtree(ckpt)
    tmp.rename(ckpt)


def _jsonable(state: Any) -> Any:
    return [state[0], list(state[1]), state[2]]


def _tuple_state(state: Any) -> Any:
    return (state[0], tuple(state[1]), state[2])


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""
