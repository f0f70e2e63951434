# Download $url into /tmp/blob; report its size, sha256 and the time taken.
start=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/blob "$url"
end=$(cut -d' ' -f1 /proc/uptime)
echo "XENBED-RESULT blob-bytes $(wc -c < /tmp/blob)"
echo "XENBED-RESULT blob-sha256 $(sha256sum /tmp/blob | cut -d' ' -f1)"
echo "XENBED-RESULT blob-seconds $(awk "BEGIN { print $end - $start }")"
