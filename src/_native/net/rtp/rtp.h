/* RTP / RTCP wire format (RFC 3550) and receiver statistics (internal to the
 * engine; used by the Janus transport, see JANUS.md).
 *
 * Contents
 * --------
 * - RTP header parse: every field of RFC 3550 section 5.1 (version, padding,
 *   extension, CSRC list, marker, payload type, sequence, timestamp, SSRC),
 *   plus a lookup of RFC 8285 header extension elements.
 * - RTP header build (V=2, no padding, no extension, no CSRC).
 * - RTCP compound packet iteration (SR, RR, SDES, BYE, APP; any other packet
 *   type is returned with its common header and raw body), and accessors that
 *   decode report blocks, SDES items, BYE SSRCs one at a time.
 * - RTCP build: SR, RR, SDES with one CNAME chunk; payload-specific
 *   feedback PLI (RFC 4585 6.3.1) and FIR (RFC 5104 4.3.1) keyframe requests.
 * - Receiver statistics of one source: sequence validation with probation
 *   (RFC 3550 A.1), loss (A.3), interarrival jitter (A.8), LSR/DLSR, folded
 *   into a report block.
 *
 * Contract shared by every function here
 * --------------------------------------
 * - No allocation, no locks, no global state: every call only touches the
 *   memory passed to it, so any thread may use it (one owner per object).
 * - Parsers never read outside [buf, buf + len) whatever the bytes are
 *   (fuzzed with random buffers), and every pointer they return points into
 *   the caller's buffer: it stays valid as long as that buffer does.
 * - Errors are the negative codes of agora_rtc/errors.h: a malformed packet
 *   is AGORA_ERR_INVALID_ARGUMENT, a too small output buffer is
 *   AGORA_ERR_BUFFER_TOO_SMALL. Multi-byte fields are network byte order on
 *   the wire and host order in the structs. */
#ifndef AGORA_RTC_RTP_H
#define AGORA_RTC_RTP_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_RTP_VERSION 2
#define AGORA_RTP_HEADER_SIZE 12 /* fixed header, without CSRCs / extension */
#define AGORA_RTP_MAX_CSRC 15

/* ------------------------------------------------------------------ RTP */

/* A parsed RTP packet. Pointers point into the parsed buffer. */
typedef struct agora_rtp_packet {
    uint8_t version;      /* always 2 after a successful parse */
    uint8_t padding;      /* P bit */
    uint8_t extension;    /* X bit */
    uint8_t csrc_count;   /* CC, 0..15 */
    uint8_t marker;       /* M bit */
    uint8_t payload_type; /* 0..127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint32_t csrc[AGORA_RTP_MAX_CSRC]; /* csrc[0 .. csrc_count-1] are valid */
    /* Header extension (only when extension == 1): the 16-bit "defined by
     * profile" word (0xBEDE = RFC 8285 one-byte elements, 0x100X = two-byte
     * elements) and the extension data that follows the 4-byte extension
     * header, ext_len = 4 * (length field) bytes (may be 0). */
    uint16_t ext_profile;
    const uint8_t *ext_data; /* NULL when extension == 0 */
    size_t ext_len;
    size_t header_len;       /* 12 + 4*CC (+ 4 + ext_len): payload offset */
    size_t padding_len;      /* trailing padding bytes, count byte included */
    const uint8_t *payload;  /* never NULL after a successful parse */
    size_t payload_len;      /* may be 0 */
} agora_rtp_packet;

/* Parse one RTP packet of len bytes. Returns AGORA_OK and fills *out, or
 * AGORA_ERR_INVALID_ARGUMENT (out untouched beyond unspecified partial
 * fields) when buf/out is NULL or the packet is malformed:
 *   - shorter than 12 bytes, or version != 2;
 *   - CSRC list or extension header/data running past the end;
 *   - P bit set with a padding count of 0 or larger than what follows the
 *     header (padding may not eat into the header or extension).
 * An empty payload is valid. No check on the payload type: call
 * agora_rtp_is_rtcp() first when RTP and RTCP share a socket. */
int agora_rtp_parse(const uint8_t *buf, size_t len, agora_rtp_packet *out);

/* RFC 5761 demultiplexing: 1 when buf looks like RTCP (version 2 and a
 * second byte in 192..223, i.e. RTCP packet types 192..223, which RTP
 * payload types 64..95 with the marker bit would collide with), 0 when it
 * looks like RTP, -1 when it is neither (shorter than 2 bytes or version != 2). */
int agora_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Find header extension element `id` in a parsed packet's extension block.
 * Handles RFC 8285 one-byte (profile 0xBEDE, ids 1..14) and two-byte
 * (profile 0x1000..0x100F, ids 1..255) elements, skipping padding bytes.
 * Returns 1 and sets *data / *len (len may be 0 for two-byte elements) when
 * found, 0 when absent (or no extension, or another profile, or a malformed
 * block: the walk stops at the first element that would run past the end). */
int agora_rtp_find_extension(const agora_rtp_packet *pkt, int id,
                             const uint8_t **data, size_t *len);

/* Write a 12-byte RTP header: V=2, P=0, X=0, CC=0, M=marker != 0,
 * PT=payload_type (0..127). Returns 12, AGORA_ERR_BUFFER_TOO_SMALL when
 * cap < 12, AGORA_ERR_INVALID_ARGUMENT when buf is NULL or the payload type
 * is out of range. Encode the payload straight into buf + 12 to avoid a copy. */
int agora_rtp_write_header(uint8_t *buf, size_t cap, int marker, int payload_type,
                           uint16_t seq, uint32_t timestamp, uint32_t ssrc);

/* Header + payload (copied with memmove, so payload may already sit at
 * buf + 12; payload may be NULL when payload_len is 0). Returns the packet
 * length 12 + payload_len or a negative error (as write_header; also
 * AGORA_ERR_INVALID_ARGUMENT when payload is NULL with payload_len > 0 or
 * the length would not fit in an int). */
int agora_rtp_build(uint8_t *buf, size_t cap, int marker, int payload_type,
                    uint16_t seq, uint32_t timestamp, uint32_t ssrc,
                    const uint8_t *payload, size_t payload_len);

/* An RTP keepalive: a packet with no payload, only padding (RFC 3550 5.1:
 * P bit set, 4 padding bytes, the last one counting them), marker 0. A
 * sender with nothing to say sends one now and then so that receivers (and
 * relays that only forward RTP) can tell a paused source from a dead one;
 * agora_rtp_parse reports it with payload_len 0 and padding 1. Returns
 * AGORA_RTP_KEEPALIVE_SIZE or a negative error as agora_rtp_write_header. */
#define AGORA_RTP_KEEPALIVE_SIZE (AGORA_RTP_HEADER_SIZE + 4)
int agora_rtp_build_keepalive(uint8_t *buf, size_t cap, int payload_type, uint16_t seq,
                              uint32_t timestamp, uint32_t ssrc);

/* ------------------------------------------------------------------ NTP */

/* 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, binary
 * fraction in the low 32) of CLOCK_REALTIME now. */
uint64_t agora_ntp_now(void);
/* Middle 32 bits of an NTP timestamp (the "LSR" format, 1/65536 s units). */
static inline uint32_t agora_ntp_compact(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

/* ----------------------------------------------------------------- RTCP */

enum agora_rtcp_type {
    AGORA_RTCP_SR = 200,
    AGORA_RTCP_RR = 201,
    AGORA_RTCP_SDES = 202,
    AGORA_RTCP_BYE = 203,
    AGORA_RTCP_APP = 204,
    AGORA_RTCP_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    AGORA_RTCP_PSFB = 206,  /* RFC 4585 payload-specific feedback */
};

/* Feedback message types (FMT, the 5-bit count field) of PSFB packets. */
enum agora_rtcp_psfb_fmt {
    AGORA_RTCP_PSFB_PLI = 1, /* Picture Loss Indication, RFC 4585 6.3.1 */
    AGORA_RTCP_PSFB_FIR = 4, /* Full Intra Request, RFC 5104 4.3.1 */
};
#define AGORA_RTCP_PLI_SIZE 12
#define AGORA_RTCP_FIR_SIZE 20 /* with one FCI entry */

enum agora_rtcp_sdes_type {
    AGORA_SDES_END = 0,
    AGORA_SDES_CNAME = 1,
    AGORA_SDES_NAME = 2,
    /* 3..8: EMAIL PHONE LOC TOOL NOTE PRIV */
};

#define AGORA_RTCP_MAX_REPORTS 31 /* RC is a 5-bit field */
#define AGORA_RTCP_REPORT_BLOCK_SIZE 24

typedef struct agora_rtcp_sender_info {
    uint64_t ntp;          /* NTP timestamp of the report */
    uint32_t rtp_ts;       /* the same instant on the RTP clock */
    uint32_t packet_count; /* packets sent since the start */
    uint32_t octet_count;  /* payload octets sent since the start */
} agora_rtcp_sender_info;

typedef struct agora_rtcp_report_block {
    uint32_t ssrc;            /* source this block is about */
    uint8_t fraction_lost;    /* lost fraction since the last report, /256 */
    int32_t cumulative_lost;  /* 24-bit signed on the wire: clamped to
                                 -0x800000..0x7FFFFF when building */
    uint32_t ext_highest_seq; /* cycles << 16 | highest seq */
    uint32_t jitter;          /* interarrival jitter, RTP timestamp units */
    uint32_t lsr;             /* compact NTP of the last SR received, 0 if none */
    uint32_t dlsr;            /* delay since that SR, 1/65536 s, 0 if none */
} agora_rtcp_report_block;

/* One packet of a compound RTCP packet, as returned by agora_rtcp_next().
 * body/body_len: what follows the 4-byte common header, padding excluded.
 * Type-specific fields are filled for the type in `type`; the counted lists
 * (report blocks, SDES chunks, BYE SSRCs) are validated to fit in the body
 * and are decoded on demand with the accessors below. */
typedef struct agora_rtcp_packet {
    uint8_t padding; /* P bit */
    uint8_t count;   /* RC / SC / APP subtype / RTPFB-PSFB FMT (5 bits) */
    uint8_t type;    /* packet type (200..204, or anything else) */
    size_t length;   /* whole packet in bytes: 4 * (length field + 1) */
    const uint8_t *body;
    size_t body_len;
    uint32_t ssrc;   /* SR/RR: sender SSRC; APP: SSRC/CSRC; BYE: first SSRC
                        (0 when SC == 0); SDES: SSRC of the first chunk
                        (0 when SC == 0); RTPFB/PSFB: SSRC of the packet
                        sender; others: first body word or 0 */
    uint32_t media_ssrc;           /* RTPFB/PSFB: SSRC of the media source
                                      (0 in a FIR, whose targets are in the FCI) */
    const uint8_t *fci;            /* RTPFB/PSFB: feedback control information */
    size_t fci_len;                /* (may be 0, e.g. PLI) */
    agora_rtcp_sender_info sender; /* SR only */
    const uint8_t *reports;        /* SR/RR: count blocks of 24 bytes */
    const uint8_t *ext;            /* SR/RR: profile-specific extension */
    size_t ext_len;
    char app_name[5];              /* APP: 4 ASCII chars + NUL */
    const uint8_t *app_data;       /* APP: application data */
    size_t app_data_len;
    const uint8_t *bye_reason;     /* BYE: reason text (not NUL-terminated) */
    size_t bye_reason_len;         /* 0 and bye_reason NULL when absent */
} agora_rtcp_packet;

/* Iterator over a compound packet (initialise with agora_rtcp_iter_init). */
typedef struct agora_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
} agora_rtcp_iter;

void agora_rtcp_iter_init(agora_rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 and fills *out with the next packet, 0 at the end of the
 * compound packet, AGORA_ERR_INVALID_ARGUMENT when the next packet is
 * malformed (then the iteration is over: later calls return 0). Malformed:
 * fewer than 4 bytes left, version != 2, length field past the end, bad
 * padding count (0 or more than the body), or a type-specific layout that
 * does not fit (SR/RR report blocks, SDES chunks not properly terminated,
 * BYE SSRC list or reason, APP shorter than 8 bytes, RTPFB/PSFB shorter
 * than 8 bytes, FIR FCI not a multiple of 8 bytes). Packets after a
 * malformed one are not looked at. Validation is per packet: the RFC 3550
 * compound rules (SR/RR first, padding only on the last packet) are not
 * enforced, to accept reduced-size RTCP (RFC 5506). */
int agora_rtcp_next(agora_rtcp_iter *it, agora_rtcp_packet *out);

/* Decode report block i (0 <= i < pkt->count) of an SR or RR. Returns
 * AGORA_OK, or AGORA_ERR_INVALID_ARGUMENT for another type or i out of range. */
int agora_rtcp_get_report(const agora_rtcp_packet *pkt, int i,
                            agora_rtcp_report_block *out);

/* Walk the SDES items of an SDES packet, chunk after chunk. */
typedef struct agora_rtcp_sdes_iter {
    const agora_rtcp_packet *pkt;
    size_t pos;      /* offset in pkt->body of the next thing to read */
    int chunks_left; /* chunks not yet started */
    int in_chunk;    /* pos is inside a chunk's item list */
    uint32_t ssrc;   /* SSRC/CSRC of the current chunk */
} agora_rtcp_sdes_iter;

void agora_rtcp_sdes_iter_init(agora_rtcp_sdes_iter *it, const agora_rtcp_packet *pkt);
/* Returns 1 with one item (type 1..255, data/len pointing into the packet)
 * of the chunk of *ssrc, 0 when there are no more items (or pkt is not an
 * SDES packet). Chunks without items yield nothing. Bounds-checked even on
 * a hand-made pkt. */
int agora_rtcp_sdes_next(agora_rtcp_sdes_iter *it, uint32_t *ssrc, uint8_t *type,
                         const uint8_t **data, size_t *len);

/* SSRC i (0 <= i < pkt->count) of a BYE packet; 0 when out of range. */
uint32_t agora_rtcp_bye_ssrc(const agora_rtcp_packet *pkt, int i);

/* Build a Sender Report with n report blocks (0..31). Returns its length
 * (28 + 24 n) or AGORA_ERR_BUFFER_TOO_SMALL / AGORA_ERR_INVALID_ARGUMENT.
 * Fill si->ntp with agora_ntp_now() and si->rtp_ts with the RTP timestamp
 * of that same instant. */
int agora_rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc,
                        const agora_rtcp_sender_info *si,
                        const agora_rtcp_report_block *blocks, int n);
/* Build a Receiver Report with n report blocks (0..31): 8 + 24 n bytes. */
int agora_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                        const agora_rtcp_report_block *blocks, int n);
/* Build an SDES packet with one chunk: ssrc + CNAME item (cname_len
 * 1..255 bytes) + END, padded to 32 bits. Append it after an SR/RR to make
 * the compound packet RFC 3550 asks for. Returns its length or an error. */
int agora_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc,
                                const char *cname, size_t cname_len);

/* Build a BYE packet for n SSRCs (1..31), without a reason: 4 + 4 n bytes.
 * RFC 3550 6.6: send it after an SR or RR in one compound packet when
 * leaving; the receivers then drop those sources at once. */
int agora_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, int n);

/* Build a PLI (PSFB, FMT=1): sender_ssrc asks media_ssrc for a keyframe.
 * Returns AGORA_RTCP_PLI_SIZE or AGORA_ERR_BUFFER_TOO_SMALL /
 * AGORA_ERR_INVALID_ARGUMENT (buf NULL). A compound packet should start with
 * an RR (RFC 4585 3.1); RFC 5506 reduced-size RTCP may send it alone. */
int agora_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* Build a FIR (PSFB, FMT=4) with one FCI entry for media_ssrc and command
 * sequence number seq_nr (increment it per new request, RFC 5104 4.3.1.1).
 * The common media source field is 0 as RFC 5104 requires. Returns
 * AGORA_RTCP_FIR_SIZE or a negative error as build_pli. */
int agora_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                         uint8_t seq_nr);
/* Whether a parsed RTCP packet is a keyframe request for `media_ssrc`:
 * returns 1 for a PLI whose media_ssrc matches (*is_fir = 0), or a FIR with
 * an FCI entry for media_ssrc (*is_fir = 1, *fir_seq_nr = its command
 * sequence number: a FIR repeating the previous number is a retransmission
 * of the same request, RFC 5104 4.3.1.2); 0 for anything else (other types,
 * other SSRCs, pkt NULL). is_fir and fir_seq_nr may be NULL. */
int agora_rtcp_is_keyframe_request(const agora_rtcp_packet *pkt, uint32_t media_ssrc,
                                   int *is_fir, uint8_t *fir_seq_nr);

/* ------------------------------------------------ receiver statistics */

/* Per-source receive statistics (RFC 3550 A.1, A.3, A.8). Plain data: the
 * owner thread updates it for each packet and reads it when sending RTCP.
 * Times are the caller's monotonic clock in microseconds. */
typedef struct agora_rtp_rx_stats {
    uint32_t ssrc;
    uint32_t clock_rate;   /* RTP clock in Hz (48000 for Opus) */
    /* A.1 sequence state */
    uint16_t max_seq;      /* highest sequence number seen */
    uint32_t cycles;       /* shifted count of sequence number wraps */
    uint32_t base_seq;     /* first valid sequence number */
    uint32_t bad_seq;      /* last 'bad' seq + 1 (a possible restart) */
    uint32_t probation;    /* sequential packets still needed to validate */
    uint32_t received;     /* valid packets received (duplicates included) */
    uint32_t expected_prior;
    uint32_t received_prior;
    /* A.8 jitter, in RTP units scaled by 16 */
    uint32_t jitter_q4;
    int32_t transit;       /* arrival - timestamp of the previous packet */
    int have_transit;
    int started;           /* a first packet was seen */
    /* last SR from this source */
    uint32_t lsr;          /* compact NTP, 0 when no SR yet */
    uint64_t lsr_arrival_us;
} agora_rtp_rx_stats;

/* Reset *s for source ssrc on an RTP clock of clock_rate Hz (> 0). */
void agora_rtp_rx_init(agora_rtp_rx_stats *s, uint32_t ssrc, uint32_t clock_rate);

/* Account one received RTP packet (seq, RTP timestamp, arrival time).
 * Returns 1 when the packet is valid and counted (the source is out of
 * probation), 0 while on probation (MIN_SEQUENTIAL = 2 in-order packets are
 * needed after the first packet and after a restart) or when the packet is
 * dropped as a bad sequence jump (MAX_DROPOUT = 3000 ahead or MAX_MISORDER
 * = 100 behind; two sequential such packets are taken as a restart of the
 * source and reset the counters). Jitter is only updated by valid packets. */
int agora_rtp_rx_update(agora_rtp_rx_stats *s, uint16_t seq, uint32_t rtp_ts,
                        uint64_t arrival_us);

/* Record a Sender Report from this source received at arrival_us. */
void agora_rtp_rx_on_sr(agora_rtp_rx_stats *s, uint64_t sr_ntp, uint64_t arrival_us);

/* Interarrival jitter in RTP timestamp units (the report block value). */
static inline uint32_t agora_rtp_rx_jitter(const agora_rtp_rx_stats *s) { return s->jitter_q4 >> 4; }
/* Extended highest sequence number received. */
static inline uint32_t agora_rtp_rx_ext_max(const agora_rtp_rx_stats *s) { return s->cycles + s->max_seq; }

/* Fill a report block about this source at now_us and start a new
 * reporting interval (the fraction lost is computed since the previous call
 * per A.3; cumulative lost is clamped to 24-bit signed). Before the source
 * is validated every counter is 0. */
void agora_rtp_rx_report(agora_rtp_rx_stats *s, uint64_t now_us, agora_rtcp_report_block *out);

#endif
