#!/usr/bin/env bash
# The dataset's CI in one script (docs/ci.md of SynthBuild).
# .github/workflows/dataset.yml and azure-pipelines.yml only call its subcommands, so every CI system runs the
# same commands, and so can you:
#
#   bash eng/dataset-ci.sh cache-key [GIT-REF]  key of what determines the samples (the working tree, or GIT-REF)
#   bash eng/dataset-ci.sh build [ARGS...]      dotnet build: generate (incrementally), export, analyse, enforce gates
#   bash eng/dataset-ci.sh compare [BASE-REF]   compare quality with the base branch (default: the pull request's)
#   bash eng/dataset-ci.sh release [VERSION]    dotnet build -t:Release (default: the version tag, v1.2.0 -> 1.2.0)
#
# Results go where the CI system reads them: GitHub Actions ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY), Azure
# Pipelines (##vso logging commands: output variables and an uploaded summary), else standard output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PROJECT=${SYNTH_PROJECT:-}
if [[ -z $PROJECT ]]; then
  shopt -s nullglob; projects=(*.synthproj); shopt -u nullglob
  [[ ${#projects[@]} -eq 1 ]] || { echo "dataset-ci: expected one *.synthproj in $ROOT (or set SYNTH_PROJECT), found ${#projects[@]}" >&2; exit 2; }
  PROJECT=${projects[0]}
fi
PROJECT_DIR=$(dirname "$PROJECT")
NAME=$(basename "$PROJECT" .synthproj)
DATASET=$PROJECT_DIR/bin/dataset
REPORTS=$DATASET/reports
# Paths that never change a sample: CI files, documentation, files the build writes. Everything else that git
# tracks (or would track) is part of the key: the config, the project (its gates too), global.json (the SDK, so the
# engine version), assets. A key that changes too often only costs a cache entry: the build is incremental per
# sample and regenerates only samples whose inputs changed.
KEY_EXCLUDE=${SYNTH_CI_KEY_EXCLUDE:-'^(\.github/|\.azure/|eng/|docs/|releases/|azure-pipelines\.yml$|\.gitignore$|\.gitattributes$|(.*/)?lineage\.jsonl$|.*\.md$)'}
KEY_PREFIX="synth-dataset-v1-${RUNNER_OS:-${AGENT_OS:-$(uname -s)}}-"

# --- where results go -------------------------------------------------------------------------------------------
on_azure() { [[ ${TF_BUILD:-} == [Tt]rue ]]; }

# The summary file of this step: GitHub's, else (Azure) one file per step uploaded with ##vso[task.uploadsummary].
SUMMARY_FILE=${GITHUB_STEP_SUMMARY:-}
if [[ -z $SUMMARY_FILE ]] && on_azure; then
  SUMMARY_FILE=${AGENT_TEMPDIRECTORY:-${TMPDIR:-/tmp}}/dataset-ci-${1:-none}-summary.md
  : > "$SUMMARY_FILE"
  trap 'echo "##vso[task.uploadsummary]$SUMMARY_FILE"' EXIT
fi

summary() { if [[ -n $SUMMARY_FILE ]]; then printf '%s\n' "$@" >> "$SUMMARY_FILE"; else printf '%s\n' "$@"; fi; }

output() { # name value
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; fi
  if on_azure; then echo "##vso[task.setvariable variable=$1;isOutput=true]$2"; echo "##vso[task.setvariable variable=$1]$2"; fi
  echo "dataset-ci: $1=$2"
}

dotnet_build() { # args...: dotnet build with the switches CI wants; the log is kept in $LOG
  LOG=$(mktemp)
  set +e
  # MSBuild tasks append their reports to $GITHUB_STEP_SUMMARY: point it at this step's summary on every CI.
  GITHUB_STEP_SUMMARY=$SUMMARY_FILE dotnet build "$PROJECT" -nologo -v:n -tl:off "$@" 2>&1 | tee "$LOG"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

# Every distinct "error SYNnnnn" of the log as a Markdown table; quality gates (SYN5001) by name.
errors_table() {
  local lines
  lines=$(grep -oE 'error SYN[0-9]{4}: .*' "$LOG" | sed -E 's/ \[[^]]*\]$//' | sort -u || true)
  [[ -n $lines ]] || return 0
  summary "| gate | code | message |" "|---|---|---|"
  while IFS= read -r line; do
    local code=${line#error } message gate=""
    code=${code%%:*}; message=${line#error $code: }
    [[ $message =~ ^Quality\ gate\ \'([^\']+)\' ]] && gate=${BASH_REMATCH[1]}
    summary "| ${gate:-–} | $code | ${message//|/\\|} |"
  done <<< "$lines"
  summary ""
}

# --- cache-key ----------------------------------------------------------------------------------------------------
# "blob-id path" of every input file: of the working tree (tracked or not ignored), or of a commit's tree.
inputs() {
  if [[ -n ${1:-} ]]; then
    git -C "$ROOT" ls-tree -r --full-tree "$1" | awk -F'\t' '{ split($1, a, " "); if (a[2] == "blob") print a[3] "\t" $2 }'
  else
    git -C "$ROOT" ls-files --cached --others --exclude-standard | sort -u | while IFS= read -r f; do
      [[ -f $f ]] && printf '%s\t%s\n' "$(git -C "$ROOT" hash-object -- "$f")" "$f"
    done
  fi | awk -F'\t' -v re="$KEY_EXCLUDE" '$2 !~ re' | LC_ALL=C sort -k2
}

hash_of() { inputs "${1:-}" | sha256sum | cut -c1-32; }
key_of() { echo "$KEY_PREFIX$(hash_of "${1:-}")"; }

# key: the whole cache key; restore_prefix: the prefix of every key (restores the newest dataset of any inputs, which
# the incremental build then brings up to date); hash: the inputs' part alone (Azure's Cache@2 builds its own key).
cmd_cache_key() {
  git -C "$ROOT" rev-parse --git-dir > /dev/null
  local hash
  hash=$(hash_of "${1:-}")
  output key "$KEY_PREFIX$hash"
  output restore_prefix "$KEY_PREFIX"
  output hash "$hash"
}

# --- build --------------------------------------------------------------------------------------------------------
cmd_build() {
  local rc=0
  dotnet_build "$@" || rc=$?
  local generated
  if grep -qE ': up to date \([0-9]+ samples, digest ' "$LOG"; then generated=0
  else generated=$(grep -oE ': [0-9]+ generated, [0-9]+ total' "$LOG" | tail -1 | grep -oE '[0-9]+' | head -1 || true); fi
  output generated "${generated:-unknown}"
  summary "## Dataset build: $NAME" ""
  case ${generated:-} in
    0) summary "♻️ up to date: 0 samples generated (the dataset was restored from the cache, or nothing changed)" "" ;;
    "") summary "no generation line in the log (see the build log)" "" ;;
    *) summary "$generated samples generated (the others were reused)" "" ;;
  esac
  if [[ $rc -ne 0 ]]; then
    if grep -q 'error SYN5001' "$LOG"; then summary "### ❌ Quality gates failed"; else summary "### ❌ The build failed"; fi
    summary ""
    errors_table
  fi
  rm -f "$LOG"
  return "$rc"
}

# --- compare ------------------------------------------------------------------------------------------------------
cmd_compare() {
  local base=${1:-}
  if [[ -z $base ]]; then
    local branch=${GITHUB_BASE_REF:-${SYSTEM_PULLREQUEST_TARGETBRANCH:-}}
    branch=${branch#refs/heads/}
    [[ -n $branch ]] || { echo "dataset-ci compare: no base: pass a git ref, or run in a pull request (GITHUB_BASE_REF / SYSTEM_PULLREQUEST_TARGETBRANCH)" >&2; exit 2; }
    git -C "$ROOT" fetch --no-tags --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch" || true
    base=origin/$branch
  fi
  local commit
  commit=$(git -C "$ROOT" rev-parse --verify --quiet "$base^{commit}") || { echo "dataset-ci compare: unknown git ref '$base'" >&2; exit 2; }
  local compare_to=$base
  if [[ $(key_of "$commit") == "$(key_of)" ]]; then
    # Same inputs, same samples (generation is deterministic): the base's dataset is this one, nothing to build.
    compare_to=$DATASET
    summary "Base \`$base\` (${commit:0:12}) has the same inputs as this build (cache key $(key_of)): compared with this build's dataset, nothing regenerated." ""
  fi
  # SynthCompareReport compares the report the build step wrote (its gates as that step judged them, also when they
  # failed) without building this project again; a git ref is built with gates off (measured, never failing). The
  # tasks' own summary output would add the base's quality report, so this step writes compare.md itself.
  local rc=0
  SUMMARY_FILE='' dotnet_build -t:SynthCompareReport "-p:SynthCompareTo=$compare_to" || rc=$?
  if [[ $rc -eq 0 && -f $REPORTS/compare.md ]]; then
    summary "$(cat "$REPORTS/compare.md")" ""
  else
    summary "### ❌ The comparison with \`$base\` failed" ""
    errors_table
  fi
  rm -f "$LOG"
  return "$rc"
}

# --- release ------------------------------------------------------------------------------------------------------
cmd_release() {
  local version=${1:-}
  if [[ -z $version ]]; then
    local ref=${GITHUB_REF:-${BUILD_SOURCEBRANCH:-}}
    [[ $ref == refs/tags/v* ]] || { echo "dataset-ci release: no version: pass one, or run on a tag vX.Y.Z (ref '$ref')" >&2; exit 2; }
    version=${ref#refs/tags/v}
  fi
  local rc=0
  dotnet_build -t:Release "-p:DatasetVersion=$version" || rc=$?
  local archive
  archive=$(ls "$PROJECT_DIR"/releases/*-"$version".tar.gz 2> /dev/null | head -1 || true)
  if [[ $rc -eq 0 && -n $archive ]]; then
    local tag
    tag=$(grep -oE 'tagged [^ ]+' "$LOG" | tail -1 | cut -d' ' -f2 || true)
    output archive "$archive"
    summary "## Release $NAME $version" "" "- archive: \`$archive\`" "- SHA-256: \`$(cut -d' ' -f1 "$archive.sha256")\`" \
      "- git tag: \`${tag:-?}\` (created in this checkout; push it with \`git push origin ${tag:-TAG}\`)" ""
  else
    summary "### ❌ Release $NAME $version failed" ""
    errors_table
  fi
  rm -f "$LOG"
  return "$rc"
}

case ${1:-} in
  cache-key) shift; cmd_cache_key "$@" ;;
  build) shift; cmd_build "$@" ;;
  compare) shift; cmd_compare "$@" ;;
  release) shift; cmd_release "$@" ;;
  *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
