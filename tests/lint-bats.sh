#!/usr/bin/env bash
# lint-bats.sh [FILE...]: reject the shell forms whose failure bats never
# sees. Default: every tests/bats/*.bats and tests/bats/*.bash. Prints
# FILE:LINE: what is wrong, and exits 1 if it found any.
#
# bats fails a test when a command fails under `set -e`. Bash's errexit
# ignores two kinds of failure, wherever they stand:
#   - a pipeline negated with `!`:  `! grep -q x file` never fails a test,
#     except by luck as the very last command. Write `run ! cmd` (bats 1.5),
#     or test the captured output: `[[ "$out" != *x* ]]`.
#   - every command of an `&&` list but the last: `[ a ] && [ b ]` ignores
#     a false `[ a ]`. Write the assertions on lines of their own.
# Loops are no exception, and they are where the damage hides: a loop body
# whose last command is one of these counts only on the loop's last pass,
# because the loop's status is its last command's. Any other failing
# command in a loop body fails the test on the pass where it fails, so a
# loop needs no rule of its own once these two forms are gone.
#
# `if ! cmd`, `while ! cmd`, `[ ! -f x ]` and `[[ ! ... ]]` are conditions,
# not assertions, and are left alone; so is `cmd && break` (or continue,
# return, skip, exit, true, false, a variable assignment, an echo).
set -u
cd "$(dirname "$0")/.." || exit 3
if [ $# -eq 0 ]; then
	set -- tests/bats/*.bats tests/bats/*.bash
fi
awk '
	FNR == 1 { heredoc = "" }
	{
		line = $0
		# Inside a here-document nothing is shell code.
		if (heredoc != "") {
			if (line ~ "^\t*" heredoc "$")
				heredoc = ""
			next
		}
		if (match(line, /<<-?[ ]*["'\'']?[A-Za-z_]+["'\'']?/)) {
			h = substr(line, RSTART, RLENGTH)
			gsub(/[<\-"'\'' ]/, "", h)
			heredoc = h
		}
		# Comments: a whole-line one, or one after whitespace.
		if (line ~ /^[ \t]*#/)
			next
		sub(/[ \t]#[ \t].*$/, "", line)
		sub(/[ \t]#$/, "", line)
		# Quoted text is data: blank it so its words are not read as code.
		gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
		gsub(/'\''[^'\'']*'\''/, "'\'''\''", line)
		# The condition of if, elif, while and until is no assertion: keep
		# only what follows its "then" or "do" on this line.
		if (line ~ /^[ \t]*(if|elif|while|until)[ \t]/) {
			if (!match(line, /;[ \t]*(then|do)([ \t]|$)/))
				next
			line = substr(line, RSTART + RLENGTH)
		}
		# A negated pipeline where a command starts: at the start of the
		# line, or after ; { ( && || do then else.
		if (line ~ /(^|[;{(]|&&|\|\||[ \t](do|then|else))[ \t]*![ \t]/) {
			printf "%s:%d: a \"! cmd\" never fails a bats test: use \"run ! cmd\" or test its output\n", FILENAME, FNR
			bad++
		}
		# An assertion followed by && and another: the first is ignored.
		if (line ~ /(\]|\]\]|grep[^&|;]*|jq[^&|;]*)[ \t]*&&[ \t]*(\[|\[\[|grep|jq|test|!)[ \t]/) {
			printf "%s:%d: in \"A && B\" a failing A never fails a bats test: put each assertion on a line of its own\n", FILENAME, FNR
			bad++
		}
	}
	END { exit bad ? 1 : 0 }
' "$@"
