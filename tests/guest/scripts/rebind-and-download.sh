# Bind netfront to vif-0 again (after a fake frontend), then download
# $url/blob once more.
echo vif-0 > /sys/bus/xen/drivers/vif/bind
n=0
while [ $n -lt 50 ] && ! ls /sys/class/net | grep -qv '^lo$'; do
    sleep 0.1; n=$((n + 1))
done
nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
ip link set "$nic" up
ip addr add 10.0.2.15/24 dev "$nic"
ip route add default via 10.0.2.2
wget -q -O /tmp/again "$url/blob"
echo "XENBED-RESULT again-sha256 $(sha256sum < /tmp/again | cut -d' ' -f1)"
