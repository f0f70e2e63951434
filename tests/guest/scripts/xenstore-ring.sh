# QEMU's xenstore ring page, at $ring (XEN_SPECIAL_PFN(XENSTORE)), written
# behind xenbus's back with devmem: req_cons and req_prod are at 2048 and
# 2052 in struct xenstore_domain_interface, the request ring is 1 KiB.
xs_req_cons=$((ring + 2048))
xs_req_prod=$((ring + 2052))

# Write the bytes given as arguments at req_prod and move req_prod past
# them, without notifying.
xs_ring_put() {
    prod=$(devmem $xs_req_prod 32)
    i=0
    for b in "$@"; do
        devmem $((ring + ((prod + i) & 1023))) 8 $b
        i=$((i + 1))
    done
    devmem $xs_req_prod 32 $((prod + i))
}

# Move req_prod 2^31 ahead of req_cons.
xs_ring_prod_ahead() {
    cons=$(devmem $xs_req_cons 32)
    devmem $xs_req_prod 32 $(((cons + 0x80000000) & 0xffffffff))
}

# How many bytes lie between req_cons and req_prod.
xs_ring_stale_bytes() {
    echo $(($(devmem $xs_req_prod 32) - $(devmem $xs_req_cons 32)))
}
