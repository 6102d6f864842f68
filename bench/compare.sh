#!/usr/bin/env bash
# Compares a benchmark results file with the committed baseline: for every
# metric in both, the change in percent and whether it is a regression
# (worse by the threshold or more in its "better" direction). Metrics in
# only one file are listed, never fatal. Report-only unless --strict, since
# timings on shared machines are noisy. See docs/BENCHMARKS.md.
#
# usage: bench/compare.sh [--strict] [--threshold PCT] [BASELINE [RESULTS]]
#        defaults: bench/baseline.json build/bench/results.json, 5 percent
# exit:  0 no regression (or not --strict); 1 regression with --strict;
#        2 usage error or a missing file
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
strict=0 threshold=5 files=()
while [ $# -gt 0 ]; do
    case "$1" in
        --strict) strict=1; shift ;;
        --threshold) threshold=${2:?}; shift 2 ;;
        -h|--help) sed -n '8,11p' "$0"; exit 0 ;;
        -*) echo "compare: unknown option '$1'" >&2; exit 2 ;;
        *) files+=("$1"); shift ;;
    esac
done
[[ $threshold =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "compare: bad --threshold '$threshold'" >&2; exit 2; }
[ ${#files[@]} -le 2 ] || { echo "compare: at most two files" >&2; exit 2; }
base=${files[0]:-$root/bench/baseline.json}
now=${files[1]:-$root/build/bench/results.json}
for f in "$base" "$now"; do
    [ -s "$f" ] || { echo "compare: no such file, or empty: $f" >&2; exit 2; }
done

# Each result object sits on one line, so awk reads them without a JSON
# library: name, value and better are pulled out of lines holding "name".
awk -v threshold="$threshold" -v strict="$strict" '
function str_field(line, key,    s) {
    if (!match(line, "\"" key "\": *\"[^\"]*\"")) return ""
    s = substr(line, RSTART, RLENGTH)
    sub(/^"[^"]*": *"/, "", s)
    sub(/"$/, "", s)
    return s
}
function num_field(line, key,    s) {
    if (!match(line, "\"" key "\": *-?[0-9][0-9.eE+-]*")) return ""
    s = substr(line, RSTART, RLENGTH)
    sub(/^"[^"]*": */, "", s)
    return s
}
FNR == 1 { fileno++ }
/"name":/ {
    name = str_field($0, "name")
    value = num_field($0, "value")
    if (name == "" || value == "") next
    if (fileno == 1) {
        if (!(name in bval)) border[++nb] = name
        bval[name] = value
        bbetter[name] = str_field($0, "better")
    } else {
        if (!(name in nval)) norder[++nn] = name
        nval[name] = value
        nunit[name] = str_field($0, "unit")
    }
}
END {
    printf "%-44s %14s %14s %9s  %s\n", "metric", "baseline", "now", "change", "verdict"
    regressions = 0
    for (i = 1; i <= nn; i++) {
        name = norder[i]
        if (!(name in bval)) {
            printf "%-44s %14s %14s %9s  %s\n", name, "-", nval[name], "-", "new (not in baseline)"
            continue
        }
        b = bval[name] + 0; v = nval[name] + 0
        if (b == 0) {
            printf "%-44s %14s %14s %9s  %s\n", name, bval[name], nval[name], "-", (v == 0 ? "same" : "baseline is 0")
            continue
        }
        change = (v - b) / b * 100
        worse = (bbetter[name] == "higher") ? -change : change
        verdict = "ok"
        if (worse >= threshold) { verdict = "REGRESSION"; regressions++ }
        else if (worse <= -threshold) verdict = "improved"
        printf "%-44s %14s %14s %+8.1f%%  %s\n", name, bval[name], nval[name], change, verdict
    }
    for (i = 1; i <= nb; i++)
        if (!(border[i] in nval))
            printf "%-44s %14s %14s %9s  %s\n", border[i], bval[border[i]], "-", "-", "missing now"
    printf "%d regression(s) of %s%% or more%s\n", regressions, threshold, \
           (strict ? "" : " (report only; --strict makes them fatal)")
    exit (strict && regressions > 0) ? 1 : 0
}' "$base" "$now"
