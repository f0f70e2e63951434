# Flows both ways across a migration: XENBED-MARK migrate comes once the
# downloads have $started bytes, the $flows flows each way go on in the
# migrated guest, then a second round.  Uses netif-funcs.sh.
netif_facts ""
echo XENBED-MARK flows
flows "" $flows > /tmp/flows.out &
fpid=$!
rx0=$(cat /sys/class/net/$nic/statistics/rx_bytes)
while [ $(($(cat /sys/class/net/$nic/statistics/rx_bytes) - rx0)) -lt $started ]
do sleep 0.05; done
netif_facts "mig-"
echo XENBED-MARK migrate
wait $fpid
cat /tmp/flows.out
flows "post-" $flows
netif_facts "after-"
