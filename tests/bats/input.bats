#!/usr/bin/env bats
# Bad input — topology files and command lines — exits 2 with a message that
# names the field and the value, and builds nothing.

LAB=ppt-input

setup_file() { load helpers; lab_cleanup; }
teardown_file() { load helpers; lab_cleanup; }
setup() { load helpers; }

nothing_built() {
	[ -z "$(lab_leftovers $LAB)" ]
}

@test "every bad topology file exits 2, names the JSON path, the value and the problem, builds nothing" {
	n=0
	while IFS=$'\t' read -r file path msg value; do
		[[ -z "$file" || "$file" == \#* ]] && continue
		run "$PODPATH" --lab $LAB setup -f "$TOPOS/bad/$file"
		echo "$file: status=$status: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"topology $TOPOS/bad/$file: "* ]]
		[[ -z "$path" || "$output" == *"$path"* ]]
		[[ "$output" == *"$msg"* ]]
		[[ -z "$value" || "$output" == *"$value"* ]]
		nothing_built
		n=$((n + 1))
	done <"$TOPOS/bad/expect.tsv"
	echo "checked $n files"
	[ "$n" -ge 15 ]
}

@test "a syntax error reports its line and column" {
	printf '{\n  "nodes": [\n    {"name": "a",}\n  ]\n}\n' >"$BATS_TEST_TMPDIR/t.json"
	run "$PODPATH" --lab $LAB setup -f "$BATS_TEST_TMPDIR/t.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 3 column"* ]]
	nothing_built
}

@test "the offending value is quoted in the message" {
	printf '{"nodes":[{"name":"node-1"}],"pods":[{"name":"x","node":"node-9","containers":[{"name":"c"}]}]}' >"$BATS_TEST_TMPDIR/t.json"
	run "$PODPATH" --lab $LAB setup -f "$BATS_TEST_TMPDIR/t.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *'.pods[0].node: "node-9": no such node'* ]]
	nothing_built
}

@test "every good topology file builds: a namespace for each of its nodes and pods" {
	for f in "$TOPOS"/good/*.json; do
		run "$PODPATH" --lab $LAB setup -f "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
		# ip netns list agrees: every node and pod the file names is there.
		have=$(ip netns list | awk '{print $1}')
		for ns in $(jq -r '(.nodes // [])[] | "node_\(.name)"' "$f") \
			$(jq -r '(.pods // [])[] | "pod_\(.namespace // "default")_\(.name)"' "$f"); do
			grep -qx "${LAB}_$ns" <<<"$have"
		done
		run "$PODPATH" --lab $LAB teardown
		[ "$status" -eq 0 ]
		nothing_built
	done
}

@test "Ingress hosts of 253 characters are served over HTTP and HTTPS" {
	h1=$(printf 'a%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'c%.0s' {1..63}).$(printf 'd%.0s' {1..56}).test
	h2=$(printf 's%.0s' {1..63}).$(printf 't%.0s' {1..63}).$(printf 'u%.0s' {1..63}).$(printf 'v%.0s' {1..56}).test
	[ ${#h1} -eq 253 ]
	[ ${#h2} -eq 253 ]
	run "$PODPATH" --lab $LAB setup -f "$TOPOS/good/ingress-long-host.json"
	echo "$output"
	[ "$status" -eq 0 ]
	run "$PODPATH" --lab $LAB exec internet/laptop -- curl -s -m 3 "http://$h1/"
	echo "$output"
	[[ "$output" == "pod=default/web "* ]]
	run "$PODPATH" --lab $LAB exec internet/laptop -- curl -s -m 3 \
		--cacert "/run/podpath/$LAB/ca.pem" "https://$h2/"
	echo "$output"
	[[ "$output" == "pod=default/web "* ]]
	run "$PODPATH" --lab $LAB teardown
	[ "$status" -eq 0 ]
	nothing_built
}

# Kubernetes allows 63-character namespaces and Service names: kube-proxy's
# chain names and comments must still fit what nf_tables takes.
@test "names at Kubernetes' maximum build in both proxy modes, comments cut as kube-proxy cuts them" {
	node=$(printf 'a%.0s' {1..63})
	for mode in nftables iptables; do
		run "$PODPATH" --lab $LAB setup -f "$TOPOS/good/long-names.json" --proxy-mode $mode
		echo "$mode: $output"
		[ "$status" -eq 0 ]
		# Each layout read with its own tool: iptables keeps a comment in
		# its xt comment match, which nft does not print.
		if [ $mode = nftables ]; then
			rules=$(ip netns exec "${LAB}_node_$node" nft list ruleset)
			longest=$(grep -o 'comment "[^"]*"' <<<"$rules" | awk '{ print length($0) - 10 }' | sort -n | tail -1)
		else
			longest=$(ip netns exec "${LAB}_node_$node" iptables-save |
				perl -ne 'while (/--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/g) { print length($1 // $2), "\n" }' |
				sort -n | tail -1)
		fi
		echo "$mode: longest comment $longest"
		if [ $mode = nftables ]; then
			[ "$longest" -eq 128 ]
		else
			[ "$longest" -gt 128 ]	# iptables keeps "ns/name:port ..." whole
		fi
		run "$PODPATH" --lab $LAB teardown
		[ "$status" -eq 0 ]
		nothing_built
	done
}

@test "a topology on stdin (-f -) works" {
	run bash -c "'$PODPATH' --lab $LAB setup -f - <'$TOPOS/bad/unknown-node.json'"
	[ "$status" -eq 2 ]
	[[ "$output" == *"topology -: .pods[0].node"* ]]
}

@test "a topology past 64 MiB is refused unread to the end, from a pipe too" {
	run bash -c "head -c 70000000 /dev/zero | '$PODPATH' --lab $LAB setup -f -"
	[ "$status" -eq 2 ]
	[[ "$output" == *"topology -: larger than 64 MiB"* ]]
	nothing_built
}

# One bad command line per row: arguments, then what the message must contain.
@test "bad command lines exit 2 with a message naming the option and value" {
	cases=(
		'setup --nodes 0 --pods-per-node 1|--nodes "0"'
		'setup --nodes abc --pods-per-node 1|--nodes "abc"'
		'setup --nodes 300 --pods-per-node 1|--nodes "300"'
		'setup --nodes 2 --pods-per-node -1|--pods-per-node "-1"'
		'setup --nodes 2|go together'
		'setup --pods-per-node 2|go together'
		'setup --nodes 2 --pods-per-node 100000|--pods-per-node'
		'setup --network flat|--network "flat"'
		'setup --proxy-mode ipvs|--proxy-mode "ipvs": not supported by podpath'
		'setup --nodes 1 --pods-per-node 1 --services x|--services "x"'
		'setup --services 2|use it with --nodes'
		'setup --bogus|unknown option "--bogus"'
		'setup -f|needs a value'
		'setup -f /nonexistent/topo.json|/nonexistent/topo.json'
		'setup -f /dev/zero|topology /dev/zero: larger than 64 MiB, the most podpath reads'
		'setup -f x.json --nodes 1 --pods-per-node 1|exclude each other'
		'setup extra|unexpected argument "extra"'
		'teardown --force|unknown option "--force"'
		'status --yaml|unknown option "--yaml"'
		'exec|missing TARGET'
		'exec default/client|missing the command'
		'exec default/client -x|unknown option "-x"'
		'frobnicate|unknown command "frobnicate"'
		'help frobnicate|unknown command "frobnicate"'
		'--bogus status|unknown option "--bogus"'
	)
	for c in "${cases[@]}"; do
		args=${c%%|*} want=${c#*|}
		run "$PODPATH" --lab $LAB $args
		echo "podpath $args -> $status: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$want"* ]]
		nothing_built
	done
}

@test "an invalid lab name exits 2 and names it" {
	for name in 'Bad' 'a_b' '-x' 'x-' 'averyveryverylongnamethatistoolong'; do
		run "$PODPATH" --lab "$name" setup
		echo "$name: $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--lab \"$name\""* ]]
	done
	[ -z "$(ip netns list | grep -E '^(Bad|a_b|-x|x-)_' || true)" ]
}

@test "errors in JSON mode are one JSON document on stdout" {
	run "$PODPATH" --lab $LAB -j setup --network flat
	[ "$status" -eq 2 ]
	jq -e '.error.message | test("--network")' <<<"$output"
	jq -e '.error.exit == 2' <<<"$output"
}

@test "a missing lab is reported, not crashed on (exit 1)" {
	run "$PODPATH" --lab $LAB status
	[ "$status" -eq 1 ]
	[[ "$output" == *"lab \"$LAB\" does not exist"* ]]
	run "$PODPATH" --lab $LAB exec default/client -- true
	[ "$status" -eq 1 ]
}
