# The netif tests' shell functions, after guest.NET_SETUP ($nic), with the
# host's HTTP server at $url; then the blob, and its hex copy to upload.
# netif_facts PREFIX reports queues, interrupt lines (name and count
# summed over CPUs) and the vif's xenstore keys.
netif_facts() {
    echo "XENBED-RESULT ${1}txq $(ls -d /sys/class/net/$nic/queues/tx-* | wc -l)"
    echo "XENBED-RESULT ${1}rxq $(ls -d /sys/class/net/$nic/queues/rx-* | wc -l)"
    awk -v p="$1" '$NF ~ /^vif[0-9]+-q[0-9]+-(tx|rx)$/ || $NF == "'$nic'" {
        s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
        print "XENBED-RESULT " p "irq:" $NF " " s }' /proc/interrupts
    for k in multi-queue-num-queues event-channel event-channel-tx \
             queue-0/event-channel queue-0/event-channel-tx \
             feature-sg feature-gso-tcpv4; do
        xs device/vif/0/$k 2>/dev/null |
            sed "s|^device/vif/0/|XENBED-RESULT ${1}fe:|; s/=/ /"
    done
    backend=$(xs device/vif/0/backend | cut -d= -f2)
    for k in multi-queue-max-queues feature-split-event-channels feature-sg \
             feature-gso-tcpv4 feature-gso-tcpv6 feature-ipv6-csum-offload; do
        xs $backend/$k 2>/dev/null |
            sed "s|^$backend/|XENBED-RESULT ${1}be:|; s/=/ /"
    done
}
# vif_bind DEV: bind netfront to xenbus device DEV, wait for its NIC and
# set it up again as $nic, 10.0.2.15.
vif_bind() {
    echo $1 > /sys/bus/xen/drivers/vif/bind
    n=0
    while [ $n -lt 50 ] && ! ls /sys/class/net | grep -qv '^lo$'; do
        sleep 0.1; n=$((n + 1))
    done
    nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    ip link set "$nic" up
    ip addr add 10.0.2.15/24 dev "$nic"
    ip route add default via 10.0.2.2
}
# flows PREFIX N: N parallel downloads of the blob, hashed as they come,
# and N parallel uploads of /tmp/up; the host answers each upload with its
# sha256.
flows() {
    i=0; pids=""
    while [ $i -lt $2 ]; do
        (set -o pipefail; wget -q -O - $url/blob | sha256sum > /tmp/dl-$i) &
        pids="$pids $!"
        wget -q -O /tmp/ul-$i --post-file /tmp/up $url/upload &
        pids="$pids $!"
        i=$((i + 1))
    done
    failed=0
    for p in $pids; do wait $p || failed=$((failed + 1)); done
    echo "XENBED-RESULT ${1}wget-failed $failed"
    echo "XENBED-RESULT ${1}dl $(cat /tmp/dl-* | cut -d' ' -f1 | sort |
        uniq -c | tr -s ' ' | tr '\n' ';')"
    echo "XENBED-RESULT ${1}ul $(cat /tmp/ul-* | cut -d' ' -f1 | sort |
        uniq -c | tr -s ' ' | tr '\n' ';')"
    rm -f /tmp/dl-* /tmp/ul-*
}
# device_stats PREFIX: the backend's per-queue counters, query-xen-net's
# reply for the device as one line of JSON.
device_stats() {
    echo "XENBED-RESULT ${1}xen-net $(wget -q -O - $url/stats)"
}
wget -q -O /tmp/blob $url/blob
echo "XENBED-RESULT blob-sha256 $(sha256sum < /tmp/blob | cut -d' ' -f1)"
# busybox wget posts a file as a C string: upload the blob in hex.
od -An -v -tx1 /tmp/blob | tr -d ' 
' > /tmp/up
echo "XENBED-RESULT up-sha256 $(sha256sum < /tmp/up | cut -d' ' -f1)"
echo "XENBED-RESULT up-bytes $(wc -c < /tmp/up)"
