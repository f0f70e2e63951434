# The guest's domid and its vif's keys, then the backend's, as
# "XENBED-RESULT xs:<key> <value>" (backend keys as xs:backend/<key>).
xs domid device/vif/0/backend device/vif/0/state | tr '=' ' ' |
    sed 's/^/XENBED-RESULT xs:/'
backend=$(xs device/vif/0/backend | cut -d= -f2)
xs $backend/state $backend/frontend | sed "s|^$backend/|XENBED-RESULT xs:backend/|; s/=/ /"
