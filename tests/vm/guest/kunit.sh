# kunit: gph's KUnit suites, run in the guest by loading gph_kunit.ko after
# gph.ko; each KUnit case becomes one TAP test point here.
. ./tests/lib.sh
suites="gph_states gph_essa gph_table gph_registry gph_discard_fault gph_volatile_release gph_read_batch gph_volatile_mapping gph_large_folio gph_lookup"

modprobe kunit 2>/tmp/kunit.err || { echo "Bail out! cannot load kunit.ko: $(cat /tmp/kunit.err)"; exit 1; }
load_gph || { echo "Bail out! cannot load gph.ko"; exit 1; }
insmod "$GPH/gph_kunit.ko" || { echo "Bail out! cannot load gph_kunit.ko"; exit 1; }

: >/tmp/cases
for s in $suites; do
	r=/sys/kernel/debug/kunit/$s/results
	if [ ! -r "$r" ]; then
		echo "not ok 0 $s # suite did not run" >>/tmp/cases
		continue
	fi
	# Case lines are indented four spaces in the suite's KTAP.
	grep -E '^    (not )?ok [0-9]+ ' "$r" | sed "s/^    //; s/^\(\(not \)\{0,1\}ok\) [0-9]* /\1 $s./" >>/tmp/cases
	grep -E '^    #' "$r" | sed 's/^    //' >>/tmp/diag
done
plan "$(wc -l </tmp/cases)"
n=0
while read -r line; do
	n=$((n + 1))
	case $line in
	"not ok"*) echo "not ok $n - ${line#not ok }" ;;
	*) echo "ok $n - ${line#ok }" ;;
	esac
done </tmp/cases
cat /tmp/diag 2>/dev/null
rmmod gph_kunit
unload_gph
