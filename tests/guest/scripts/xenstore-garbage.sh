# A guest that writes garbage into its xenstore ring, then notifies QEMU:
# $garbage "len" is a header (XS_READ) whose payload length is 64 KiB,
# over the 4 KiB that xenstore takes; "prod" moves req_prod 2^31 ahead of
# req_cons.  netfront is unbound first.  Uses xenstore-ring.sh.
echo vif-0 > /sys/bus/xen/drivers/vif/unbind
case $garbage in
len) xs_ring_put 2 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 ;;
prod) xs_ring_prod_ahead ;;
*) echo "XENBED-RESULT error garbage $garbage"; exit 1 ;;
esac
hcall evtchn notify 4 l:1
sleep 1
