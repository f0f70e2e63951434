/*
 * libFuzzer target: a frontend xenstore directory ("key=value" lines)
 * against netif_read_frontend.  A configuration it accepts must be one
 * the backend can bind: queue count in range, no port or ring ref shared.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "fuzz-check.h"

#define MAX_KEYS 64

struct directory {
    char *key[MAX_KEYS];
    char *value[MAX_KEYS];
    size_t n;
};

static bool read_key(void *opaque, const char *key, char *buf, size_t size)
{
    struct directory *dir = opaque;
    size_t i;

    for (i = 0; i < dir->n; i++) {
        if (!strcmp(dir->key[i], key)) {
            snprintf(buf, size, "%s", dir->value[i]);
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct netif_backend_config be = { 0 };
    struct netif_frontend_config fc;
    struct directory dir = { .n = 0 };
    char why[128];
    char *text, *line, *save = NULL;
    uint32_t i, j;

    if (size < 1) {
        return 0;
    }
    be.max_queues = data[0] % (NETIF_MAX_QUEUES + 2);
    be.split_event_channels = data[0] & 0x80;
    text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    for (line = strtok_r(text, "\n", &save); line && dir.n < MAX_KEYS;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');

        if (eq) {
            *eq = '\0';
            dir.key[dir.n] = line;
            dir.value[dir.n] = eq + 1;
            dir.n++;
        }
    }

    if (netif_read_frontend(&be, read_key, &dir, &fc, why, sizeof(why))) {
        CHECK(fc.num_queues >= 1 && fc.num_queues <= be.max_queues);
        for (i = 0; i < fc.num_queues; i++) {
            CHECK(fc.queue[i].tx_ring_ref != fc.queue[i].rx_ring_ref);
            CHECK(fc.queue[i].split ==
                  (fc.queue[i].evtchn_tx != fc.queue[i].evtchn_rx));
            CHECK(!fc.queue[i].split || be.split_event_channels);
            for (j = 0; j < i; j++) {
                CHECK(fc.queue[i].evtchn_tx != fc.queue[j].evtchn_tx);
                CHECK(fc.queue[i].evtchn_rx != fc.queue[j].evtchn_rx);
                CHECK(fc.queue[i].tx_ring_ref != fc.queue[j].tx_ring_ref);
            }
        }
    } else {
        CHECK(why[0] != '\0');
    }
    free(text);
    return 0;
}
