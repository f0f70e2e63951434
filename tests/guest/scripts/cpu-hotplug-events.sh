# vCPUs 1-3 go offline and online, at least three times and until both
# the loopback event channel ping-pong (evtchn_scale) and the download of
# $url into /tmp/big are over.
evtchn_scale 2000 20000 > /tmp/scale.out 2>&1 &
spid=$!
wget -q -O /tmp/big "$url" &
pid=$!
cycles=0
while kill -0 $pid 2>/dev/null || kill -0 $spid 2>/dev/null ||
      [ $cycles -lt 3 ]; do
    for c in 1 2 3; do echo 0 > /sys/devices/system/cpu/cpu$c/online; done
    for c in 1 2 3; do echo 1 > /sys/devices/system/cpu/cpu$c/online; done
    cycles=$((cycles + 1))
done
wait $pid
wait $spid
cat /tmp/scale.out
echo "XENBED-RESULT cycles $cycles"
echo "XENBED-RESULT big-sha256 $(sha256sum /tmp/big | cut -d' ' -f1)"
