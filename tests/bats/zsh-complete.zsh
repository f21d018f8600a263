# zsh -f zsh-complete.zsh DIR LINE: type LINE and TAB into an interactive
# zsh whose completion functions come from DIR (compinit, as a user has
# it), and print the candidates zsh lists, one per line. The docs tests
# use it to see what the zsh completion really offers.
#
# The end of the listing is a sentinel, not a quiet period: after the two
# TABs comes a key bound to a widget that redraws (so any pending listing
# is on the screen) and then prints the sentinel. ZLE runs the widgets of
# typed keys in order, so the sentinel can only follow the listing, however
# long compinit or the completion takes. Exits 1 if the sentinel has not come
# within ZC_WAIT seconds (generous: it bounds a hang, not a slow machine).
zmodload zsh/zpty
zmodload zsh/datetime
zpty z 'zsh -f -i'
# The sentinel's text never appears in what the terminal echoes of this
# line: the definition below spells it in two quoted halves.
zpty -w z "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D; PS1='%% '; LISTMAX=100000;"\
" zc-end() { zle -R; print -r -- ZC-''LISTING-DONE; }; zle -N zc-end; bindkey '^Xe' zc-end"
zpty -w -n z "$2"$'\t\t\C-xe'
out="" deadline=$(( EPOCHREALTIME + ${ZC_WAIT:-60} )) done=0
while (( EPOCHREALTIME < deadline )); do
	if zpty -r -t z chunk 2>/dev/null; then
		out+=$chunk
		if [[ $out == *ZC-LISTING-DONE* ]]; then
			done=1
			break
		fi
	else
		sleep 0.05
	fi
done
zpty -d z
# ZC_RAW=FILE keeps what the terminal showed, to debug the parsing below.
[[ -n $ZC_RAW ]] && print -r -- "$out" >"$ZC_RAW"
if (( ! done )); then
	print -u2 -r -- "zsh-complete: no end of listing from zsh within ${ZC_WAIT:-60} s; it showed (the end): ${(q)out[-400,-1]}"
	exit 1
fi
# The listing comes between the typed line and its redraw: split on
# terminal escapes and carriage returns, keep what lies between the two.
print -r -- "${out%%ZC-LISTING-DONE*}" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]/\n/g; s/\r/\n/g; s/\x07/\n/g' |
	awk -v line="${2% }" 'index($0, line) { n++; next } n == 1 && NF { print }' |
	tr -s ' \t' '\n\n' | grep -v '^$' | sort -u
