/*
 * xs: read xenstore keys from inside a Xen guest through /dev/xen/xenbus,
 * the way xenstore-read does, for guest tests that have only busybox.
 *
 *   xs PATH...   prints "PATH=VALUE" per key; exit 1 on the first error.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* xen/include/public/io/xs_wire.h */
struct xsd_sockmsg {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};
#define XS_READ   2
#define XS_ERROR  16
#define XENSTORE_PAYLOAD_MAX 4096

static int xs_read(int fd, uint32_t req_id, const char *path)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg msg = {
        .type = XS_READ, .req_id = req_id, .len = strlen(path) + 1,
    };
    size_t got = 0;

    if (msg.len > XENSTORE_PAYLOAD_MAX) {
        fprintf(stderr, "xs: %s: path too long\n", path);
        return -1;
    }
    memcpy(buf, &msg, sizeof(msg));
    memcpy(buf + sizeof(msg), path, msg.len);
    if (write(fd, buf, sizeof(msg) + msg.len) != (ssize_t)(sizeof(msg) + msg.len)) {
        perror("xs: write");
        return -1;
    }
    /* The reply may arrive in pieces; the header says how long it is. */
    while (got < sizeof(msg) ||
           got < sizeof(msg) + ((struct xsd_sockmsg *)buf)->len) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

        if (n <= 0) {
            perror("xs: read");
            return -1;
        }
        got += n;
        if (got >= sizeof(msg) &&
            ((struct xsd_sockmsg *)buf)->len > XENSTORE_PAYLOAD_MAX) {
            fprintf(stderr, "xs: reply too long\n");
            return -1;
        }
    }
    memcpy(&msg, buf, sizeof(msg));
    buf[sizeof(msg) + msg.len] = '\0';
    if (msg.type == XS_ERROR) {
        fprintf(stderr, "xs: %s: %s\n", path, buf + sizeof(msg));
        return -1;
    }
    printf("%s=%s\n", path, buf + sizeof(msg));
    return 0;
}

int main(int argc, char **argv)
{
    int fd = open("/dev/xen/xenbus", O_RDWR);

    if (fd < 0) {
        perror("xs: /dev/xen/xenbus");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (xs_read(fd, i, argv[i]) < 0) {
            return 1;
        }
    }
    return 0;
}
