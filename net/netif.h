/*
 * netif protocol core: ring layouts, netback-grade TX validation, RX
 * production, xenstore negotiation and flow hashing.
 *
 * Plain C, no QEMU headers: the QEMU device (hw/) and the unit tests both
 * use it.  Layouts follow Xen's public/io/netif.h and io/ring.h.  Guest
 * memory (ring pages and granted buffers) is reached only through
 * struct netif_ops, so a test can play a hostile frontend.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_NETIF_H
#define XENBED_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETIF_PAGE_SIZE 4096u
#define NETIF_ETH_HLEN  14u

/* ---- Guest ABI (public/io/netif.h, io/ring.h) ---- */

/* One TX slot as the frontend writes it. */
struct netif_tx_request {
    uint32_t gref;
    uint16_t offset;
    uint16_t flags;
    uint16_t id;
    uint16_t size;      /* first slot: whole packet; others: this slot */
};

#define NETTXF_csum_blank     (1u << 0)
#define NETTXF_data_validated (1u << 1)
#define NETTXF_more_data      (1u << 2)
#define NETTXF_extra_info     (1u << 3)

#define XEN_NETIF_EXTRA_TYPE_NONE      0
#define XEN_NETIF_EXTRA_TYPE_GSO       1
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD 2
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL 3
#define XEN_NETIF_EXTRA_TYPE_HASH      4
#define XEN_NETIF_EXTRA_TYPE_MAX       5

#define XEN_NETIF_EXTRA_FLAG_MORE (1u << 0)

#define XEN_NETIF_GSO_TYPE_NONE  0
#define XEN_NETIF_GSO_TYPE_TCPV4 1
#define XEN_NETIF_GSO_TYPE_TCPV6 2

/* Fits in both a TX request slot and an RX response slot. */
struct netif_extra_info {
    uint8_t type;
    uint8_t flags;
    union {
        struct {
            uint16_t size;
            uint8_t type;
            uint8_t pad;
            uint16_t features;
        } gso;
        struct {
            uint8_t addr[6];
        } mcast;
        struct {
            uint8_t type;
            uint8_t algorithm;
            uint8_t value[4];
        } hash;
        uint16_t pad[3];
    } u;
};

struct netif_tx_response {
    uint16_t id;
    int16_t status;
};

struct netif_rx_request {
    uint16_t id;
    uint16_t pad;
    uint32_t gref;
};

#define NETRXF_data_validated (1u << 0)
#define NETRXF_csum_blank     (1u << 1)
#define NETRXF_more_data      (1u << 2)
#define NETRXF_extra_info     (1u << 3)

struct netif_rx_response {
    uint16_t id;
    uint16_t offset;
    uint16_t flags;
    int16_t status;     /* bytes in this slot, or a NETIF_RSP_ error */
};

#define NETIF_RSP_DROPPED (-2)
#define NETIF_RSP_ERROR   (-1)
#define NETIF_RSP_OKAY    0
#define NETIF_RSP_NULL    1

/* Shared ring page: these four indexes, padding to 64, then the entries. */
struct netif_sring_header {
    uint32_t req_prod;
    uint32_t req_event;
    uint32_t rsp_prod;
    uint32_t rsp_event;
    uint8_t pvt_pad[4];
    uint8_t pad[44];
};

#define NETIF_SRING_HEADER_SIZE 64u
#define NETIF_TX_ENTRY_SIZE 12u     /* union of tx request and response */
#define NETIF_RX_ENTRY_SIZE 8u      /* union of rx request and response */
#define NETIF_RING_SIZE 256u        /* both rings, see netif_ring_size() */

_Static_assert(sizeof(struct netif_tx_request) == 12, "tx request");
_Static_assert(offsetof(struct netif_tx_request, size) == 10, "tx size");
_Static_assert(sizeof(struct netif_extra_info) == 8, "extra info");
_Static_assert(offsetof(struct netif_extra_info, u.gso.type) == 4, "gso");
_Static_assert(sizeof(struct netif_tx_response) == 4, "tx response");
_Static_assert(sizeof(struct netif_rx_request) == 8, "rx request");
_Static_assert(offsetof(struct netif_rx_request, gref) == 4, "rx gref");
_Static_assert(sizeof(struct netif_rx_response) == 8, "rx response");
_Static_assert(offsetof(struct netif_rx_response, status) == 6, "status");
_Static_assert(sizeof(struct netif_sring_header) ==
               NETIF_SRING_HEADER_SIZE, "sring header");
_Static_assert(offsetof(struct netif_sring_header, rsp_event) == 12,
               "rsp_event");

/* ---- Limits (Linux netback) ---- */

/* XEN_NETBK_LEGACY_SLOTS_MAX: follow-on slots a packet may use. */
#define NETIF_TX_LEGACY_SLOTS_MAX 18u
/* fatal_skb_slots: more follow-on slots than this is malicious. */
#define NETIF_TX_FATAL_SLOTS 20u
#define NETIF_MAX_PACKET 0xffffu    /* first slot's u16 size */
#define NETIF_MCAST_MAX 64u         /* XEN_NETBK_MCAST_MAX */
#define NETIF_MAX_QUEUES 16u
/* netfront accepts 18 data slots per RX packet; keep one spare. */
#define NETIF_RX_MAX_SLOTS 17u
#define NETIF_RX_MAX_PACKET (NETIF_RX_MAX_SLOTS * NETIF_PAGE_SIZE)

enum netif_verdict {
    NETIF_OK = 0,
    NETIF_FATAL,    /* impossible ring state: the queue is failed */
};

/*
 * Entries in a one-page ring whose entries are entry_size bytes: the
 * largest power of two that fits after the header (io/ring.h __RING_SIZE).
 */
uint32_t netif_ring_size(size_t entry_size);

/*
 * How many requests the frontend published that have not
 * been consumed.  A req_prod that runs more than a ring ahead of what was
 * answered is fatal ("Impossible number of requests"), whatever the
 * wrap-around.  On NETIF_OK, *pending holds the count.
 */
enum netif_verdict netif_check_requests(uint32_t req_prod, uint32_t req_cons,
                                        uint32_t rsp_prod_pvt,
                                        uint32_t ring_size,
                                        uint32_t *pending,
                                        const char **why);

/* A slot must lie within its granted page (offset + size <= 4096). */
enum netif_verdict netif_check_tx_slot(const struct netif_tx_request *req,
                                       const char **why);

/* ---- What the embedding (QEMU or a test) provides ---- */

enum netif_ring {
    NETIF_RING_TX,
    NETIF_RING_RX,
};

enum netif_csum {
    NETIF_CSUM_NONE,        /* nothing known: the receiver checks */
    NETIF_CSUM_PARTIAL,     /* checksum field blank (csum_blank) */
    NETIF_CSUM_VALIDATED,   /* checksum already verified */
};

/*
 * A packet the guest transmitted, assembled from its slots.  data is the
 * queue's own buffer, so the embedding may complete a blank checksum in
 * place before passing it on.
 */
struct netif_tx_packet {
    uint8_t *data;
    uint32_t len;
    enum netif_csum csum;
    uint8_t gso_type;       /* XEN_NETIF_GSO_TYPE_* */
    uint16_t gso_size;      /* MSS when gso_type != NONE */
};

/* One grant copy of a batch, as netback's gnttab_copy ops. */
struct netif_gref_copy {
    uint32_t gref;
    uint32_t offset;    /* in the granted page; offset + len <= 4096 */
    uint8_t *buf;       /* the backend's side */
    uint32_t len;
    bool ok;            /* out: copied (false: not granted, or not writable) */
};

struct netif_ops {
    /*
     * One 32-bit index word of the shared ring's header (offset < 16):
     * a single aligned access; the core adds the barriers itself.
     */
    uint32_t (*index_read)(void *opaque, enum netif_ring ring,
                           uint32_t offset);
    void (*index_write)(void *opaque, enum netif_ring ring, uint32_t offset,
                        uint32_t value);
    /* One ring entry, copied out of or into the shared page. */
    void (*entry_read)(void *opaque, enum netif_ring ring, uint32_t offset,
                       void *dst, uint32_t len);
    void (*entry_write)(void *opaque, enum netif_ring ring, uint32_t offset,
                        const void *src, uint32_t len);
    /*
     * The grant copies of one packet, in one batch: from the guest's pages
     * into buf, or (to_domain) from buf into them.  Sets each copy's ok.
     */
    void (*copy_grefs)(void *opaque, bool to_domain,
                       struct netif_gref_copy *copies, uint32_t nr);
    /* A valid TX packet; pkt->data is valid only during the call. */
    void (*tx_deliver)(void *opaque, const struct netif_tx_packet *pkt);
    /* Optional: a TX packet answered ERROR (first request id, slots) */
    void (*tx_dropped)(void *opaque, uint16_t id, uint32_t slots,
                       const char *why);
};

/* Index word accesses for an embedding that maps the ring page. */
uint32_t netif_page_index_read(const void *page, uint32_t offset);
void netif_page_index_write(void *page, uint32_t offset, uint32_t value);

/* ---- Negotiation: the backend's and the frontend's xenstore keys ---- */

/* What the backend offers; all false and 1 queue is upstream QEMU. */
struct netif_backend_config {
    uint32_t max_queues;            /* 1..NETIF_MAX_QUEUES */
    bool split_event_channels;
    bool sg;
    bool gso_tcpv4;
    bool gso_tcpv6;
    bool ipv6_csum_offload;
    bool multicast_control;
};

struct netif_key {
    const char *name;
    uint32_t value;
};

#define NETIF_BACKEND_KEYS_MAX 12u

/*
 * Keys for the backend directory, in writing order (write all of them
 * before the first guest access).  multi-queue-max-queues is written only
 * when max_queues > 1, so a single-queue device keeps upstream's keys.
 * Returns the number of entries filled in keys[NETIF_BACKEND_KEYS_MAX].
 */
size_t netif_backend_keys(const struct netif_backend_config *cfg,
                          struct netif_key *keys);

/*
 * Read the frontend key `key` (relative to the frontend directory, e.g.
 * "queue-1/tx-ring-ref") into buf as a NUL-terminated string.  Return
 * false when the key does not exist.
 */
typedef bool (*netif_read_key_fn)(void *opaque, const char *key, char *buf,
                                  size_t size);

/* What the frontend can receive (its feature keys). */
struct netif_frontend_features {
    bool rx_notify;
    bool sg;
    bool gso_tcpv4;
    bool gso_tcpv6;
    bool ipv6_csum_offload;
    bool no_csum_offload;
    bool multicast_control;
};

struct netif_queue_keys {
    uint32_t tx_ring_ref;
    uint32_t rx_ring_ref;
    uint32_t evtchn_tx;
    uint32_t evtchn_rx;     /* == evtchn_tx unless split */
    bool split;
};

struct netif_frontend_config {
    uint32_t num_queues;
    struct netif_queue_keys queue[NETIF_MAX_QUEUES];
    struct netif_frontend_features features;
};

/*
 * Read and validate everything the frontend wrote at Connected.  On
 * failure nothing in *out is to be used and why[] says what was wrong
 * (for the xenstore "error" node).
 */
bool netif_read_frontend(const struct netif_backend_config *cfg,
                         netif_read_key_fn read_key, void *opaque,
                         struct netif_frontend_config *out,
                         char *why, size_t why_size);

/* ---- Per-queue state ---- */

struct netif_stats {
    uint64_t tx_packets;        /* delivered to tx_deliver */
    uint64_t tx_bytes;
    uint64_t tx_errors;         /* packets answered with NETIF_RSP_ERROR */
    uint64_t tx_gso_packets;
    uint64_t tx_mcast_requests;
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t rx_errors;         /* packets with a failed slot copy */
    uint64_t rx_dropped;        /* packets the frontend cannot take */
    uint64_t rx_gso_packets;
    bool fatal;
    char fatal_reason[96];
};

/* Multicast filter shared by the queues of one interface. */
struct netif_mcast_filter {
    uint32_t count;
    uint8_t addr[NETIF_MCAST_MAX][6];
};

/* One ring's private indexes (struct netif_*_back_ring, and one more). */
struct netif_ring_indexes {
    uint32_t req_cons;
    uint32_t rsp_prod_pvt;
    /* rsp_prod as last pushed: the guest cannot skew notify decisions. */
    uint32_t rsp_pushed;
};

struct netif_queue {
    const struct netif_ops *ops;
    void *opaque;
    const struct netif_backend_config *backend;
    struct netif_frontend_features frontend;
    struct netif_mcast_filter *mcast;   /* may be NULL */

    struct netif_ring_indexes tx;
    struct netif_ring_indexes rx;

    struct netif_stats stats;
    uint8_t tx_buf[NETIF_MAX_PACKET];
};

/*
 * BACK_RING_INIT for both rings of a queue: indexes restart at the values
 * the frontend initialised (0), counters and failure state are cleared.
 */
void netif_queue_init(struct netif_queue *q, const struct netif_ops *ops,
                      void *opaque, const struct netif_backend_config *be,
                      const struct netif_frontend_features *fe,
                      struct netif_mcast_filter *mcast);

static inline bool netif_queue_failed(const struct netif_queue *q)
{
    return q->stats.fatal;
}

/* One ring's shared indexes as the guest left them, and ours beside them. */
struct netif_ring_view {
    struct netif_sring_header shared;   /* only the four indexes are set */
    uint32_t req_cons;
    uint32_t rsp_prod_pvt;
};

/* For introspection: read `ring`'s indexes once each; no side effects. */
void netif_ring_view(struct netif_queue *q, enum netif_ring ring,
                     struct netif_ring_view *view);

struct netif_work {
    uint32_t done;      /* packets (or multicast requests) handled */
    bool more;          /* budget ran out or new requests: call again */
    bool notify;        /* send an event on this ring's channel */
};

/*
 * Handle at most `budget` TX packets: validate, assemble, deliver, answer.
 * req_prod is read once; every slot is copied out once.  A fatal error
 * fails the queue (netif_queue_failed) and returns at once; later calls
 * do nothing.  When the ring is drained, req_event is re-armed
 * (RING_FINAL_CHECK_FOR_REQUESTS) and `more` reports a late request.
 */
struct netif_work netif_tx_process(struct netif_queue *q, uint32_t budget);

/* A packet for the guest. */
struct netif_rx_packet {
    const uint8_t *data;
    uint32_t len;
    enum netif_csum csum;
    uint8_t gso_type;
    uint16_t gso_size;
};

enum netif_rx_result {
    NETIF_RX_DONE,      /* responses pushed (a failed copy is an error) */
    NETIF_RX_NO_SPACE,  /* not enough RX requests; req_event is armed */
    NETIF_RX_DROPPED,   /* the frontend cannot take this packet */
    NETIF_RX_FAILED,    /* the queue is failed */
};

/*
 * Ring slots `pkt` needs, or 0 if the frontend cannot take it at all (too
 * big, multi-slot without feature-sg, GSO or csum_blank it did not ask
 * for).  The embedding segments or checksums such packets itself.
 */
uint32_t netif_rx_slots_needed(const struct netif_queue *q,
                               const struct netif_rx_packet *pkt);

/*
 * Whether `slots` RX requests are posted.  If not, req_event is set so
 * that the frontend notifies when it posts more (netback's
 * xenvif_rx_ring_slots_available).  Impossible indexes fail the queue.
 */
bool netif_rx_has_slots(struct netif_queue *q, uint32_t slots);

/* Copy one packet into the guest's RX buffers and push the responses. */
enum netif_rx_result netif_rx_put(struct netif_queue *q,
                                  const struct netif_rx_packet *pkt,
                                  bool *notify);

/* ---- Multicast filter (extra info MCAST_ADD / MCAST_DEL) ---- */

bool netif_mcast_add(struct netif_mcast_filter *f, const uint8_t addr[6]);
void netif_mcast_del(struct netif_mcast_filter *f, const uint8_t addr[6]);
bool netif_mcast_match(const struct netif_mcast_filter *f,
                       const uint8_t addr[6]);

/* ---- Flow hashing (netback select_queue) ---- */

/*
 * Toeplitz hash (Microsoft RSS default key) of an Ethernet frame's IPv4 or
 * IPv6 addresses plus TCP/UDP ports when present; 0 for other frames.
 */
uint32_t netif_flow_hash(const uint8_t *frame, size_t len);

/* Queue for a received frame among num_queues (0 when num_queues <= 1). */
uint32_t netif_select_queue(const uint8_t *frame, size_t len,
                            uint32_t num_queues);

/* ---- Software offloads (netif-offload.c) ---- */

/* Where the headers of an Ethernet frame with IPv4/IPv6 + TCP/UDP lie. */
/* The EtherTypes and IP protocols the parsers know */
#define NETIF_ETH_P_IPV4    0x0800
#define NETIF_ETH_P_IPV6    0x86dd
#define NETIF_ETH_P_VLAN    0x8100
#define NETIF_IPPROTO_TCP   6
#define NETIF_IPPROTO_UDP   17

/*
 * The IP header of an Ethernet frame (past one VLAN tag), as far as the
 * frame holds it: the one header parser, under both flow hashing (which
 * takes what there is) and netif_parse_l3l4() (which wants it all valid).
 */
struct netif_l3 {
    uint32_t l3;        /* IP header */
    uint32_t hlen;      /* IPv4: IHL * 4 as the guest set it; IPv6: 40 */
    uint32_t addrs;     /* source then destination address */
    uint32_t addrs_len; /* 8 (IPv4) or 32 (IPv6) */
    uint8_t proto;      /* IPv6: the next header */
    bool ipv6;
    bool fragment;      /* IPv4 MF or a fragment offset */
};

/* False unless the frame holds an IPv4 or IPv6 header's fixed part. */
bool netif_parse_l3(const uint8_t *frame, uint32_t len, struct netif_l3 *out);

struct netif_l3l4 {
    uint32_t l3;        /* IP header */
    uint32_t l4;        /* TCP/UDP header */
    uint32_t l4_hlen;
    uint32_t end;       /* end of the IP packet (frame padding excluded) */
    uint32_t csum_off;  /* the L4 checksum field */
    uint8_t proto;
    bool ipv6;
};

/* Parse and bounds-check the headers; false for anything else. */
bool netif_parse_l3l4(const uint8_t *frame, uint32_t len,
                      struct netif_l3l4 *out);

/* Compute the TCP/UDP checksum in place; false if not such a frame. */
bool netif_csum_complete(uint8_t *frame, uint32_t len);

/* Smallest MSS segmented: bounds the frames made of one guest packet. */
#define NETIF_GSO_MIN_MSS 48u
/* Largest segment built; seg[] must hold this many bytes. */
#define NETIF_GSO_SEG_MAX 65536u

typedef void (*netif_segment_fn)(void *opaque, const uint8_t *frame,
                                 uint32_t len);

/*
 * Cut a TCP frame into segments of at most mss payload bytes, each with
 * its own IP length, IPv4 id and checksum, TCP sequence number and
 * checksum, built in seg[] and passed to out().  Returns the number of
 * segments, or 0 if the frame is not TCP over IPv4/IPv6 or mss is below
 * NETIF_GSO_MIN_MSS (nothing is passed on then).
 */
uint32_t netif_gso_segment(const uint8_t *frame, uint32_t len, uint16_t mss,
                           uint8_t *seg, netif_segment_fn out, void *opaque);

/*
 * RX software LRO: in-order TCP/IPv4 segments of one flow, with the same
 * headers but for sequence, window and PSH, merged into one GSO packet
 * for a frontend with feature-sg and feature-gso-tcpv4.  16 data slots
 * at most, under netfront's 18-slot limit with the GSO extra slot.
 */
#define NETIF_LRO_MAX_FRAME (16u * NETIF_PAGE_SIZE)

struct netif_lro {
    uint32_t len;           /* bytes in buf; 0: nothing held */
    uint32_t segs;
    uint32_t mss;           /* payload of the first segment */
    uint32_t hdr_len;       /* Ethernet, IPv4 and TCP headers */
    uint32_t l4;
    uint32_t next_seq;
    bool closed;            /* nothing more may join: pass it on now */
    uint8_t buf[NETIF_LRO_MAX_FRAME];
};

enum netif_lro_verdict {
    NETIF_LRO_HELD,     /* the frame joined or started the held packet */
    NETIF_LRO_FLUSH,    /* pass the held packet on, then offer it again */
    NETIF_LRO_PASS,     /* nothing held; pass the frame on as it is */
};

enum netif_lro_verdict netif_lro_offer(struct netif_lro *lro,
                                       const uint8_t *frame, uint32_t len);

/*
 * The held packet (lro->len != 0) as an RX packet pointing into lro->buf:
 * one segment as it came (checksum validated), several as a TCPv4 GSO
 * packet with a partial checksum.  The caller clears lro->len once the
 * packet is on the ring.
 */
void netif_lro_packet(struct netif_lro *lro, struct netif_rx_packet *pkt);

#endif
