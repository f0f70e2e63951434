# Bind netfront to vif-0 again (after a fake frontend), then download
# $url/blob once more.  Uses netif-funcs.sh.
vif_bind vif-0
wget -q -O /tmp/again "$url/blob"
echo "XENBED-RESULT again-sha256 $(sha256sum < /tmp/again | cut -d' ' -f1)"
