# xenbed bench net through slirp, after net-setup.sh, spread-queue-irqs.sh
# and run-flows.sh.  "in": $flows parallel downloads of the blob from
# http://$addr:$port; "out": as many uploads of it, each checked against
# its sha256 $sha.  XENBED-MARK lines time them on the host.
wget -q -O /tmp/blob "http://$addr:$port/blob"
upload() {
    tcpbench post "$addr" "$port" /upload /tmp/blob | grep -q "^$sha "
}
echo "XENBED-MARK in-start"
run tcpbench get "$addr" "$port" /blob
echo "XENBED-MARK in-end"
echo "XENBED-MARK out-start"
run upload
echo "XENBED-MARK out-end"
