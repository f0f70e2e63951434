# After two-nics-setup.sh: each end serves the same 4 MiB blob with
# tcpbench and fetches the other's with busybox wget, so each direction
# goes out of one device and into the other; /proc/net/dev counters of
# both ends around each transfer.
head -c 4194304 /dev/urandom > /tmp/blob
echo "XENBED-RESULT blob-sha256 $(sha256sum < /tmp/blob | cut -d' ' -f1)"
tcpbench serve 80 /tmp/blob &
nsenter -t $ns -n tcpbench serve 80 /tmp/blob &
until tcpbench get 10.9.0.2 80 /ready > /dev/null 2>&1 &&
      nsenter -t $ns -n tcpbench get 10.9.0.1 80 /ready > /dev/null 2>&1
do sleep 0.2; done
# counters TAG: rx bytes, rx packets, tx bytes, tx packets of each end.
counters() {
    echo "XENBED-RESULT $1-a $(awk -v n="$a:" '$1 == n { print $2, $3, $10, $11 }' /proc/net/dev)"
    echo "XENBED-RESULT $1-b $(nsenter -t $ns -n awk -v n="$b:" '$1 == n { print $2, $3, $10, $11 }' /proc/net/dev)"
}
counters before-b2a
wget -q -O /tmp/b2a http://10.9.0.2/blob
counters after-b2a
nsenter -t $ns -n wget -q -O /tmp/a2b http://10.9.0.1/blob
counters after-a2b
for f in b2a a2b; do
    echo "XENBED-RESULT sha-$f $(sha256sum < /tmp/$f | cut -d' ' -f1)"
done
