/* The SDP of a call's audio (sip_offer.h). */
#include "agora_rtc/rtp_transport.h"
#include "net/sip/sip_offer.h"

#include <string.h>

int agora_sip_sdp_new(struct sdp_session **sess, struct sdp_media **media, const struct sa *laddr,
                      int srtp)
{
    int err = sdp_session_alloc(sess, laddr);
    if (!err)
        err = sdp_media_add(media, *sess, "audio", 9,
                            srtp == AGORA_SIP_SRTP_MANDATORY ? "RTP/SAVP" : "RTP/AVP");
    if (!err && srtp != AGORA_SIP_SRTP_OFF) /* offers in either profile are taken */
        err = sdp_media_set_alt_protos(*media, 2, "RTP/AVP", "RTP/SAVP");
    if (!err) /* wideband first; its RTP clock is 8000 Hz for 16 kHz audio (RFC 3551) */
        err = sdp_format_add(NULL, *media, false, "9", "G722", 8000, 1, NULL, NULL, NULL, false,
                             NULL);
    if (!err)
        err = sdp_format_add(NULL, *media, false, "0", "PCMU", 8000, 1, NULL, NULL, NULL, false,
                             NULL);
    if (!err)
        err = sdp_format_add(NULL, *media, false, "8", "PCMA", 8000, 1, NULL, NULL, NULL, false,
                             NULL);
    if (!err) /* RFC 7587: always announced as 2 channels; we send mono, decode to mono */
        err = sdp_format_add(NULL, *media, false, "111", "opus", 48000, 2, NULL, NULL, NULL, false,
                             "minptime=10;useinbandfec=1");
    if (!err)
        err = sdp_format_add(NULL, *media, false, "101", "telephone-event", 8000, 1, NULL, NULL,
                             NULL, false, "0-15");
    if (err)
        *sess = mem_deref(*sess); /* frees the media with it */
    return err;
}

/* The remote's first format we also have that is audio (not telephone-event),
 * NULL when none. */
static const struct sdp_format *agreed_audio(const struct sdp_media *media)
{
    for (struct le *le = list_head(sdp_media_format_lst(media, false)); le; le = le->next) {
        const struct sdp_format *f = le->data;
        if (f->sup && f->name && (!str_casecmp(f->name, "PCMU") || !str_casecmp(f->name, "PCMA") ||
                                  !str_casecmp(f->name, "G722") || !str_casecmp(f->name, "opus")))
            return f;
    }
    return NULL;
}

int agora_sip_sdp_media(const struct sdp_media *media, agora_sip_event *ev)
{
    const struct sdp_format *f = agreed_audio(media);
    if (!f)
        return -1;
    const struct sdp_format *te = sdp_media_rformat(media, "telephone-event");
    ev->dtmf_payload_type = te ? te->pt : -1;
    ev->codec = !str_casecmp(f->name, "PCMA") ? AGORA_RTP_AUDIO_PCMA
              : !str_casecmp(f->name, "G722") ? AGORA_RTP_AUDIO_G722
              : !str_casecmp(f->name, "opus") ? AGORA_RTP_AUDIO_OPUS
                                               : AGORA_RTP_AUDIO_PCMU;
    ev->payload_type = f->pt;
    ev->ptime_ms = 0;
    const char *ptime = sdp_media_rattr(media, "ptime");
    if (ptime && ev->codec != AGORA_RTP_AUDIO_OPUS) { /* digits only, a length we send */
        struct pl pl;
        pl_set_str(&pl, ptime);
        uint32_t ms = pl.l <= 4 ? pl_u32(&pl) : 0;
        ev->ptime_ms = ms >= AGORA_SIP_PTIME_MIN && ms <= AGORA_SIP_PTIME_MAX ? (int)ms : 0;
    }
    const struct sa *ra = sdp_media_raddr(media);
    ev->remote_port = sa_port(ra);
    if (sa_isset(ra, SA_ADDR))
        sa_ntop(ra, ev->remote_ip, sizeof(ev->remote_ip));
    struct sa rtcp;
    sdp_media_raddr_rtcp(media, &rtcp);
    ev->remote_rtcp_port = sa_port(&rtcp);
    enum sdp_dir dir = sdp_media_rdir(media);
    ev->hold = ev->remote_port == 0 || !(dir & SDP_SENDONLY) ||
               (sa_isset(ra, SA_ADDR) && sa_is_any(ra));
    return 0;
}

int agora_sip_sdp_answer_ptime(struct sdp_media *media)
{
    agora_sip_event ev;
    memset(&ev, 0, sizeof(ev));
    if (agora_sip_sdp_media(media, &ev) || !ev.ptime_ms) {
        sdp_media_del_lattr(media, "ptime");
        return 0;
    }
    return sdp_media_set_lattr(media, true, "ptime", "%d", ev.ptime_ms);
}
