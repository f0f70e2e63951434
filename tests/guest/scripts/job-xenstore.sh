# The xenstore step of a job: $keys read through /dev/xen/xenbus, the
# vif's backend waited for up to 10 s to reach Connected (4), then the
# time 200 reads take.
xs $keys | sed 's/^/XENBED-RESULT xs:/; s/=/ /'
backend=$(xs device/vif/0/backend | cut -d= -f2)
n=0
until [ "$(xs $backend/state | cut -d= -f2)" = 4 ] || [ $n -ge 100 ]; do
    sleep 0.1; n=$((n + 1))
done
echo "XENBED-RESULT backend-state $(xs $backend/state | cut -d= -f2)"
start=$(cut -d' ' -f1 /proc/uptime)
xs $(for i in $(seq 200); do echo domid; done) > /dev/null
end=$(cut -d' ' -f1 /proc/uptime)
echo "XENBED-RESULT reads 200"
echo "XENBED-RESULT read-seconds $(awk "BEGIN { print $end - $start }")"
