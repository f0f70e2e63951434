# Loopback event channels ping-pong ($roundtrips round trips) while the
# host migrates the guest at XENBED-MARK migrate; a runstate area of
# vCPU 1 is read before and after.  Then PV timers and xenstore.
evtchn_scale 500 $roundtrips > /tmp/scale.out 2>&1 &
spid=$!
hcall runstate rs 1 > /tmp/rs.out 2>&1 &
rpid=$!
sleep 2
kill -USR1 $rpid
echo XENBED-MARK migrate
sleep 6
echo XENBED-MARK resumed
kill -USR1 $rpid
kill -0 $spid 2>/dev/null && echo "XENBED-RESULT scale-running-after yes"
wait $spid
cat /tmp/scale.out
kill $rpid
wait $rpid || true
cat /tmp/rs.out
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 2
echo "XENBED-RESULT slept $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
xs domid | tr '=' ' ' | sed 's/^/XENBED-RESULT xs:/'
