# What netfront counted on $nic (bytes, packets as skbs) over one more
# download of $url/blob.
rx_counters() {
    echo $(cat /sys/class/net/$nic/statistics/rx_bytes) \
         $(cat /sys/class/net/$nic/statistics/rx_packets)
}
before=$(rx_counters)
wget -q -O /dev/null "$url/blob"
echo "XENBED-RESULT rx-sysfs $before $(rx_counters)"
