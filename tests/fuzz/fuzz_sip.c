/* libFuzzer harness: the SIP agent's network entry points (net/sip/): an input
 * is taken as the SDP offer of an INVITE (libre's decoder, then what
 * sip_offer.c makes of it, the SDES keys sip_sdes.c takes from it and the answer
 * it encodes) and as a whole SIP
 * message (libre's parser, then the parts sip_agent.c reads from it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "net/sip/sip_offer.h"
#include "net/sip/sip_sdes.h"

static volatile uint32_t sink;

static void as_offer(struct mbuf *mb)
{
    struct sa laddr;
    struct sdp_session *sess = NULL;
    struct sdp_media *media = NULL;
    sa_set_str(&laddr, "127.0.0.1", 0);
    if (agora_sip_sdp_new(&sess, &media, &laddr, AGORA_SIP_SRTP_OPTIONAL))
        return;
    if (!sdp_decode(sess, mb, true)) {
        agora_sip_event ev;
        memset(&ev, 0, sizeof(ev));
        if (!agora_sip_sdp_media(media, &ev)) {
            sink += (uint32_t)ev.codec + ev.remote_port + (uint32_t)ev.dtmf_payload_type;
            struct mbuf *answer = NULL;
            sdp_media_set_lport(media, 4000);
            agora_sdes_crypto crypto; /* the SDES keys of the offer, and our answer's line */
            if (agora_sdes_pick(media, 0, &crypto) == 1) {
                sink += crypto.tag + (uint32_t)crypto.suite + crypto.key[29];
                (void)agora_sdes_set_local(media, &crypto, 0);
            }
            if (!agora_sip_sdp_answer_ptime(media) && !sdp_encode(&answer, sess, false))
                mem_deref(answer);
        }
    }
    mem_deref(sess);
}

static void as_message(struct mbuf *mb)
{
    struct sip_msg *msg = NULL;
    if (sip_msg_decode(&msg, mb))
        return;
    char from[AGORA_SIP_MAX_TEXT], to[AGORA_SIP_MAX_TEXT];
    (void)pl_strcpy(&msg->from.uri.user, from, sizeof(from));
    (void)pl_strcpy(&msg->uri.user, to, sizeof(to));
    sink += (uint32_t)strlen(from) + (uint32_t)strlen(to) + (uint32_t)mbuf_get_left(msg->mb);
    if (mbuf_get_left(msg->mb))
        as_offer(msg->mb);
    mem_deref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (libre_init())
            return 0;
        ready = 1;
    }
    struct mbuf *mb = mbuf_alloc(size + 1);
    if (!mb)
        return 0;
    (void)mbuf_write_mem(mb, data, size);
    mb->pos = 0;
    as_offer(mb);
    mb->pos = 0;
    as_message(mb);
    mem_deref(mb);
    return 0;
}
