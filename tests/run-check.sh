#!/usr/bin/env bash
# run-check.sh: the stages of `make check` after the build, counted. Runs
# the bats lint, every unit program, the fuzz corpus replay and every bats
# test (all of them, whatever fails first), then prints the closing line
#   N passed, N failed
# alone and last (CI reads it), and exits 1 if anything failed. A check that
# could not run (a unit program that did not build, a bats test that never
# ran because its file's setup failed) counts as failed.
#
# MAKE: the make to build with (make check passes its own); BATS_ARGS:
# extra arguments for bats (a filter, say); BATS_FILES: the files to run
# (default: all of tests/bats).
set -u
cd "$(dirname "$0")/.." || exit 3
MAKE=${MAKE:-make}
LOG=build/check
mkdir -p "$LOG"
passed=0 failed=0 skipped=0
failures=()

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

echo "== lint: bats forms that cannot fail"
if tests/lint-bats.sh; then pass; else fail "lint-bats"; fi

echo "== unit tests (ASan+UBSan)"
units=()
for src in tests/unit/test_*.c; do
	t=${src#tests/unit/}
	units+=("build/asan/${t%.c}")
done
if $MAKE -s "${units[@]}"; then
	for u in "${units[@]}"; do
		echo "unit: $u"
		if "$u"; then pass; else fail "$u"; fi
	done
else
	echo "unit: the unit programs did not build" >&2
	for u in "${units[@]}"; do fail "$u (not built)"; done
fi

echo "== fuzz corpus replay"
if $MAKE -s fuzz-check; then pass; else fail "fuzz-check"; fi

echo "== bats"
# TAP, so every test's result is one line: "ok N name", "ok N name # skip
# ...", "not ok N name"; a setup_file or teardown_file that failed is a
# "not ok" of its own. The plan (1..N) counts the tests that should run.
# shellcheck disable=SC2086
bats --formatter tap --print-output-on-failure ${BATS_ARGS:-} ${BATS_FILES:-tests/bats} 2>&1 |
	tee "$LOG/bats.tap"
bats_rc=${PIPESTATUS[0]}
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$LOG/bats.tap" | head -1)
ok=$(grep -cE '^ok [0-9]+ ' "$LOG/bats.tap" | tr -d ' ')
skip=$(grep -cE '^ok [0-9]+ .* # skip' "$LOG/bats.tap" | tr -d ' ')
notok_tests=$(grep -E '^not ok [0-9]+ ' "$LOG/bats.tap" | grep -cvE '^not ok [0-9]+ (setup_file|teardown_file) failed$' | tr -d ' ')
fixtures=$(grep -cE '^not ok [0-9]+ (setup_file|teardown_file) failed$' "$LOG/bats.tap" | tr -d ' ')
ran=$((ok + notok_tests))
unrun=$(( ${plan:-0} > ran ? ${plan:-0} - ran : 0 ))
passed=$((passed + ok - skip))
skipped=$skip
failed=$((failed + notok_tests + fixtures + unrun))
while read -r line; do
	failures+=("bats: ${line#not ok }")
done < <(grep -E '^not ok [0-9]+ ' "$LOG/bats.tap")
[ "$unrun" -eq 0 ] || failures+=("bats: $unrun tests never ran (a setup_file failed?)")
# bats that failed yet reported no failure (a file that does not parse,
# bats itself gone): one failure, never a pass.
if [ "$bats_rc" -ne 0 ] && [ $((notok_tests + fixtures + unrun)) -eq 0 ]; then
	fail "bats exited $bats_rc without a failed test (see $LOG/bats.tap)"
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
[ "$skipped" -eq 0 ] || echo "($skipped bats tests skipped, counted neither way)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
