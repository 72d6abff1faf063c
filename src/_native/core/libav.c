/* Run-time loading of FFmpeg's libraries (libav.h). dlopen, not linking: the
 * engine and its wheel work without FFmpeg, and a codec that needs it is
 * refused as not supported (agora_audio_codec_supported says which library
 * was missing). */
#include "core/libav.h"

#ifdef AGORA_HAVE_AVCODEC
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"

static agora_libav av;
static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static int av_ok;

static agora_libsws sws;
static pthread_once_t sws_once = PTHREAD_ONCE_INIT;
static int sws_ok;

#define SYM(t, lib, field, name) (*(void **)&(t).field = dlsym(lib, name))

static void av_load(void)
{
    void *util = dlopen(AGORA_AVUTIL_SONAME, RTLD_NOW | RTLD_LOCAL);
    void *codec = util ? dlopen(AGORA_AVCODEC_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!codec)
        return; /* the handles stay open for the life of the process when found */
    av_ok = SYM(av, codec, find_decoder, "avcodec_find_decoder") &&
            SYM(av, codec, find_encoder_by_name, "avcodec_find_encoder_by_name") &&
            SYM(av, codec, alloc_context3, "avcodec_alloc_context3") &&
            SYM(av, codec, open2, "avcodec_open2") && SYM(av, codec, free_context, "avcodec_free_context") &&
            SYM(av, codec, send_packet, "avcodec_send_packet") &&
            SYM(av, codec, receive_frame, "avcodec_receive_frame") &&
            SYM(av, codec, send_frame, "avcodec_send_frame") &&
            SYM(av, codec, receive_packet, "avcodec_receive_packet") &&
            SYM(av, codec, packet_alloc, "av_packet_alloc") && SYM(av, codec, packet_free, "av_packet_free") &&
            SYM(av, codec, packet_unref, "av_packet_unref") &&
            SYM(av, util, frame_alloc, "av_frame_alloc") && SYM(av, util, frame_free, "av_frame_free") &&
            SYM(av, util, frame_unref, "av_frame_unref") && SYM(av, util, mallocz, "av_mallocz") &&
            SYM(av, util, channel_layout_default, "av_channel_layout_default") &&
            SYM(av, util, opt_set, "av_opt_set") &&
            SYM(av, util, log_get_level, "av_log_get_level") && SYM(av, util, log_set_level, "av_log_set_level");
    /* a refused packet is an error code, not a line on stderr; an app that set
     * libavcodec's log level itself keeps it */
    if (av_ok && av.log_get_level() == AV_LOG_INFO)
        av.log_set_level(AV_LOG_QUIET);
}

static void sws_load(void)
{
    void *lib = agora_libav_get() ? dlopen(AGORA_SWSCALE_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!lib)
        return;
    sws_ok = SYM(sws, lib, get_cached_context, "sws_getCachedContext") && SYM(sws, lib, scale, "sws_scale") &&
             SYM(sws, lib, free_context, "sws_freeContext");
}

#undef SYM

const agora_libav *agora_libav_get(void)
{
    pthread_once(&av_once, av_load);
    return av_ok ? &av : NULL;
}

const agora_libsws *agora_libsws_get(void)
{
    pthread_once(&sws_once, sws_load);
    return sws_ok ? &sws : NULL;
}

const char *agora_libav_name(void)
{
    return AGORA_AVCODEC_SONAME;
}

int agora_libav_send_copy(const agora_libav *lib, AVCodecContext *ctx, AVPacket *pkt, uint8_t **buf,
                          size_t *cap, const uint8_t *data, size_t length)
{
    if (length > (size_t)0x7fffffff - AV_INPUT_BUFFER_PADDING_SIZE)
        return AGORA_ERR_INVALID_ARGUMENT; /* AVPacket.size is an int */
    if (length + AV_INPUT_BUFFER_PADDING_SIZE > *cap) {
        uint8_t *grown = realloc(*buf, length + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!grown)
            return AGORA_ERR_NO_MEMORY;
        *buf = grown;
        *cap = length + AV_INPUT_BUFFER_PADDING_SIZE;
    }
    memcpy(*buf, data, length);
    memset(*buf + length, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    pkt->data = *buf;
    pkt->size = (int)length;
    return lib->send_packet(ctx, pkt) < 0 ? AGORA_ERR_INVALID_ARGUMENT : AGORA_OK;
}

#else

const char *agora_libav_name(void)
{
    return "libavcodec (not found when agora_rtc was built)";
}

#endif
