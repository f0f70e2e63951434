# xenbed bench net between two NICs on one hub, after two-nics-setup.sh,
# spread-queue-irqs.sh and run-flows.sh: a tcpbench server on NIC 2 (in
# namespace $ns) serves $mib MiB.  "in": $flows parallel downloads from it
# (NIC 2 -> NIC 1); "out": as many uploads to it (NIC 1 -> NIC 2).
head -c $((mib << 20)) /dev/urandom > /tmp/blob
nsenter -t $ns -n tcpbench serve 80 /tmp/blob &
until tcpbench get 10.9.0.2 80 /ready > /dev/null 2>&1; do sleep 0.2; done
echo "XENBED-MARK in-start"
run tcpbench get 10.9.0.2 80 /blob
echo "XENBED-MARK in-end"
echo "XENBED-MARK out-start"
run tcpbench post 10.9.0.2 80 /upload /tmp/blob
echo "XENBED-MARK out-end"
