#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU, Release) from the llama.cpp release that the npm package node-llama-cpp ships
# as a git bundle, or reuses a build cached outside the repository under the exact version. Prints the binary's path
# on its last line. Nothing is downloaded at build time but the npm package itself. The binary loads the shared
# libraries beside it: run it with LD_LIBRARY_PATH set to its folder.
set -euo pipefail

NODE_LLAMA_CPP_VERSION=3.22.1      # holds llama.cpp commit de3ff815
LLAMA_COMMIT=de3ff815
cache_root=${HYBRID_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybridinference/llama-server}
dest="$cache_root/node-llama-cpp-$NODE_LLAMA_CPP_VERSION-$LLAMA_COMMIT"

if [ -x "$dest/bin/llama-server" ] && [ -f "$dest/gguf-py/gguf/__init__.py" ]; then
  echo "$dest/bin/llama-server"
  exit 0
fi

for tool in npm git cmake g++ make; do
  command -v "$tool" > /dev/null || { echo "build-llama-server: '$tool' is needed to build llama-server" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" > /dev/null)
tar xzf "$work/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz" -C "$work" package/llama/gitRelease.bundle
git clone -q "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
actual=$(git -C "$work/llama.cpp" rev-parse --short=8 HEAD)
if [ "$actual" != "$LLAMA_COMMIT" ]; then
  echo "build-llama-server: node-llama-cpp $NODE_LLAMA_CPP_VERSION holds llama.cpp $actual, expected $LLAMA_COMMIT" >&2
  exit 1
fi

cmake -S "$work/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_HTML=OFF > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j "$(nproc)" > "$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; exit 1; }

staging="$dest.partial"
rm -rf "$staging"
mkdir -p "$staging/bin"
cp "$work/build/bin/llama-server" "$staging/bin/"
find "$work/build/bin" -maxdepth 1 -name '*.so*' -exec cp -P {} "$staging/bin/" \;
cp -r "$work/llama.cpp/gguf-py" "$staging/gguf-py"
cp "$work/llama.cpp/models/ggml-vocab-llama-spm.gguf" "$staging/"
rm -rf "$dest"
mv "$staging" "$dest"
echo "$dest/bin/llama-server"
