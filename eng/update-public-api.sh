#!/usr/bin/env bash
# Brings the PublicAPI.Unshipped.txt files of the shipped projects in line with their public surface, as the
# PublicApiAnalyzers code fix would in an IDE: builds, adds every symbol the analyzer reports as missing (RS0016),
# takes out every entry it reports as gone (RS0017; an entry of PublicAPI.Shipped.txt is marked *REMOVED* instead),
# and builds again until the analyzer is content. Review the diff of the PublicAPI files afterwards.
#
# Usage: eng/update-public-api.sh [project.csproj ...]   (default: every project under src/)
# A project that has no PublicAPI files yet gets both, empty apart from the '#nullable enable' header.
# Offline: only dotnet build and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$#" -gt 0 ]; then
  projects=("$@")
else
  mapfile -t projects < <(find src -mindepth 2 -maxdepth 2 -name '*.csproj' | sort)
fi

for project in "${projects[@]}"; do
  dir="$(dirname "$project")"
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Reads the analyzer's diagnostics from the build output in $1, edits the Unshipped files of the projects they name
# (dependencies included), and prints how many files it changed.
apply_diagnostics() {
  python3 - "$1" <<'PY'
import os, re, sys

added = re.compile(r"(?:error|warning) RS0016: Symbol '(.+?)' is not part of the declared public API.*\[(.+?\.csproj)")
removed = re.compile(r"(?:error|warning) RS0017: Symbol '(.+?)' is part of the declared API, but is either not public or could not be found.*\[(.+?\.csproj)")
HEADER = "#nullable enable"

edits = {}  # project directory -> (lines to add, lines to remove)
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    for pattern, index in ((added, 0), (removed, 1)):
        m = pattern.search(line)
        if m:
            edits.setdefault(os.path.dirname(m.group(2)), (set(), set()))[index].add(m.group(1))

def read(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\r\n") for l in f if l.strip()]

changed = 0
for directory, (add, remove) in sorted(edits.items()):
    unshipped_path = os.path.join(directory, "PublicAPI.Unshipped.txt")
    shipped = set(read(os.path.join(directory, "PublicAPI.Shipped.txt")))
    before = read(unshipped_path)
    unshipped = set(l for l in before if l != HEADER)
    for entry in remove:
        if entry in unshipped:
            unshipped.discard(entry)
        elif entry in shipped:
            unshipped.add("*REMOVED*" + entry)
    unshipped |= {entry for entry in add if entry not in shipped}
    after = [HEADER, *sorted(unshipped, key=lambda l: (l.removeprefix("*REMOVED*"), l))]
    if after != before:
        with open(unshipped_path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(after) + "\n")
        changed += 1
        print(f"{os.path.relpath(unshipped_path)}: {len(add)} added, {len(remove)} removed", file=sys.stderr)
print(changed)
PY
}

for pass in 1 2 3 4 5 6; do
  changed=0
  failed=0
  for project in "${projects[@]}"; do
    # TreatWarningsAsErrors=false: another warning must not stop the build before the projects that depend on this
    # one are analysed (the RS00xx rules are errors anyway, from Directory.Build.props).
    status=0
    dotnet build "$project" -nologo -v q -p:TreatWarningsAsErrors=false > "$log" 2>&1 || status=1
    edited="$(apply_diagnostics "$log")"
    changed=$((changed + edited))
    if [ "$status" != "0" ] && [ "$edited" = "0" ]; then
      failed=1
      echo "$project does not build for reasons other than its public API files:" >&2
      grep -E ': (error|warning) ' "$log" | sort -u >&2 || true
    fi
  done

  if [ "$failed" = "1" ]; then
    exit 1
  fi
  if [ "$changed" = "0" ]; then
    echo "The public API files match the surface of: ${projects[*]}"
    exit 0
  fi
done

echo "The public API files did not settle after 6 passes." >&2
exit 1
