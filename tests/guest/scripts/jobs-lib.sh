# Guest shell functions every step of a job may use; $URL is the blob.
net_up() {
    nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    [ -n "$nic" ] || { echo "XENBED-RESULT error no NIC"; return 1; }
    echo "XENBED-RESULT nic $nic"
    echo "XENBED-RESULT nic-driver $(basename $(readlink /sys/class/net/$nic/device/driver))"
    ip link set "$nic" up
    ip addr add 10.0.2.15/24 dev "$nic" 2>/dev/null || true
    ip route add default via 10.0.2.2 2>/dev/null || true
}
tx_queues() {
    ls -d /sys/class/net/$nic/queues/tx-* | wc -l
}
# queues N: netfront bound with N queues (unbind, max_queues, bind again).
queues() {
    net_up
    [ "$(tx_queues)" = "$1" ] && return 0
    dev=$(basename $(readlink /sys/class/net/$nic/device))
    echo $dev > /sys/bus/xen/drivers/vif/unbind
    echo $1 > /sys/module/xen_netfront/parameters/max_queues
    echo $dev > /sys/bus/xen/drivers/vif/bind
    n=0
    while [ $n -lt 100 ] && ! ls /sys/class/net | grep -qv '^lo$'; do
        sleep 0.1; n=$((n + 1))
    done
    net_up
}
download() {
    start=$(cut -d' ' -f1 /proc/uptime)
    wget -q -O /tmp/blob $URL
    end=$(cut -d' ' -f1 /proc/uptime)
    echo "XENBED-RESULT blob-bytes $(wc -c < /tmp/blob)"
    echo "XENBED-RESULT blob-sha256 $(sha256sum /tmp/blob | cut -d' ' -f1)"
    echo "XENBED-RESULT blob-seconds $(awk "BEGIN { print $end - $start }")"
    rm -f /tmp/blob
}
netfront_facts() {
    echo "XENBED-RESULT tx-queues $(tx_queues)"
    for k in multi-queue-num-queues event-channel-tx queue-0/event-channel-tx \
             request-rx-copy feature-sg; do
        xs device/vif/0/$k 2>/dev/null |
            sed 's|^device/vif/0/|XENBED-RESULT vif:|; s/=/ /' || true
    done
}
