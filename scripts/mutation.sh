#!/usr/bin/env bash
# `npm run test:mutation [unit...]`: StrykerJS on each unit of stryker.config.mjs (all of them without arguments),
# one after another, then the score per unit. Not part of `npm test`: a full run takes about 70 minutes on 2 cores.
# Reports: reports/mutation/<unit>.json; a re-run only tests what changed (<unit>.incremental.json).
set -euo pipefail
cd "$(dirname "$0")/.."
units=("$@")
if [ ${#units[@]} -eq 0 ]; then
  mapfile -t units < <(node --input-type=module -e "process.env.PAYMENTS_AUTH_MUTATION_UNIT='options'; const { UNITS } = await import('./stryker.config.mjs'); console.log(Object.keys(UNITS).join('\n'))")
fi
for unit in "${units[@]}"; do
  echo "== mutation testing: $unit"
  PAYMENTS_AUTH_MUTATION_UNIT="$unit" npx stryker run
done
node scripts/mutation-scores.mjs "${units[@]}"
