# The KVM host VM's (L1's) test script under tests/guest/init, which has
# mounted /proc, /sys and /dev and loaded nested.py's L1_MODULES: it mounts
# the host's root read-only through virtiofs with a tmpfs overlay, and the
# checkout's build/ folder read-write, then chroots into that and runs
# xenbed.run= from the kernel command line.
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    xenbed.run=*) run="${arg#xenbed.run=}" ;;
    xenbed.build=*) build="${arg#xenbed.build=}" ;;
    esac
done
[ -c /dev/kvm ] || { echo "XENBED-RESULT no-dev-kvm"; exit 90; }
mkdir -p /host /scratch /root
mount -t virtiofs -o ro host /host
mount -t tmpfs -o size=4g tmpfs /scratch
mkdir -p /scratch/upper /scratch/work
mount -t overlay -o lowerdir=/host,upperdir=/scratch/upper,workdir=/scratch/work overlay /root
mount -t virtiofs build "/root$build"
mount -t proc proc /root/proc
mount -t sysfs sysfs /root/sys
mount -t devtmpfs devtmpfs /root/dev
mkdir -p /root/dev/pts /root/dev/shm
mount -t devpts devpts /root/dev/pts
mount -t tmpfs tmpfs /root/dev/shm
mount -t tmpfs tmpfs /root/tmp
mount -t tmpfs tmpfs /root/run
ip link set lo up
echo "XENBED-NESTED-READY"
rc=0
chroot /root /bin/sh "$run" || rc=$?
# Also in a file: the console's last lines can be lost at power-off.
echo "$rc" > "/root${run%/*}/rc"
exit "$rc"
