#!/usr/bin/env bash
# Installs what is missing, builds minnow, and runs the main job: the perceptron trainer on its
# built-in data (it writes perceptron.json and perceptron.svg into the current folder).
set -euo pipefail
here="$(pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target perceptron_trainer
cd "$here"
exec "$root/build/examples/perceptron_trainer" "$@"
