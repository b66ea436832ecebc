"""A synthetic deck for benchmarks and fault campaigns: N notes of ~3 KB in nested folders.

    python benchmarks/gen_deck.py OUT_DIR --notes 10000 [--seed 0]

Deterministic from the seed (same seed, same bytes). Notes look like the seed deck in
``cards/``: the same frontmatter keys and quoting style, a Chinese or English ``# `` question,
a ``## 面试标准答案`` short answer, and details with code fences and CJK text. About one note
in four carries SM-2 keys (ease_factor/interval/repetitions); about one in three is new.
Importable: ``generate(out_dir, n, seed)`` returns the list of written paths.

``--shape seed`` writes notes shaped like the real seed deck instead: tags are the topic and
``<Topic>/<the question>.md`` (one distinct nested tag per note, so per-tag figures grow with
the deck), file names are ``NNNNNN_<16 hex>.md``. The default ``--shape mixed`` keeps a handful
of shared tags and its bytes are unchanged by the option.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

NOTES_PER_FOLDER = 100

TOPICS = [
    ("Transformer", ["Attention", "Architecture", "Position"]),
    ("LLM", ["Inference", "Training", "Alignment"]),
    ("ML", ["Optimization", "Regularization", "Evaluation"]),
    ("Systems", ["GPU", "Distributed", "Memory"]),
    ("Python", ["Async", "Typing", "Internals"]),
]

QUESTIONS_ZH = [
    "为什么缩放点积注意力要除以根号 d_k",
    "多头注意力相比单头注意力的优势是什么",
    "LayerNorm 和 RMSNorm 的区别",
    "KV cache 占用多少显存，如何估算",
    "为什么 Q、K、V 要用三个不同的投影矩阵",
    "Pre-LN 与 Post-LN 的训练稳定性差异",
    "FlashAttention 为什么更快",
    "学习率预热的作用是什么",
    "Dropout 应该放在哪些位置",
    "标签平滑如何影响校准",
]
QUESTIONS_EN = [
    "What is the KV cache, and how much memory does it take",
    "Why do residual connections help deep networks train",
    "How does rotary position embedding encode relative position",
    "What is the difference between GQA and MQA",
    "Why is attention quadratic in sequence length",
    "What does the causal mask do in a decoder",
    "How does cross-attention connect encoder and decoder",
    "What does softmax temperature change",
    "Why warm up the learning rate",
    "Where should dropout go in a transformer block",
]

ANSWER_ZH = [
    "假设 $q$、$k$ 的各分量独立、均值 0、方差 1，则点积的方差为 $d_k$，标准差随 $\\sqrt{d_k}$ 增长。",
    "打分太大时 softmax 进入饱和区，输出接近 one-hot，雅可比矩阵接近 0，梯度非常小，训练变慢甚至停滞。",
    "除以 $\\sqrt{d_k}$ 把打分的方差拉回 1，与 $d_k$ 无关；这是初始化阶段最重要的性质。",
    "多个头在不同的子空间里并行计算注意力，可以同时关注不同位置、不同类型的关系，再拼接投影回模型维度。",
    "缓存每层的 K、V，避免每生成一个 token 就重算整个前缀；显存约为 2 × 层数 × 序列长度 × 隐藏维度 × 字节数。",
]
ANSWER_EN = [
    "Each layer caches its keys and values so a new token attends to the prefix without recomputing it; "
    "memory is about 2 x layers x tokens x d_model x bytes per value.",
    "The residual path gives gradients an identity route around every block, so depth does not shrink them "
    "and each block only has to learn a correction.",
    "RoPE rotates each pair of query/key dimensions by an angle proportional to the position, so their dot "
    "product depends only on the offset between the two positions.",
    "Scores grow with the dimension; dividing by sqrt(d_k) keeps their variance near one so softmax does not "
    "saturate and gradients keep flowing.",
]
DETAIL_ZH = [
    "对每一项 $q_ik_i$：期望为 0，方差为 1。$d_k$ 个独立项相加，方差为 $d_k$。",
    "这是在独立同分布假设下的结论；训练中分布会变化，但初始化阶段这个假设大致成立。",
    "当某个概率趋于 1、其余趋于 0 时，雅可比的每一项都趋于 0，梯度几乎传不回查询和键。",
    "实践中还会配合合适的初始化与归一化，使得每层输出的尺度保持稳定。",
    "注意：softmax 的行归一化让注意力矩阵并不对称，即使打分矩阵是对称的。",
]
DETAIL_EN = [
    "In practice the effect is visible from the first steps: without the scaling, the attention entropy "
    "collapses and the loss plateaus.",
    "The derivation assumes independent components with unit variance; trained weights break that, but "
    "initialisation is where saturation hurts most.",
    "A common interview follow-up asks what happens with a learned temperature instead of a fixed scale.",
]
CODE = [
    "```python\nimport numpy as np\nrng = np.random.default_rng(0)\n\ndef softmax(s):\n    e = np.exp(s - s.max())\n"
    "    return e / e.sum()\n\nfor dk in (16, 64, 256, 1024):\n    q = rng.normal(size=(10000, dk))\n"
    "    k = rng.normal(size=(10000, dk))\n    dots = (q * k).sum(axis=1)\n    print(dk, round(dots.var(), 1))\n```\n",
    "```python\ndef kv_cache_bytes(layers, tokens, d_model, bytes_per=2):\n    # K and V for every layer\n"
    "    return 2 * layers * tokens * d_model * bytes_per\n\n# 注释：# 这不是标题\nprint(kv_cache_bytes(32, 4096, 4096) / 2**30, 'GiB')\n```\n",
    "```text\n# not a heading inside a fence\n## neither is this\nq·k / sqrt(d_k)\n```\n",
    "~~~bash\n$ trainer due --json | jq length\n42\n~~~\n",
]


def _fmt_day(d: dt.date | None, quoted: bool = True) -> str:
    if d is None:
        return "null"
    return f"'{d.isoformat()}'" if quoted else d.isoformat()


SHAPES = ("mixed", "seed")


def note_text(rng: random.Random, i: int, base: dt.date = dt.date(2026, 11, 25), shape: str = "mixed") -> str:
    """One note's text; ~3 KB, deterministic from the rng state.

    ``shape="seed"``: the second tag is ``<Topic>/<the question>.md``, as in the seed deck,
    so every note brings its own nested tag (the mixed shape shares 20 tags over the deck).
    """
    zh = rng.random() < 0.6
    top, subs = TOPICS[rng.randrange(len(TOPICS))]
    seed_shape = shape == "seed"
    tags = [top, "" if seed_shape else f"{top}/{rng.choice(subs)}"]  # seed: filled in once the question is drawn
    if not seed_shape and rng.random() < 0.3:
        t2, s2 = TOPICS[rng.randrange(len(TOPICS))]
        tags.append(f"{t2}/{rng.choice(s2)}")
    created = base - dt.timedelta(days=rng.randrange(30, 400))
    new = rng.random() < 0.33
    lines = ["---", f"created: {_fmt_day(created)}"]
    if new:
        lines += ["last_reviewed: null", f"next_review: {_fmt_day(base + dt.timedelta(days=rng.randrange(-3, 2)))}",
                  "review_count: 0"]
    else:
        last = base - dt.timedelta(days=rng.randrange(0, 60))
        lines += [f"last_reviewed: {_fmt_day(last)}",
                  f"next_review: {_fmt_day(last + dt.timedelta(days=rng.randrange(1, 40)))}",
                  f"review_count: {rng.randrange(1, 12)}"]
    lines.append(f"difficulty: {rng.choice(('easy', 'medium', 'medium', 'hard'))}")
    lines.append(f"mastery_level: {0.0 if new else round(rng.random(), 2)}")
    lines.append("tags:")
    tag_line = len(lines) + 1
    lines += [f"- {t}" for t in tags]
    lines.append("related_outlines: []")
    if not new and rng.random() < 0.4:
        lines += [f"ease_factor: {round(rng.uniform(1.3, 2.8), 2)}", f"interval: {rng.randrange(1, 60)}",
                  f"repetitions: {rng.randrange(1, 8)}"]
    lines.append("---")
    q = rng.choice(QUESTIONS_ZH if zh else QUESTIONS_EN)
    heading = f"{q}（#{i}）" if zh else f"{q}? (#{i})"
    if seed_shape:
        lines[tag_line] = f"- {top}/{heading}.md"
    parts = ["\n".join(lines), f"# {heading}", "", "## 面试标准答案", ""]
    ans = ANSWER_ZH if zh else ANSWER_EN
    parts += [rng.choice(ans), rng.choice(ans), "", "## 详细解析", ""]
    details = DETAIL_ZH if zh else DETAIL_EN
    size = sum(len(p.encode()) for p in parts)
    target = rng.randrange(2600, 3400)
    k = 1
    while size < target:
        if rng.random() < 0.35:
            block = rng.choice(CODE)
        else:
            block = f"### {k}. " + (rng.choice(details) if rng.random() < 0.3 else f"要点 {k}") + "\n\n" + \
                " ".join(rng.choice(details) for _ in range(rng.randrange(1, 4))) + "\n"
            k += 1
        parts.append(block)
        size += len(block.encode()) + 1
    return "\n".join(parts) + "\n"


def folder_of(i: int, rng_seed: int) -> str:
    """Nested folders: area/topic/batch, ~NOTES_PER_FOLDER notes per leaf."""
    leaf = i // NOTES_PER_FOLDER
    area = ("architecture", "attention", "inference", "training", "systems")[leaf % 5]
    return f"{area}/part-{leaf // 50:03d}/batch-{leaf:05d}"


def generate(out_dir: Path | str, n: int, seed: int = 0, shape: str = "mixed") -> list[Path]:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    written: list[Path] = []
    made: set[str] = set()
    for i in range(n):
        folder = folder_of(i, seed)
        if folder not in made:
            (out / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        text = note_text(rng, i, shape=shape)
        if shape == "seed":
            name = f"{i:06d}_{rng.getrandbits(64):016x}.md"
        else:
            name = f"note-{i:06d}.md" if i % 3 else f"问题-{i:06d}.md"
        p = out / folder / name
        with open(p, "wb") as fh:
            fh.write(text.encode("utf-8"))
        written.append(p)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--notes", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", choices=SHAPES, default="mixed",
                    help="mixed: a few shared tags (default); seed: like the seed deck, second tag "
                         "'<Topic>/<the question>.md', one distinct nested tag per note")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = generate(a.out_dir, a.notes, a.seed, a.shape)
    total = sum(os.path.getsize(p) for p in paths[:1000])
    print(f"{len(paths)} notes in {a.out_dir} ({time.perf_counter() - t0:.1f} s; "
          f"~{total / max(1, min(1000, len(paths))) / 1024:.1f} KB each)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
