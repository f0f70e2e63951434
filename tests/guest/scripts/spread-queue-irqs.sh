# Xen binds every event channel to vCPU 0; a guest runs irqbalance to move
# them (virtio-net sets its queues' affinity itself).  Queue N of vif M goes
# to vCPU N + M, so that several queues, and two NICs, use several vCPUs.
awk '$NF ~ /^vif[0-9]+-q[0-9]+(-tx|-rx)?$/ {
    split(substr($NF, 4), vq, /-q|-/)
    print substr($1, 1, length($1) - 1), vq[1] + vq[2] }' /proc/interrupts |
while read irq cpu; do
    echo $((cpu % $(nproc))) > /proc/irq/$irq/smp_affinity_list
done
