/*
 * tcpbench: the guest end of `xenbed bench net`, sending and receiving the
 * way iperf does, so that the figures measure the network path and not a
 * user-space tool's per-byte work (busybox wget reads 4 KiB at a time, and
 * posts a file only after reading it whole and taking its strlen).
 *
 *   tcpbench get ADDR PORT PATH        HTTP/1.0 GET; the body is read in
 *                                      256 KiB reads and thrown away
 *   tcpbench post ADDR PORT PATH FILE  HTTP/1.0 POST of FILE, sent with
 *                                      sendfile(2) as a file server would
 *   tcpbench serve PORT FILE           the other end, for traffic between
 *                                      two NICs of one guest: GET /blob
 *                                      sends FILE, another GET nothing,
 *                                      POST replies "- <bytes read>"
 *
 * get prints the body's length and fails unless it is the Content-Length;
 * post prints the server's reply ("<sha256> <bytes>" from blobcgi.py) and
 * fails unless that byte count is the file's size.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static char buf[BUF_SIZE];

static int connect_to(const char *addr, const char *port)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons(atoi(port)),
    };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
        perror("tcpbench: connect");
        exit(1);
    }
    return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            perror("tcpbench: write");
            exit(1);
        }
        data += n;
        len -= n;
    }
}

/*
 * Read into buf up to the blank line that ends an HTTP head, and end the
 * head's string there.  Returns where the body begins in buf, with
 * *body_len bytes of it read already, or NULL at EOF or a head too long.
 */
static char *read_head(int fd, size_t *body_len)
{
    size_t have = 0;
    char *end;

    for (;;) {
        ssize_t n = read(fd, buf + have, BUF_SIZE - 1 - have);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return NULL;
        }
        have += n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end) {
            *end = '\0';
            *body_len = have - (end + 4 - buf);
            return end + 4;
        }
        if (have == BUF_SIZE - 1) {
            return NULL;
        }
    }
}

/* The Content-Length of the head in buf, or -1. */
static long long content_length(void)
{
    const char *cl = strcasestr(buf, "\r\nContent-Length:");

    return cl ? atoll(cl + 17) : -1;
}

/* A reply's head, which must say 200; returns its Content-Length. */
static long long read_reply_head(int fd, char **body, size_t *body_len)
{
    *body = read_head(fd, body_len);
    if (!*body) {
        fprintf(stderr, "tcpbench: no reply\n");
        exit(1);
    }
    if (strncmp(buf, "HTTP/1.0 200", 12) && strncmp(buf, "HTTP/1.1 200", 12)) {
        fprintf(stderr, "tcpbench: %s\n", buf);
        exit(1);
    }
    return content_length();
}

static int get(int fd, const char *path)
{
    char *body;
    size_t body_len;
    long long expected, total;
    int len = snprintf(buf, BUF_SIZE, "GET %s HTTP/1.0\r\n\r\n", path);

    send_all(fd, buf, len);
    expected = read_reply_head(fd, &body, &body_len);
    total = body_len;
    for (;;) {
        ssize_t n = read(fd, buf, BUF_SIZE);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            perror("tcpbench: read");
            return 1;
        }
        if (n == 0) {
            break;
        }
        total += n;
    }
    printf("%lld\n", total);
    if (total != expected) {
        fprintf(stderr, "tcpbench: got %lld bytes of %lld\n", total,
                expected);
        return 1;
    }
    return 0;
}

static int send_file(int fd, int file_fd, off_t size)
{
    off_t offset = 0;

    while (offset < size) {
        ssize_t n = sendfile(fd, file_fd, &offset, size - offset);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            perror("tcpbench: sendfile");
            return 1;
        }
    }
    return 0;
}

static int post(int fd, const char *path, const char *file)
{
    struct stat st;
    char *body;
    size_t body_len;
    int file_fd = open(file, O_RDONLY);
    int len;

    if (file_fd < 0 || fstat(file_fd, &st)) {
        perror("tcpbench: open");
        return 1;
    }
    len = snprintf(buf, BUF_SIZE, "POST %s HTTP/1.0\r\nContent-Type: "
                   "application/octet-stream\r\nContent-Length: %lld\r\n\r\n",
                   path, (long long)st.st_size);
    send_all(fd, buf, len);
    if (send_file(fd, file_fd, st.st_size)) {
        return 1;
    }
    read_reply_head(fd, &body, &body_len);
    for (;;) {
        ssize_t n = read(fd, body + body_len, buf + BUF_SIZE - 1 -
                         (body + body_len));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        body_len += n;
    }
    body[body_len] = '\0';
    fputs(body, stdout);
    {
        const char *space = strchr(body, ' ');

        if (!space || atoll(space + 1) != (long long)st.st_size) {
            fprintf(stderr, "tcpbench: server got other than %lld bytes\n",
                    (long long)st.st_size);
            return 1;
        }
    }
    return 0;
}

/* One exchange of `serve`: the request line and headers, then the body. */
static int serve_one(int fd, const char *file)
{
    size_t body_len;
    long long left, total;
    struct stat st;
    int file_fd, len;

    if (!read_head(fd, &body_len)) {
        return 1;
    }
    if (!strncmp(buf, "GET ", 4) && strncmp(buf, "GET /blob ", 10)) {
        len = snprintf(buf, BUF_SIZE, "HTTP/1.0 200 OK\r\n"
                       "Content-Length: 0\r\n\r\n");
        send_all(fd, buf, len);
        return 0;
    }
    if (!strncmp(buf, "GET ", 4)) {
        file_fd = open(file, O_RDONLY);
        if (file_fd < 0 || fstat(file_fd, &st)) {
            perror("tcpbench: open");
            return 1;
        }
        len = snprintf(buf, BUF_SIZE, "HTTP/1.0 200 OK\r\nContent-Length: "
                       "%lld\r\n\r\n", (long long)st.st_size);
        send_all(fd, buf, len);
        return send_file(fd, file_fd, st.st_size);
    }
    left = content_length();
    if (strncmp(buf, "POST ", 5) || left < 0) {
        return 1;
    }
    total = body_len;
    left -= total;
    while (left > 0) {
        ssize_t n = read(fd, buf, BUF_SIZE);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        total += n;
        left -= n;
    }
    len = snprintf(buf, BUF_SIZE, "HTTP/1.0 200 OK\r\nContent-Length: %d"
                   "\r\n\r\n- %lld\n", snprintf(NULL, 0, "- %lld\n", total),
                   total);
    send_all(fd, buf, len);
    return 0;
}

static int serve(const char *port, const char *file)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons(atoi(port)),
    };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 64)) {
        perror("tcpbench: listen");
        return 1;
    }
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int conn = accept(fd, NULL, NULL);

        if (conn < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("tcpbench: accept");
            return 1;
        }
        if (fork() == 0) {
            close(fd);
            _exit(serve_one(conn, file));
        }
        close(conn);
    }
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "get")) {
        return get(connect_to(argv[2], argv[3]), argv[4]);
    }
    if (argc == 6 && !strcmp(argv[1], "post")) {
        return post(connect_to(argv[2], argv[3]), argv[4], argv[5]);
    }
    if (argc == 4 && !strcmp(argv[1], "serve")) {
        return serve(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: tcpbench get ADDR PORT PATH\n"
            "       tcpbench post ADDR PORT PATH FILE\n"
            "       tcpbench serve PORT FILE\n");
    return 2;
}
