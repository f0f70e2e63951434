# The guest's one NIC, $nic, up as 10.0.2.15 behind slirp's 10.0.2.2.
nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
[ -n "$nic" ] || { echo "XENBED-RESULT error no-nic"; exit 1; }
echo "XENBED-RESULT nic $nic"
echo "XENBED-RESULT nic-driver $(basename $(readlink /sys/class/net/$nic/device/driver))"
ip link set "$nic" up
ip addr add 10.0.2.15/24 dev "$nic"
ip route add default via 10.0.2.2
