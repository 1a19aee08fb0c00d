#!/usr/bin/env bash
# One command for a new user: install, ingest the bundled samples, open the chat.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
. .venv/bin/activate
export RAGCHAT_KB=${RAGCHAT_KB:-samples}
ragchat-ingest add samples --kb "$RAGCHAT_KB"
if [ -f streamlit_app.py ] && [ -z "${RAGCHAT_NO_APP:-}" ]; then
  exec streamlit run streamlit_app.py
fi
ragchat ask "Who was the Norse leader?" --kb "$RAGCHAT_KB"
ragchat ask "What is the capital of Australia?" --kb "$RAGCHAT_KB"
