# What every guest test reports about the vCPUs and the clock.
echo "XENBED-RESULT nproc $(nproc)"
echo "XENBED-RESULT cpus-online $(cat /sys/devices/system/cpu/online)"
echo "XENBED-RESULT clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
