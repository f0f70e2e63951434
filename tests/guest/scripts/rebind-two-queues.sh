# With netif-funcs.sh: 4 flows, then netfront unbound, its max_queues set
# to 2 and bound again, then 8 flows and the device's counters ("re-").
netif_facts ""
flows "" 4
dev=$(basename $(readlink /sys/class/net/$nic/device))
echo "XENBED-RESULT xenbus-dev $dev"
echo $dev > /sys/bus/xen/drivers/vif/unbind
echo 2 > /sys/module/xen_netfront/parameters/max_queues
vif_bind $dev
netif_facts "re-"
flows "re-" 8
device_stats "re-"
