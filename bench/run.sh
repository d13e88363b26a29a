#!/usr/bin/env bash
# Compares, on each benchmark view (four of bench/views), fhirql's runtime, DuckDB's
# schema-typed read_json (hand-written, bench/duckdb/*.typed.sql) and the
# DuckDB SQL fhirql generates (`fhirql build --target duckdb --query-only`,
# compiled at benchmark time), side by side from one test binary, with 1
# and 2 threads; then all the views as one folder (one fhirql pass against
# DuckDB's typed queries one after another); then the peak RSS of one run
# of all the views over the whole corpus. Works from a fresh clone (needs
# Go and a C compiler for DuckDB).
#
#   bash bench/run.sh                 # 256 MB per type (~1 GB corpus)
#   MB=50 ROUNDS=1 bash bench/run.sh  # quicker
#
# Environment: MB (per type, default 256), CORPUS (default bench/corpus,
# gitignored), ROUNDS (rounds per measurement, default 5; the table shows
# medians), CPUS (default 1,2).
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${MB:-256}
CORPUS=${CORPUS:-bench/corpus}
ROUNDS=${ROUNDS:-5}
CPUS=${CPUS:-1,2}
# MedicationRequest is read by no view: the RSS run validates and counts it.
# Observation's 13 kB source gets many more copies than Patient's; their
# references wrap round to the Patient copies there are (bench/scale).
TYPES=Patient,Condition,Encounter,Observation,MedicationRequest
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

stamp="$CORPUS/.scaled-$MB-$TYPES"
if [ ! -f "$stamp" ]; then
	echo "== building the corpus: $MB MB per type in $CORPUS"
	rm -rf "$CORPUS"
	go run ./bench/cmd/scale -src examples/data -out "$CORPUS" -mb "$MB" -types "$TYPES"
	touch "$stamp"
fi

# One test binary; each round runs fhirql, DuckDB's typed query and the
# generated SQL, each in a process of its own: DuckDB's threads go on
# working (returning memory) after a query, which in a shared process
# slowed the next fhirql measurement and was counted in its CPU time.
echo "== BenchmarkViews, $ROUNDS rounds of fhirql, DuckDB typed, generated DuckDB SQL, each in its own process, -cpu $CPUS"
go test -c -o "$OUT/bench.test" ./bench
export FHIRQL_BENCH_CORPUS="$(cd "$CORPUS" && pwd)"
: > "$OUT/bench.txt"
for round in $(seq "$ROUNDS"); do
	for engine in fhirql duckdb generated; do
		(cd bench && "$OUT/bench.test" -test.run '^$' -test.bench "Views/.*/$engine\$" -test.cpu "$CPUS" \
			-test.benchtime 3x -test.timeout 60m) | grep '^BenchmarkViews' | tee -a "$OUT/bench.txt"
	done
done

echo
echo "== medians (MB/s wall clock; MB/cpu-s = MB per CPU-second, robust on a busy machine)"
echo "   ratio = fhirql / DuckDB typed; gen/typed = generated SQL / DuckDB typed (below 1: slower)"
awk '
/^BenchmarkViews\// {
	split($1, p, "/"); view = p[2]; eng = p[3]; thr = 1
	if (match(eng, /-[0-9]+$/)) { thr = substr(eng, RSTART + 1); eng = substr(eng, 1, RSTART - 1) }
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "MB/s") mbs = $i
		if ($(i + 1) == "MB/cpu-s") cpu = $i
	}
	k = view SUBSEP thr SUBSEP eng
	n[k]++; w[k, n[k]] = mbs; c[k, n[k]] = cpu
	if (!((view, thr) in seen)) { seen[view, thr] = 1; order[++m] = view SUBSEP thr }
}
function median(arr, k, cnt,   i, j, t, v) {
	for (i = 1; i <= cnt; i++) v[i] = arr[k, i] + 0
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
}
END {
	printf "%-22s %3s | %8s %8s %8s | %6s %9s | %12s %12s %12s\n", "view", "thr", "fhirql", "typed", "gen", "ratio", "gen/typed", "fhirql", "typed", "gen"
	printf "%-22s %3s | %26s | %6s %9s | %38s\n", "", "", "MB/s (wall clock)", "", "", "MB/cpu-s"
	for (i = 1; i <= m; i++) {
		split(order[i], q, SUBSEP); view = q[1]; thr = q[2]
		f = view SUBSEP thr SUBSEP "fhirql"; d = view SUBSEP thr SUBSEP "duckdb"; g = view SUBSEP thr SUBSEP "generated"
		fw = median(w, f, n[f]); dw = median(w, d, n[d]); gw = median(w, g, n[g])
		printf "%-22s %3s | %8.0f %8.0f %8.0f | %5.2fx %8.2fx | %12.0f %12.0f %12.0f\n", view, thr, fw, dw, gw,
			(dw > 0 ? fw / dw : 0), (dw > 0 ? gw / dw : 0), median(c, f, n[f]), median(c, d, n[d]), median(c, g, n[g])
	}
}' "$OUT/bench.txt" | tee "$OUT/table.txt"

# All the views as a folder: one fhirql pass over the files they read
# against DuckDB's typed queries run one after another; MB counts each file
# once, so the ratio is that of total wall time and of total CPU time.
echo
echo "== BenchmarkFolder (every view of bench/views at once), $ROUNDS rounds, -cpu 2"
: > "$OUT/folder.txt"
for round in $(seq "$ROUNDS"); do
	for engine in fhirql duckdb; do
		(cd bench && "$OUT/bench.test" -test.run '^$' -test.bench "Folder/.*/$engine\$" -test.cpu 2 \
			-test.benchtime 1x -test.timeout 60m) | grep '^BenchmarkFolder' | tee -a "$OUT/folder.txt"
	done
done
awk '
/^BenchmarkFolder\// {
	split($1, p, "/"); eng = p[3]; sub(/-[0-9]+$/, "", eng); views = p[2]
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "MB/s") mbs = $i
		if ($(i + 1) == "MB/cpu-s") cpu = $i
	}
	n[eng]++; w[eng, n[eng]] = mbs; c[eng, n[eng]] = cpu
}
function median(arr, k, cnt,   i, j, t, v) {
	for (i = 1; i <= cnt; i++) v[i] = arr[k, i] + 0
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
}
END {
	fw = median(w, "fhirql", n["fhirql"]); dw = median(w, "duckdb", n["duckdb"])
	fc = median(c, "fhirql", n["fhirql"]); dc = median(c, "duckdb", n["duckdb"])
	printf "folder (%s): fhirql %.0f MB/s %.0f MB/cpu-s; DuckDB typed, one query per view: %.0f MB/s %.0f MB/cpu-s; ratio %.2fx wall, %.2fx CPU\n",
		views, fw, fc, dw, dc, (dw > 0 ? fw / dw : 0), (dc > 0 ? fc / dc : 0)
}' "$OUT/folder.txt" | tee -a "$OUT/table.txt"

echo
echo "== peak RSS: fhirql run of all the views over the whole corpus ($(du -sh "$CORPUS" | cut -f1)), CSV to $OUT"
go build -o "$OUT/fhirql" ./cmd/fhirql
/usr/bin/time -v "$OUT/fhirql" run bench/views/*.json --input "$CORPUS" --format csv --out "$OUT/rows" 2> "$OUT/time.txt" || {
	cat "$OUT/time.txt"
	exit 1
}
grep -E '^(read|view|  [A-Z])' "$OUT/time.txt" | grep -v '^\s*\(Command\|User\|System\|Percent\|Elapsed\|Average\|Exit\|Socket\|Signals\|Swaps\|File\|Page\|Voluntary\|Involuntary\|Major\|Minor\|Maximum\)' || true
grep -E 'Elapsed|Maximum resident' "$OUT/time.txt"
