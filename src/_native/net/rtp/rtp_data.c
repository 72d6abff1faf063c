/* Data over Janus: stream messages and audio metadata on the VideoRoom's data
 * channels (rtp_transport.h, "Data"). Runs on the service's I/O thread, which
 * owns the connection's agora_rtp_media (see rtp_transport.c); nothing here is
 * locked.
 *
 * Send: our remote publisher has a data stream (Janus 1.1.2
 * add_remote_publisher, a "data" stream at some mindex): each message goes to
 * the publish target as one datagram, a 12-byte RTP header (SSRC 1000 + 10 *
 * mindex, payload type 0 = text, 1 = binary) followed by the message. Janus
 * strips the header and relays the message on its data channels (binary or
 * text as the payload type says) to every subscriber and rtp_forward.
 * Receive: Janus's rtp_forward of a publisher's data stream sends each message
 * bare (no header) to a port of ours; every remote user with a data stream gets
 * a socket of its own, so the port names the sender. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/growable.h"
#include "engine/data_stream.h"
#include "net/rtp/data_datagram.h"
#include "net/rtp/rtp_media.h"

#define DATA_RECV_PER_WAKE 32 /* datagrams per data socket per loop turn (fairness) */
#define DATA_RECV_BUF (AGORA_MAX_STREAM_MESSAGE + 64)

struct rtp_data_remote {
    agora_io_watch watch;          /* first: the socket in the I/O loop's epoll */
    agora_rtc_conn *conn;          /* back pointer, no reference (closed before the conn goes) */
    int fd;
    uint16_t port;
    char uid[AGORA_MAX_ID_LEN + 1];
    agora_data_streams limit;      /* the sender's per-second limits, applied on arrival */
};

int agora_rtp_data_ok(const agora_rtc_conn *c, int kind, const uint8_t *data, size_t length)
{
    if (kind == IO_DTMF) /* no channel-wide keys through Janus; a phone's: rtp_send_dtmf */
        return AGORA_ERR_NOT_SUPPORTED;
    /* Janus relays no empty message, and a stream message that begins with the tag
     * would arrive as audio metadata */
    if (kind == IO_MESSAGE && (length == 0 || agora_data_is_metadata(data, length)))
        return AGORA_ERR_INVALID_ARGUMENT;
    /* no data stream in Janus (a control plane that announced none): nowhere to go */
    return atomic_load(&c->net_data_ready) ? AGORA_OK : AGORA_ERR_NOT_SUPPORTED;
}

int agora_rtp_data_set_publish(agora_rtp_media *m, uint32_t ssrc)
{
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    m->dsend.on = 1;
    m->dsend.ssrc = ssrc;
    atomic_store(&m->conn->net_data_ready, 1);
    return AGORA_OK;
}

void agora_rtp_data_send(agora_service *svc, io_item *it)
{
    (void)svc;
    agora_rtp_media *m = agora_rtp_of(it->conn);
    if (!m || m->fd < 0 || !m->have_target || !m->dsend.on) {
        if (m)
            m->st.data_unsent++;
        return;
    }
    int meta = it->kind == IO_METADATA;
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + AGORA_RTP_METADATA_TAG_LEN + AGORA_MAX_STREAM_MESSAGE];
    size_t size = agora_data_datagram_build(pkt, sizeof(pkt), m->dsend.seq, m->dsend.ssrc, meta,
                                            it->data, it->length);
    if (size == 0) {
        m->st.data_unsent++; /* the caller checked the limits: cannot happen */
        return;
    }
    m->dsend.seq++;
    ssize_t n;
    do {
        n = sendto(m->fd, pkt, size, 0, (const struct sockaddr *)&m->dst, m->dst_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        m->st.data_unsent++;
    else if (meta)
        m->st.metadata_sent++;
    else
        m->st.messages_sent++;
}

/* ---- receive ---- */

static void deliver(agora_service *svc, rtp_data_remote *d, const uint8_t *buf, size_t n)
{
    agora_rtp_media *m = agora_rtp_of(d->conn);
    const uint8_t *payload = NULL;
    size_t length = 0;
    int what = agora_data_datagram_classify(buf, n, &payload, &length);
    if (what == AGORA_DATAGRAM_REFUSED ||
        (what == AGORA_DATAGRAM_MESSAGE &&
         agora_dstreams_admit_any(&d->limit, agora_monotonic_ms(), length) != AGORA_OK)) {
        m->st.data_dropped++; /* empty, too large, or over the sender's limits (a browser is
                                 not held to them) */
        return;
    }
    if (what == AGORA_DATAGRAM_METADATA)
        m->st.metadata_received++;
    else
        m->st.messages_received++;
    agora_event *ev = agora_event_new(what == AGORA_DATAGRAM_METADATA ? EV_METADATA : EV_STREAM_MESSAGE,
                                      d->conn, length);
    if (!ev)
        return; /* nobody listens */
    agora_copy_id(ev->uid, d->uid);
    ev->a = DEFAULT_STREAM_ID;
    if (length)
        memcpy(ev->data, payload, length);
    agora_io_post_event(svc, ev);
}

static void data_on_readable(agora_service *svc, agora_io_watch *w)
{
    rtp_data_remote *d = (rtp_data_remote *)w;
    uint8_t buf[DATA_RECV_BUF];
    for (int i = 0; i < DATA_RECV_PER_WAKE && d->fd >= 0; i++) {
        ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if ((size_t)n > sizeof(buf)) {
            agora_rtp_of(d->conn)->st.data_dropped++; /* larger than any message */
            continue;
        }
        deliver(svc, d, buf, (size_t)n);
    }
}

static rtp_data_remote *find(const agora_rtp_media *m, const char *uid)
{
    for (int i = 0; i < m->ndremotes; i++)
        if (strcmp(m->dremotes[i]->uid, uid) == 0)
            return m->dremotes[i];
    return NULL;
}

int agora_rtp_data_add_remote(agora_service *svc, agora_rtc_conn *c, const char *uid, uint16_t *port)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    if (find(m, uid))
        return AGORA_ERR_INVALID_STATE;
    struct sockaddr_storage addr;
    socklen_t alen = sizeof(addr);
    if (getsockname(m->fd, (struct sockaddr *)&addr, &alen) != 0)
        return AGORA_ERR_FAILED;
    /* the main socket's address, any port */
    if (addr.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&addr)->sin6_port = 0;
    else
        ((struct sockaddr_in *)&addr)->sin_port = 0;
    void *grown = agora_grow(m->dremotes, m->ndremotes, &m->dcap, sizeof(*m->dremotes), 4);
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    m->dremotes = grown;
    rtp_data_remote *d = calloc(1, sizeof(*d));
    if (!d)
        return AGORA_ERR_NO_MEMORY;
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    d->watch.on_readable = data_on_readable;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->watch};
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, alen) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0 ||
        epoll_ctl(svc->io_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (fd >= 0)
            close(fd);
        free(d);
        return AGORA_ERR_FAILED;
    }
    d->conn = c;
    d->fd = fd;
    d->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    agora_copy_id(d->uid, uid);
    agora_dstreams_init(&d->limit);
    m->dremotes[m->ndremotes++] = d;
    *port = d->port;
    return AGORA_OK;
}

static void drop(agora_service *svc, agora_rtp_media *m, int i)
{
    rtp_data_remote *d = m->dremotes[i];
    epoll_ctl(svc->io_epfd, EPOLL_CTL_DEL, d->fd, NULL);
    close(d->fd);
    free(d);
    m->dremotes[i] = m->dremotes[--m->ndremotes];
}

int agora_rtp_data_remove_remote(agora_service *svc, agora_rtp_media *m, const char *uid)
{
    for (int i = 0; m && i < m->ndremotes; i++) {
        if (strcmp(m->dremotes[i]->uid, uid) == 0) {
            drop(svc, m, i);
            return AGORA_OK;
        }
    }
    return AGORA_ERR_INVALID_ARGUMENT;
}

void agora_rtp_data_close(agora_service *svc, agora_rtp_media *m)
{
    while (m->ndremotes > 0)
        drop(svc, m, m->ndremotes - 1);
    m->dsend.on = 0;
    atomic_store(&m->conn->net_data_ready, 0);
}

void agora_rtp_data_free(agora_rtp_media *m)
{
    /* normally rtp_close closed them all; closing an fd also takes it out of epoll */
    for (int i = 0; i < m->ndremotes; i++) {
        close(m->dremotes[i]->fd);
        free(m->dremotes[i]);
    }
    m->ndremotes = 0;
    free(m->dremotes);
    m->dremotes = NULL;
}

int agora_rtp_data_remote_count(const agora_rtp_media *m)
{
    return m ? m->ndremotes : 0;
}
