#!/usr/bin/env bash
# The README's test command: builds llama.cpp's llama-server (or reuses the build cached outside the repository, see
# tests/engine/README.md), makes the tiny test model and its SentencePiece tokenizer file beside it (or reuses them),
# tells the engine and tokenizer tests where they are and that they must run, then runs every test of the solution.
# Extra arguments go to `dotnet test`.
#
# Usage: eng/test.sh [dotnet test arguments ...]
# The first run builds the engine: about 20 CPU minutes (npm, git, cmake, g++ and python3 with numpy and yaml needed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

server=$(bash tests/engine/build-llama-server.sh | tail -n 1)
engine_dir=$(dirname "$(dirname "$server")")

python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" > /dev/null && "$candidate" -c 'import numpy, yaml' > /dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "eng/test.sh: the tiny test model needs python3 with numpy and yaml (Debian: apt-get install python3-numpy python3-yaml python3-sentencepiece)" >&2
  exit 1
fi
made=$("$python" tests/engine/make-tiny-model.py "$engine_dir")
model=$(printf '%s\n' "$made" | tail -n 1)
tokenizer=$(printf '%s\n' "$made" | tail -n 2 | head -n 1)

export HYBRID_LLAMA_SERVER="$server"
export HYBRID_TINY_MODEL="$model"
export HYBRID_TINY_TOKENIZER="$tokenizer"
export HYBRID_ENGINE_REQUIRED=1
echo "engine:    $HYBRID_LLAMA_SERVER"
echo "model:     $HYBRID_TINY_MODEL"
echo "tokenizer: $HYBRID_TINY_TOKENIZER"
exec dotnet test HybridInference.sln "$@"
