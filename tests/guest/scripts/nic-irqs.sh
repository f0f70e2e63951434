# The virtio NIC's interrupt lines as the guest counts them, as
# "XENBED-RESULT irq-$when-<name> <IRQ>: <per CPU> <chip> <type> <name>".
grep virtio0 /proc/interrupts | while read line; do
    echo "XENBED-RESULT irq-$when-${line##* } $line"
done
