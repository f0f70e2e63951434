/*
 * netif xenstore negotiation as pure functions: the backend keys to write
 * at realize, and the frontend keys read and validated at Connected
 * (Linux netback xenbus.c: connect, connect_data_rings,
 * read_xenbus_vif_flags).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include <stdio.h>

#include "netif.h"

size_t netif_backend_keys(const struct netif_backend_config *cfg,
                          struct netif_key *keys)
{
    size_t n = 0;

#define ADD_KEY(key, val) \
    do { \
        keys[n].name = (key); \
        keys[n].value = (val); \
        n++; \
    } while (0)

    /* netfront refuses to connect without feature-rx-copy. */
    ADD_KEY("feature-rx-copy", 1);
    ADD_KEY("feature-rx-flip", 0);
    if (cfg->split_event_channels) {
        ADD_KEY("feature-split-event-channels", 1);
    }
    if (cfg->max_queues > 1) {
        ADD_KEY("multi-queue-max-queues", cfg->max_queues);
    }
    if (cfg->sg) {
        ADD_KEY("feature-sg", 1);
    }
    if (cfg->gso_tcpv4) {
        ADD_KEY("feature-gso-tcpv4", 1);
    }
    if (cfg->gso_tcpv6) {
        ADD_KEY("feature-gso-tcpv6", 1);
    }
    if (cfg->ipv6_csum_offload) {
        ADD_KEY("feature-ipv6-csum-offload", 1);
    }
    if (cfg->multicast_control) {
        ADD_KEY("feature-multicast-control", 1);
        ADD_KEY("feature-dynamic-multicast-control", 1);
    }
#undef ADD_KEY
    return n;
}

struct key_reader {
    netif_read_key_fn read;
    void *opaque;
    char *why;
    size_t why_size;
};

static bool say_why(struct key_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool say_why(struct key_reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->why, r->why_size, fmt, ap);
    va_end(ap);
    return false;
}

/* Plain decimal only: no sign, no spaces, no trailing junk, fits 32 bits. */
static bool parse_u32(const char *s, uint32_t *value)
{
    uint64_t v = 0;

    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX) {
            return false;
        }
    }
    *value = (uint32_t)v;
    return true;
}

enum key_state {
    KEY_ABSENT,
    KEY_BAD,
    KEY_OK,
};

static enum key_state read_u32(struct key_reader *r, const char *prefix,
                               const char *name, uint32_t *value)
{
    char key[64];
    char buf[32];

    snprintf(key, sizeof(key), "%s%s", prefix, name);
    if (!r->read(r->opaque, key, buf, sizeof(buf))) {
        return KEY_ABSENT;
    }
    buf[sizeof(buf) - 1] = '\0';
    return parse_u32(buf, value) ? KEY_OK : KEY_BAD;
}

/* A feature flag as xenbus_read_unsigned(..., 0) sees it. */
static bool read_flag(struct key_reader *r, const char *name)
{
    uint32_t value;

    return read_u32(r, "", name, &value) == KEY_OK && value != 0;
}

static bool read_required(struct key_reader *r, const char *prefix,
                          const char *name, uint32_t *value)
{
    switch (read_u32(r, prefix, name, value)) {
    case KEY_OK:
        return true;
    case KEY_BAD:
        return say_why(r, "bad value for %s%s", prefix, name);
    default:
        return say_why(r, "reading %s%s failed", prefix, name);
    }
}

static bool read_queue(struct key_reader *r, uint32_t num_queues,
                       uint32_t index, struct netif_queue_keys *qk)
{
    char prefix[24] = "";

    /* One queue uses flat keys even when multi-queue-num-queues is 1. */
    if (num_queues > 1) {
        snprintf(prefix, sizeof(prefix), "queue-%u/", index);
    }
    if (!read_required(r, prefix, "tx-ring-ref", &qk->tx_ring_ref) ||
        !read_required(r, prefix, "rx-ring-ref", &qk->rx_ring_ref)) {
        return false;
    }
    /* Split channels need both keys; otherwise the single one. */
    if (read_u32(r, prefix, "event-channel-tx", &qk->evtchn_tx) == KEY_OK &&
        read_u32(r, prefix, "event-channel-rx", &qk->evtchn_rx) == KEY_OK) {
        qk->split = qk->evtchn_tx != qk->evtchn_rx;
        return true;
    }
    if (!read_required(r, prefix, "event-channel", &qk->evtchn_tx)) {
        return false;
    }
    qk->evtchn_rx = qk->evtchn_tx;
    qk->split = false;
    return true;
}

/*
 * Two rings on one page, or two queues on one port, would let one
 * frontend request be seen twice or a notification reach the wrong
 * backend handle: refuse the configuration up front.
 */
static bool check_distinct(struct key_reader *r,
                           const struct netif_frontend_config *fc)
{
    uint32_t i, j;

    for (i = 0; i < fc->num_queues; i++) {
        const struct netif_queue_keys *a = &fc->queue[i];

        if (a->tx_ring_ref == a->rx_ring_ref) {
            return say_why(r, "queue %u: tx and rx rings share ref %u", i,
                           a->tx_ring_ref);
        }
        for (j = 0; j < i; j++) {
            const struct netif_queue_keys *b = &fc->queue[j];

            if (a->tx_ring_ref == b->tx_ring_ref ||
                a->tx_ring_ref == b->rx_ring_ref ||
                a->rx_ring_ref == b->tx_ring_ref ||
                a->rx_ring_ref == b->rx_ring_ref) {
                return say_why(r, "queues %u and %u share a ring ref", j, i);
            }
            if (a->evtchn_tx == b->evtchn_tx ||
                a->evtchn_tx == b->evtchn_rx ||
                a->evtchn_rx == b->evtchn_tx ||
                a->evtchn_rx == b->evtchn_rx) {
                return say_why(r, "queues %u and %u share an event channel",
                               j, i);
            }
        }
    }
    return true;
}

bool netif_read_frontend(const struct netif_backend_config *cfg,
                         netif_read_key_fn read_key, void *opaque,
                         struct netif_frontend_config *out,
                         char *why, size_t why_size)
{
    struct key_reader r = {
        .read = read_key, .opaque = opaque, .why = why, .why_size = why_size,
    };
    uint32_t max_queues = cfg->max_queues;
    uint32_t i;

    if (max_queues < 1 || max_queues > NETIF_MAX_QUEUES) {
        return say_why(&r, "backend max_queues %u out of range", max_queues);
    }

    switch (read_u32(&r, "", "multi-queue-num-queues", &out->num_queues)) {
    case KEY_ABSENT:
        out->num_queues = 1;    /* frontend without multi-queue */
        break;
    case KEY_BAD:
        return say_why(&r, "bad value for multi-queue-num-queues");
    case KEY_OK:
        if (out->num_queues == 0 || out->num_queues > max_queues) {
            /* netback's wording; it checks 0 too since 2026. */
            return say_why(&r, "guest requested %u queues, but valid range "
                           "is 1 - %u", out->num_queues, max_queues);
        }
        break;
    }

    if (!read_flag(&r, "request-rx-copy")) {
        return say_why(&r, "frontend does not support rx-copy");
    }

    for (i = 0; i < out->num_queues; i++) {
        if (!read_queue(&r, out->num_queues, i, &out->queue[i])) {
            return false;
        }
        if (out->queue[i].split && !cfg->split_event_channels) {
            return say_why(&r, "queue %u: split event channels were not "
                           "offered", i);
        }
    }
    if (!check_distinct(&r, out)) {
        return false;
    }

    out->features.rx_notify = read_flag(&r, "feature-rx-notify");
    out->features.sg = read_flag(&r, "feature-sg");
    out->features.gso_tcpv4 = read_flag(&r, "feature-gso-tcpv4");
    out->features.gso_tcpv6 = read_flag(&r, "feature-gso-tcpv6");
    out->features.ipv6_csum_offload =
        read_flag(&r, "feature-ipv6-csum-offload");
    out->features.no_csum_offload = read_flag(&r, "feature-no-csum-offload");
    out->features.multicast_control =
        cfg->multicast_control && read_flag(&r, "request-multicast-control");
    if (why_size) {
        why[0] = '\0';
    }
    return true;
}
