# $lines numbered lines to the PV console (hvc0, on the primary console's
# page), 1 ms apart, with XENBED-MARK migrate after line $mark.
hvc0_dev=$(cat /sys/class/tty/hvc0/dev)
echo "XENBED-RESULT hvc0 $hvc0_dev"
[ -c /dev/hvc0 ] || mknod /dev/hvc0 c ${hvc0_dev%:*} ${hvc0_dev#*:}
exec 3> /dev/hvc0
i=0
while [ $i -lt $lines ]; do
    echo "hvc-seq $i" >&3
    [ $i = $mark ] && echo XENBED-MARK migrate
    i=$((i + 1))
    usleep 1000
done
echo "hvc-end" >&3
exec 3>&-
sleep 1
