# vCPUs 1-3 go offline and online, at least three times and until the
# download of $url into /tmp/big is over.
wget -q -O /tmp/big "$url" &
pid=$!
cycles=0
while kill -0 $pid 2>/dev/null || [ $cycles -lt 3 ]; do
    for c in 1 2 3; do echo 0 > /sys/devices/system/cpu/cpu$c/online; done
    for c in 1 2 3; do echo 1 > /sys/devices/system/cpu/cpu$c/online; done
    cycles=$((cycles + 1))
done
wait $pid
echo "XENBED-RESULT cycles $cycles"
echo "XENBED-RESULT big-sha256 $(sha256sum /tmp/big | cut -d' ' -f1)"
