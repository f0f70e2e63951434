# Balloon round trip, with $shrink_kib set by the test: the host asks for
# that much less at XENBED-MARK filled, and for all of it again at
# XENBED-MARK down.  What the guest sees is reported as it goes.
info=/sys/devices/system/xen_memory/xen_memory0/info
current_kb() { cat $info/current_kb; }
memtotal_kb() { awk '/^MemTotal:/ { print $2 }' /proc/meminfo; }
wait_current_kb() {
    i=0
    while [ "$(current_kb)" != "$1" ] && [ $i -lt 1200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

start=$(current_kb)
echo "XENBED-RESULT balloon-start-kb $start"
echo "XENBED-RESULT memtotal-start-kb $(memtotal_kb)"

# Memory in use throughout: 64 MiB the guest checks afterwards.  Then 512
# MiB written and freed again: free pages the host has memory behind.
mkdir -p /fill
mount -t tmpfs -o size=90% tmpfs /fill
dd if=/dev/urandom of=/fill/keep bs=1M count=64 2>/dev/null
keep=$(sha256sum /fill/keep | cut -d' ' -f1)
dd if=/dev/zero of=/fill/scratch bs=1M count=512 2>/dev/null
rm /fill/scratch
echo "XENBED-MARK filled"

wait_current_kb $((start - shrink_kib))
echo "XENBED-RESULT balloon-down-kb $(current_kb)"
echo "XENBED-RESULT memtotal-down-kb $(memtotal_kb)"
echo "XENBED-MARK down"

wait_current_kb $start
echo "XENBED-RESULT balloon-up-kb $(current_kb)"
echo "XENBED-RESULT memtotal-up-kb $(memtotal_kb)"
[ "$(sha256sum /fill/keep | cut -d' ' -f1)" = "$keep" ] &&
    echo "XENBED-RESULT keep-intact yes" ||
    echo "XENBED-RESULT keep-intact no"
