#!/usr/bin/env bash
# Enforces the direction of dependencies between components (see ../shared/design.md):
# a file in src/<component>/ may include only its own component and those listed for it.
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../src}" && pwd)
declare -A allowed=(
  [base]=""
  [profile]="base"
  [symbolize]="base profile"
  [formats]="base profile symbolize"
  [export]="base profile formats"
  [storage]="base profile formats symbolize"
  [query]="base profile formats symbolize storage"
  [server]="base profile formats symbolize storage query export"
  [scrape]="base profile formats"
  [agent]="base profile formats symbolize"
  [client]="base profile"
  [cli]="base profile formats symbolize storage query server scrape agent client export"
)
status=0
for dir in "$src"/*/; do
  comp=$(basename "$dir")
  if [[ ! -v allowed[$comp] ]]; then
    echo "check_includes: src/$comp is not a known component; add it to tools/check_includes.sh" >&2
    status=1
    continue
  fi
  ok=" $comp ${allowed[$comp]} "
  while IFS= read -r hit; do
    file=${hit%%:*}
    inc=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$hit")
    [[ -d "$src/$inc" ]] || continue  # third-party (absl/, re2/, gtest/ ...)
    if [[ "$ok" != *" $inc "* ]]; then
      echo "check_includes: ${file#$src/} includes $inc/, but $comp may only use:${allowed[$comp]:- (nothing)}" >&2
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$dir" --include='*.h' --include='*.cc' --include='*.c' || true)
done
[ $status -eq 0 ] && echo "check_includes: ok"
exit $status
