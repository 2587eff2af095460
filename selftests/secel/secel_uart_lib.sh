# SPDX-License-Identifier: GPL-2.0
#
# secel_uart_lib.sh: what secel_uart_test.sh and secel_uart_gp_test.sh
# share, sourced after secel_lib.sh and ktap_plan: finding the uart SE
# and exchanging APDUs with it through $CTL.

check() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "want '$2', got '$3'"; fi
}

# the index of the uart SE, listed (or in state $1)
uart_se() {
	for d in /sys/class/secel/secel*; do
		[ "$(cat "$d/transport" 2>/dev/null)" = uart ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = "${1:-listed}" ] || continue
		echo "${d##*/secel}"
		return 0
	done
	return 1
}
have_se() { uart_se "$@" > /dev/null; }
ses_of_uart() { grep -l '^uart$' /sys/class/secel/secel*/transport 2>/dev/null; }
se_name() { i=$(uart_se) && cat /sys/class/secel/secel"$i"/name; }
# xfer HEX: the response in hex, or "error ENAME" (from secelctl's words)
xfer() {
	n=$(se_name) || { echo "error no-se"; return; }
	out=$(bounded "$CTL" apdu "$n" "$1" 2>&1) && { echo "$out" | tr -d ' '; return; }
	case $out in
	*"out of protocol"*) echo "error EPROTO" ;;
	*"did not answer"*) echo "error ETIMEDOUT" ;;
	*"is gone"*) echo "error ENODEV" ;;
	*"I/O error"*) echo "error EIO" ;;
	*) echo "error $out" ;;
	esac
}
fault() { xfer "805E$1" > /dev/null; }
