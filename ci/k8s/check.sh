#!/usr/bin/env bash
# check.sh — `make deploy-check`: validates deploy/ offline (ci/k8s/validate.mjs: Kubernetes schemas bundled in
# the npm package kubernetes-models, plus this project's rules), then proves the validator rejects broken
# manifests: each mutation below must make it fail.
# Needs node + npm; installs the pinned packages of package-lock.json with `npm ci` when they are missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEPLOY="$ROOT/deploy"

command -v node >/dev/null || { echo "deploy-check: node is required (apt-get install nodejs npm)"; exit 1; }
command -v npm >/dev/null || { echo "deploy-check: npm is required (apt-get install npm)"; exit 1; }
if [[ ! -f "$HERE/node_modules/.package-lock.json" || "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]]; then
  echo "installing the validator's pinned npm packages (npm ci)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "validating $DEPLOY"
node "$HERE/validate.mjs" "$DEPLOY"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
# mutate NAME FILE SED-SCRIPT: copy deploy/, break FILE, expect the validator to reject the copy.
mutate() {
  local name="$1" file="$2" script="$3" out
  rm -rf "$tmp/d" && cp -r "$DEPLOY" "$tmp/d"
  sed -E -i "$script" "$tmp/d/$file"
  if cmp -s "$tmp/d/$file" "$DEPLOY/$file"; then echo "  negative '$name': the mutation did not apply"; fails=$((fails + 1)); return; fi
  if out="$(node "$HERE/validate.mjs" "$tmp/d" 2>&1)"; then
    echo "  negative '$name': a broken manifest was ACCEPTED"; fails=$((fails + 1))
  else
    echo "  negative '$name': rejected as expected ($(head -n1 <<<"$out" | sed 's/^ *//; s/^[^:]*: //'))"
  fi
}
echo "negative tests (broken copies must fail)"
mutate schema-type        deployment.yaml 's/^  replicas: 2$/  replicas: two/'
mutate schema-required    deployment.yaml '/^        - name: gpt2-server$/s/- name: gpt2-server/- nam: gpt2-server/'
mutate schema-enum-type   service.yaml    's/^      port: 80$/      port: "eighty"/'
mutate unknown-kind       hpa.yaml        's/^kind: HorizontalPodAutoscaler$/kind: HorizontalPodAutoscalr/'
mutate yaml-syntax        service.yaml    's/^  selector:$/  selector: [/'
mutate readiness-path     deployment.yaml '/readinessProbe:/,/path:/s/path: \/health$/path: \/healthz/'
mutate startup-path       deployment.yaml '/startupProbe:/,/path:/s/path: \/health$/path: \/ready/'
mutate liveness-missing   deployment.yaml 's/^          livenessProbe:$/          livenessProbes:/'
mutate selector-mismatch  service.yaml    's/^    app.kubernetes.io\/name: gpt2-server$/    app.kubernetes.io\/name: gpt3-server/'
mutate hpa-target         hpa.yaml        's/^    name: gpt2-server$/    name: gpt2-srv/'
mutate no-memory-request  deployment.yaml '/^              memory: 1Gi$/d'
if [[ $fails -ne 0 ]]; then
  echo "deploy-check FAILED: $fails broken manifest(s) not caught"
  exit 1
fi
echo "deploy-check passed (deploy/ valid, 11 broken copies rejected)"
