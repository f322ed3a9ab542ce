#!/usr/bin/env bash
# Build the small company edition in tests/edition/ and check what it carries: its name, its
# start page, its model pin, and that its built-in policy is in force (it turns tasks off).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
binary="$CARGO_TARGET_DIR/editions/acme/clef"
bash scripts/build-edition.sh tests/edition/acme.toml "$binary"
report="$("$binary" edition)"
expect() {
  if ! grep -qF -- "$1" <<<"$2"; then
    echo "edition check failed: expected \"$1\" in:" >&2
    echo "$2" >&2
    exit 1
  fi
}
expect "edition:      Acme Secure Browser" "$report"
expect "start page:   https://intranet.acme.example/" "$report"
expect "model pin:    b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53" "$report"
expect "policy:       built in" "$report"
# No system policies.json here: the edition's own is in force.
refused="$(CLEF_POLICIES=/nonexistent/policies.json "$binary" run --start "$PWD/resources/demo/index.html" --task "click the button" --model /no/model.gguf 2>&1 || true)"
expect "acting on pages is turned off" "$refused"
expect "built into the Acme Secure Browser edition" "$refused"
echo "edition check: Acme Secure Browser carries its name, start page, model pin and policy"
