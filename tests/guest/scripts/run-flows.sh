# run CMD...: $flows copies of CMD at once, noting any that fails.
run() {
    i=0; pids=""
    while [ $i -lt $flows ]; do
        "$@" & pids="$pids $!"; i=$((i + 1))
    done
    for p in $pids; do wait $p || echo "XENBED-RESULT failed $*"; done
}
