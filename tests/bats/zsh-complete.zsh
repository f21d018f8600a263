# zsh -f zsh-complete.zsh DIR LINE: type LINE and TAB into an interactive
# zsh whose completion functions come from DIR (compinit, as a user has
# it), and print the candidates zsh lists, one per line. The docs tests
# use it to see what the zsh completion really offers.
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D; PS1='%% '; LISTMAX=100000"
zpty -w -n z "$2"$'\t\t'
# Read until nothing has come for half a second (at most ten seconds).
out="" quiet=0
for i in {1..100}; do
	if zpty -r -t z chunk 2>/dev/null; then
		out+=$chunk quiet=0
	elif (( ++quiet >= 5 )); then
		break
	else
		sleep 0.1
	fi
done
zpty -d z
# ZC_RAW=FILE keeps what the terminal showed, to debug the parsing below.
[[ -n $ZC_RAW ]] && print -r -- "$out" >"$ZC_RAW"
# The listing comes between the typed line and its redraw: split on
# terminal escapes and carriage returns, keep what lies between the two.
print -r -- "$out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]/\n/g; s/\r/\n/g; s/\x07/\n/g' |
	awk -v line="${2% }" 'index($0, line) { n++; next } n == 1 && NF { print }' |
	tr -s ' \t' '\n\n' | grep -v '^$' | sort -u
