# A request header (XS_READ, req_id 0x1234, 20 bytes of payload to come)
# put in the ring without its payload or a notification: what xenbus
# leaves when kexec stops its vCPU between writing the header and the
# payload.  netfront is unbound first, so that no xenstore traffic of the
# kexec shutdown comes after the header.  Uses xenstore-ring.sh.
echo vif-0 > /sys/bus/xen/drivers/vif/unbind
sleep 1
xs_ring_put 2 0 0 0 0x34 0x12 0 0 0 0 0 0 20 0 0 0
echo "XENBED-RESULT xs-stale-bytes $(xs_ring_stale_bytes)"
