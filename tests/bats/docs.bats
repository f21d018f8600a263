#!/usr/bin/env bats
# The dispatch table (as --help prints it), the man page and the completion
# list the same commands and options.

setup() { load helpers; ROOT=$BATS_TEST_DIRNAME/../..; }

commands() { "$PODPATH" --help | awk '/^commands:/ {on=1; next} /^$/ {on=0} on {print $1}'; }
options_of() { "$PODPATH" help "$1" | grep -o -- '--[a-z][a-z-]*' | sort -u; }

@test "help, man page and bash completion list the same commands" {
	cmds=$(commands)
	[ -n "$cmds" ]
	for c in $cmds; do
		echo "command $c"
		grep -q "^\.B $c\b" "$ROOT/docs/podpath.8"
		grep -q "\b$c\b" <(grep 'compgen -W "setup' "$ROOT/completions/podpath.bash")
	done
	# and nothing more in the completion's command list
	for c in $(grep -o 'compgen -W "setup[^"]*"' "$ROOT/completions/podpath.bash" | head -1 | tr -d '"' | cut -d' ' -f3-); do
		[[ "$c" == -* ]] || grep -qx "$c" <<<"$cmds"
	done
}

@test "every option of every command is in the man page and the completion" {
	for c in $(commands); do
		for o in $(options_of "$c"); do
			[ "$o" = --help ] && continue
			echo "$c $o"
			grep -q -- "$(sed 's/-/\\\\-/g' <<<"$o")" "$ROOT/docs/podpath.8"
			grep -q -- "$o" "$ROOT/completions/podpath.bash"
		done
	done
}

@test "--version and per-command --help exit 0" {
	run "$PODPATH" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "podpath "[0-9]* ]]
	for c in $(commands); do
		run "$PODPATH" "$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: podpath $c"* ]]
	done
}
