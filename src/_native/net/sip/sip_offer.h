/* SDP offer/answer of a call's audio (libre's sdp module): what we offer and
 * accept, and what was agreed. Loop thread of the agent (and the fuzz harness). */
#ifndef AGORA_RTC_SIP_OFFER_H
#define AGORA_RTC_SIP_OFFER_H

#include <re.h>
#include "agora_rtc/sip.h"

/* A session with one audio stream at laddr: G.722 (payload type 9), PCMU, PCMA, Opus (payload type
 * 111, 48 kHz, in-band FEC) and telephone-event 0-15 (the port is set when the call's RTP socket is known).
 * srtp (enum agora_sip_srtp): off, RTP/AVP only; optional, RTP/AVP offered, RTP/SAVP
 * offers taken too; mandatory, RTP/SAVP offered, either taken (the a=crypto lines:
 * sip_sdes.h). 0 or an errno. */
int agora_sip_sdp_new(struct sdp_session **sess, struct sdp_media **media, const struct sa *laddr,
                      int srtp);
/* What the decoded remote description agreed on, into ev (codec, payload
 * types, remote address and RTCP port, hold). 0 when there is a common audio
 * codec, -1 when not. */
int agora_sip_sdp_media(const struct sdp_media *media, agora_sip_event *ev);
/* Our answer repeats the remote's a=ptime when we send in it (the event's ptime_ms, see
 * sip.h), and says none otherwise (the default, 20 ms). Call after decoding the offer,
 * before encoding the answer. 0 or an errno. */
int agora_sip_sdp_answer_ptime(struct sdp_media *media);

#endif
