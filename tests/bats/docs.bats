#!/usr/bin/env bats
# The dispatch table (as --help prints it), the man page and the completion
# list the same commands and options.

setup() { load helpers; ROOT=$BATS_TEST_DIRNAME/../..; }

# The completion test builds a lab of its own; never leave it behind.
teardown_file() { load helpers; lab_cleanup pp-bats-docs; lab_cleanup pp-bats-docs-np; lab_cleanup pp-bats-docs-in; }

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

@test "with -j, --version, help and a missing command are JSON too, wherever -j stands" {
	for args in "-j --version" "--version -j"; do
		run "$PODPATH" $args
		[ "$status" -eq 0 ]
		jq -e '.version | test("^[0-9]")' <<<"$output"
	done
	# help -j lists the same commands as the text help
	run "$PODPATH" -j help
	[ "$(jq -r '[.commands[].name] | join(" ")' <<<"$output")" = "$(commands | tr '\n' ' ' | sed 's/ $//')" ]
	run "$PODPATH" -j trace --help
	jq -e '.command == "trace" and (.usage | test("--timeout"))' <<<"$output"
	run "$PODPATH" -j
	[ "$status" -eq 2 ]
	jq -e '.error.exit == 2' <<<"$output"
}

@test "every command has its own man page naming each of its options" {
	for c in $(commands); do
		[ -f "$ROOT/docs/podpath-$c.8" ]
		grep -q "^\.B $c\$" "$ROOT/docs/podpath-$c.8"
		for o in $(options_of "$c"); do
			[ "$o" = --help ] && continue
			echo "podpath-$c.8 $o"
			grep -q -- "$(sed 's/-/\\\\-/g' <<<"$o")" "$ROOT/docs/podpath-$c.8"
		done
		man -l "$ROOT/docs/podpath-$c.8" >/dev/null 2>&1
	done
}

@test "zsh and fish completions list every command, option and explain topic, and parse" {
	zsh -n "$ROOT/completions/_podpath"
	fish -n "$ROOT/completions/podpath.fish"
	bash -n "$ROOT/completions/podpath.bash"
	for c in $(commands); do
		grep -q "\b$c\b" "$ROOT/completions/_podpath"
		grep -q "\b$c\b" "$ROOT/completions/podpath.fish"
		for o in $(options_of "$c"); do
			[ "$o" = --help ] && continue
			echo "$c $o"
			grep -q -- "$o" "$ROOT/completions/_podpath"
			grep -q -- "-l ${o#--}\b" "$ROOT/completions/podpath.fish"
		done
	done
	for t in $("$PODPATH" explain --list | awk '{print $1}'); do
		for f in podpath.bash _podpath podpath.fish; do
			grep -q "\b$t\b" "$ROOT/completions/$f"
		done
	done
}

@test "completions offer the live lab's pods, nodes, internet hosts and Services" {
	lab=pp-bats-docs
	lab_cleanup $lab
	"$PODPATH" --lab $lab setup >/dev/null
	PATH="$ROOT:$PATH"
	want="default/client default/web-1 default/web-2 kube-system/coredns ingress-nginx/controller default/api-1 node/node-1 node/node-2 internet/example.com internet/laptop internet/dns "
	got=$(bash -c "source $ROOT/completions/podpath.bash 2>/dev/null; _podpath_objects --lab $lab" | tr '\n' ' ')
	got_fish=$(fish -c "source $ROOT/completions/podpath.fish; function podpath; command podpath --lab $lab \$argv; end; __podpath_objects" | tr '\n' ' ')
	# Services are offered where a destination goes, from the lab --lab names
	want_svc="svc/default/api svc/default/web svc/ingress-nginx/ingress-nginx-controller svc/kube-system/kube-dns "
	got_svc=$(bash -c "source $ROOT/completions/podpath.bash 2>/dev/null; _podpath_services --lab $lab" | sort | tr '\n' ' ')
	got_svc_fish=$(fish -c "source $ROOT/completions/podpath.fish; complete -C 'podpath --lab $lab trace default/client svc/'" | sort | tr '\n' ' ')
	got_none_fish=$(fish -c "source $ROOT/completions/podpath.fish; complete -C 'podpath --lab no-such-lab trace default/client svc/'")
	# ...and never where the source goes (bash's TAB, its helpers stubbed:
	# bash-completion's _init_completion sets these four)
	stub='_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }'
	tab() { bash -c "$stub; source $ROOT/completions/podpath.bash; COMP_WORDS=($1); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _podpath; printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -v '^$' | sort | tr '\n' ' '; }
	got_svc_bash_tab=$(tab "podpath --lab $lab trace -p tcp default/client svc/")
	got_src_bash_tab=$(tab "podpath --lab $lab trace svc/")
	got_src_fish=$(fish -c "source $ROOT/completions/podpath.fish; complete -C 'podpath --lab $lab trace svc/'")
	# zsh: what an interactive shell lists at TAB (zpty), not the functions.
	# Each listing is read to its end (zsh-complete.zsh's sentinel), and a
	# reader that never saw the end fails here, not as an empty listing.
	zc() { zsh -f "$BATS_TEST_DIRNAME/zsh-complete.zsh" "$ROOT/completions" "$1" >"$BATS_TEST_TMPDIR/zc"; }
	zc "podpath --lab $lab exec "
	got_zsh=$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/zc")
	zc "podpath --lab $lab trace default/client svc/"
	got_zsh_svc=$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/zc")
	zc "podpath --lab no-such-lab trace default/client svc/"
	got_none_zsh=$(cat "$BATS_TEST_TMPDIR/zc")
	zc "podpath --lab $lab trace svc/"
	got_src_zsh=$(cat "$BATS_TEST_TMPDIR/zc")
	lab_cleanup $lab
	[ "$got" = "$want" ]
	[ "$got_fish" = "$want" ]
	[ "$got_svc" = "$want_svc" ]
	[ "$got_svc_fish" = "$want_svc" ]
	[ -z "$got_none_fish" ]
	[ "$got_svc_bash_tab" = "$want_svc" ]
	[ -z "$got_src_bash_tab" ]
	[ -z "$got_src_fish" ]
	[ "$got_zsh" = "$(tr ' ' '\n' <<<"$want" | grep -v '^$' | sort | tr '\n' ' ')" ]
	[ "$got_zsh_svc" = "$want_svc" ]
	[ -z "$got_none_zsh" ]
	[ -z "$got_src_zsh" ]
}

# A man page as man shows it, one paragraph a line (no hyphenation at a
# line's end can split a word).
man_text() { MANWIDTH=4000 man -l "$1" 2>/dev/null | col -b; }

# What each shell offers at TAB after LINE (ending in a space), one a line,
# sorted, options left out.
tab_bash() {
	local stub='_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }'
	bash -c "$stub; source $ROOT/completions/podpath.bash; COMP_WORDS=($1 ''); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _podpath; printf '%s\n' \"\${COMPREPLY[@]}\"" |
		grep -v -e '^$' -e '^-' | sort
}
tab_zsh() { zsh -f "$BATS_TEST_DIRNAME/zsh-complete.zsh" "$ROOT/completions" "$1 " | grep -v -e '^$' -e '^-' | sort; }
tab_fish() { fish -c "source $ROOT/completions/podpath.fish; complete -C '$1 '" | cut -f1 | grep -v -e '^$' -e '^-' | sort; }

@test "every explain topic and every break fault is in its man page and offered at TAB by bash, zsh and fish" {
	PATH="$ROOT:$PATH"
	topics=$("$PODPATH" explain --list | awk '{print $1}' | sort)
	faults=$("$PODPATH" -j break --list | jq -r '.faults[].name' | sort)
	# the NetworkPolicy topic and fault are among them
	grep -qx network-policy <<<"$topics"
	grep -qx policy-denies <<<"$faults"
	explain8=$(man_text "$ROOT/docs/podpath-explain.8")
	break8=$(man_text "$ROOT/docs/podpath-break.8")
	for t in $topics; do
		echo "topic $t"
		grep -qw -- "$t" <<<"$explain8"
	done
	for f in $faults; do
		echo "fault $f"
		grep -qw -- "$f" <<<"$break8"
	done
	# the topic's own paragraph and the fault's own entry, not a mention
	grep -q '^ *network-policy teaches NetworkPolicy' <<<"$explain8"
	grep -q '^ *policy-denies (pod, any)$' <<<"$break8"
	for sh in bash zsh fish; do
		echo "$sh: explain"
		[ "$(tab_$sh "podpath explain")" = "$topics" ]
		echo "$sh: break"
		[ "$(tab_$sh "podpath break")" = "$faults" ]
	done
}

@test "podpath-status(8) names every column of the policy table and every field status -j gives policies and namespaces" {
	lab=pp-bats-docs-np
	lab_cleanup $lab
	"$PODPATH" --lab $lab setup -f "$ROOT/docs/examples/network-policy.json" >/dev/null
	text=$("$PODPATH" --lab $lab status)
	json=$("$PODPATH" --lab $lab -j status)
	lab_cleanup $lab
	status8=$(man_text "$ROOT/docs/podpath-status.8")
	cols=$(grep -E '^NAMESPACE +POLICY ' <<<"$text")
	echo "$cols"
	[ "$(wc -w <<<"$cols")" -eq 8 ]
	for c in $cols; do
		[ "$c" = NAMESPACE ] && continue
		echo "column $c"
		grep -qw -- "$c" <<<"$status8"
	done
	fields=$(jq -r '(.networkPolicies[0], .networkPolicies[0].isolates, .networkPolicies[0].rules,
		.namespaces[0]) | keys[]' <<<"$json" | sort -u)
	[ "$(wc -l <<<"$fields")" -ge 11 ]
	for k in $fields; do
		echo "field $k"
		grep -qw -- "$k" <<<"$status8"
	done
	# every policy's selected pods, by name, in the SELECTS column
	while IFS=$'\t' read -r ns name pods; do
		grep -qE "^$ns +$name +.* $pods\$" <<<"$text"
	done < <(jq -r '.networkPolicies[] | [.namespace, .name, ([.selects[] | sub("^[^/]*/"; "")] | join(","))] | @tsv' <<<"$json")
}

@test "make install puts the policy example where the installed explain network-policy points, with the man pages and completions that name it" {
	dest=$BATS_TEST_TMPDIR/dest
	# -o podpath: install what is built, never relink the binary other
	# tests are running.
	make -s -C "$ROOT" -o podpath install DESTDIR="$dest" PREFIX=/usr/local >/dev/null
	pfx=$dest/usr/local
	cmp "$ROOT/docs/examples/network-policy.json" "$pfx/share/doc/podpath/examples/network-policy.json"
	man_text "$pfx/share/man/man8/podpath-explain.8" | grep -q '^ *network-policy teaches NetworkPolicy'
	man_text "$pfx/share/man/man8/podpath-break.8" | grep -q '^ *policy-denies (pod, any)$'
	grep -qw policy-denies "$pfx/share/bash-completion/completions/podpath"
	grep -qw network-policy "$pfx/share/zsh/vendor-completions/_podpath"
	grep -qw network-policy "$pfx/share/fish/vendor_completions.d/podpath.fish"
	# The installed binary, in a lab without policies, points at the
	# installed example by its full path (not at the source tree's).
	lab=pp-bats-docs-in
	lab_cleanup $lab
	"$pfx/sbin/podpath" --lab $lab setup >/dev/null
	run "$pfx/sbin/podpath" --lab $lab -j explain network-policy
	lab_cleanup $lab
	[ "$status" -eq 0 ]
	jq -e --arg f "$pfx/share/doc/podpath/examples/network-policy.json" \
		'.in_this_lab | any(endswith("--lab np setup -f \($f)"))' <<<"$output"
}
