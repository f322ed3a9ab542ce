#!/usr/bin/env bash
# Set up, build and start Clef: the window when there is a display, else the headless demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# The model set-up fetched becomes the default, unless the user already chose one.
"$CLEF_BIN" model use --if-unset "$CLEF_TEST_MODEL" || echo "note: could not make the test model the default" >&2
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$CLEF_BIN" "$@"
fi
echo "No display: running the headless demo on a page served from this checkout."
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
cp resources/demo/index.html resources/demo/article.html "$demo/"
python3 -m http.server --bind 127.0.0.1 --directory "$demo" 8765 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$demo"' EXIT
sleep 0.5
url="http://127.0.0.1:8765/index.html"
echo "== title and URL"; "$CLEF_BIN" headless "$url"
echo "== visible text"; "$CLEF_BIN" headless "$url" --text
echo "== JavaScript"; "$CLEF_BIN" headless "$url" --eval '[...document.querySelectorAll("li")].map(li => li.textContent)'
"$CLEF_BIN" headless "$url" --screenshot "$demo/shot.png" && cp "$demo/shot.png" ./clef-demo.png
echo "== screenshot saved to ./clef-demo.png"
echo "== the local model"; "$CLEF_BIN" model info "$CLEF_TEST_MODEL"
article="http://127.0.0.1:8765/article.html"
echo "== the assistant: the article as reader view shows it"; "$CLEF_BIN" read "$article"
echo "== the assistant summarizes it (the 135M test model, on this machine; nothing leaves it)"
"$CLEF_BIN" summarize "$article" --model "$CLEF_TEST_MODEL"
echo "== and answers a question about it"
"$CLEF_BIN" ask "$article" "Why do travellers choose night trains?" --model "$CLEF_TEST_MODEL"
echo "== a larger model answers better: bash scripts/fetch-quality-model.sh, then --model \$CLEF_QUALITY_MODEL"
