# Two NICs in one guest: $a stays as 10.9.0.1, $b moves as 10.9.0.2 into a
# network namespace of its own, held by process $ns, so that traffic
# between them leaves one device and enters the other.
set -- $(ls /sys/class/net | grep -v '^lo$')
[ $# = 2 ] || { echo "XENBED-RESULT error nics $*"; exit 1; }
for n in "$@"; do
    echo "XENBED-RESULT driver-$n $(basename $(readlink /sys/class/net/$n/device/driver))"
done
a=$1 b=$2
unshare -n sleep 100000 &
ns=$!
while [ "$(readlink /proc/$ns/ns/net)" = "$(readlink /proc/self/ns/net)" ]
do sleep 0.1; done
ip link set $b netns $ns
ip addr add 10.9.0.1/24 dev $a
ip link set $a up
nsenter -t $ns -n sh -c "ip link set lo up; ip addr add 10.9.0.2/24 dev $b; \
    ip link set $b up"
