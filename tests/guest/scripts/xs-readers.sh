# Three readers of /dev/xen/xenbus, 300 short reads per xs call, for 60 s
# of guest time.  Each read's header is 16 bytes and its payload 6, so
# headers keep wrapping the 1 KiB request ring, and the kernel writes such
# a header in two pieces with the other readers' requests right behind.
end=$(( $(cut -d. -f1 /proc/uptime) + 60 ))
paths=$(yes domid | head -n 300 | tr '\n' ' ')
for r in 1 2 3; do
    ( n=0
      while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do
          xs $paths > /dev/null || echo "XENBED-RESULT xs-failed-$r yes"
          n=$((n + 300))
      done
      echo "XENBED-RESULT xs-reads-$r $n" ) &
done
wait
