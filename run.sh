#!/usr/bin/env bash
# One command for a new user: install, ingest the bundled samples, open the chat.
set -euo pipefail
cd "$(dirname "$0")"
echo "==> installing ragchat into .venv (scripts/setup.sh; several minutes the first time)"
bash scripts/setup.sh
. .venv/bin/activate
export RAGCHAT_KB=${RAGCHAT_KB:-samples}
echo "==> ingesting samples/ into the knowledge base '$RAGCHAT_KB'"
ragchat-ingest add samples --kb "$RAGCHAT_KB"
if [ -f streamlit_app.py ] && [ -z "${RAGCHAT_NO_APP:-}" ]; then
  echo "==> opening the chat app at http://127.0.0.1:8501 (Ctrl-C stops it)"
  exec streamlit run streamlit_app.py
fi
echo "==> asking two questions from the terminal (RAGCHAT_NO_APP is set)"
ragchat ask "Who killed King Harold II?" --kb "$RAGCHAT_KB"
ragchat ask "What is the capital of Australia?" --kb "$RAGCHAT_KB"
