# 1:1 mirror of the native RTC C API headers in src/_native/include/agora_rtc/
# (and only those: the engine module is compiled without the engine's internal
# headers on its include path). agora_rtc/video_rtp.h (RTP payload formats for
# video) is called only by the test/benchmark hooks of _video_rtp.pxi.
# Every function is declared nogil: the engine never touches Python objects.
from libc.stdint cimport int16_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "agora_rtc/errors.h" nogil:
    enum agora_error_code:
        AGORA_OK
        AGORA_ERR_FAILED
        AGORA_ERR_INVALID_ARGUMENT
        AGORA_ERR_NOT_READY
        AGORA_ERR_NOT_SUPPORTED
        AGORA_ERR_REFUSED
        AGORA_ERR_BUFFER_TOO_SMALL
        AGORA_ERR_NOT_INITIALIZED
        AGORA_ERR_INVALID_STATE
        AGORA_ERR_NO_MEMORY
        AGORA_ERR_TOO_OFTEN
        AGORA_ERR_TOO_LARGE
    const char *agora_strerror(int code)


cdef extern from "agora_rtc/audio_labels.h" nogil:
    ctypedef struct agora_audio_labels:
        int rms
        float dbfs
        int voice_prob
        int music_prob
        int pitch_hz
        int far_field

    ctypedef struct agora_label_analyzer:
        pass

    agora_label_analyzer *agora_label_analyzer_create(int sample_rate, int channels)
    void agora_label_analyzer_destroy(agora_label_analyzer *a)
    void agora_label_analyzer_reset(agora_label_analyzer *a)
    int agora_label_analyzer_process(agora_label_analyzer *a, const int16_t *pcm,
                                     int samples_per_channel, agora_audio_labels *out)


cdef extern from "agora_rtc/vad.h" nogil:
    enum agora_vad_state:
        AGORA_VAD_NOT_SPEAKING
        AGORA_VAD_START_SPEAKING
        AGORA_VAD_SPEAKING
        AGORA_VAD_STOP_SPEAKING

    ctypedef struct agora_vad_config:
        int pre_start_recognize_count
        int start_recognize_count
        int stop_recognize_count
        float active_percent
        float inactive_percent
        int start_voice_prob
        int stop_voice_prob
        float start_rms_threshold
        float stop_rms_threshold
        int adaptive_rms
        float adaptive_rms_factor
        int start_run_count

    void agora_vad_config_default(agora_vad_config *cfg)
    int agora_vad_config_validate(const agora_vad_config *cfg)

    ctypedef struct agora_vad:
        pass

    ctypedef struct agora_vad_result:
        int state
        const uint8_t *bytes
        size_t length

    agora_vad *agora_vad_create(const agora_vad_config *cfg, size_t frame_bytes)
    void agora_vad_destroy(agora_vad *v)
    void agora_vad_reset(agora_vad *v)
    int agora_vad_process(agora_vad *v, const agora_audio_labels *labels,
                          const uint8_t *frame, size_t frame_bytes, agora_vad_result *out)


cdef extern from "agora_rtc/audio_processing.h" nogil:
    int AGORA_APM_NOISE_SUPPRESSION
    int AGORA_APM_AGC
    ctypedef struct agora_apm:
        pass
    agora_apm *agora_apm_create(int sample_rate, int channels, int flags)
    void agora_apm_destroy(agora_apm *a)
    int agora_apm_flags(const agora_apm *a)
    int agora_apm_process(agora_apm *a, int16_t *pcm, int samples_per_channel)


cdef extern from "agora_rtc/audio_frame.h" nogil:
    int AGORA_AUDIO_FRAME_TYPE_PCM16

    ctypedef struct agora_audio_frame:
        int type
        int samples_per_channel
        int bytes_per_sample
        int channels
        int samples_per_sec
        const int16_t *buffer
        int64_t render_time_ms
        int64_t send_time_us
        int64_t presentation_ms
        uint32_t rtp_timestamp
        agora_audio_labels labels


cdef extern from "agora_rtc/service.h" nogil:
    ctypedef struct agora_service:
        pass

    ctypedef struct agora_service_config:
        const char *app_id
        const char *transport_url
        int audio_scenario
        int prefill_ms
        int use_string_uid
        int receive_threads

    agora_service *agora_service_create()
    int agora_service_initialize(agora_service *svc, const agora_service_config *cfg)
    int agora_service_release(agora_service *svc)
    int agora_service_set_prefill_ms(agora_service *svc, int prefill_ms)
    int AGORA_STATS_INTERVAL_MS
    int agora_service_set_stats_interval_ms(agora_service *svc, int interval_ms)
    int agora_service_on_delivery_thread(const agora_service *svc)
    int64_t agora_monotonic_ms()


cdef extern from "agora_rtc/sip.h" nogil:
    ctypedef struct agora_sip_agent:
        pass
    int AGORA_SIP_MAX_TEXT
    int AGORA_SIP_EVENT_QUEUE
    ctypedef struct agora_sip_config:
        const char *listen_ip
        uint16_t listen_port
        const char *user
        const char *registrar
        const char *password
        int expires
        int keepalive_s
        int registrar_tls
        int srtp
        const char *tls_cert_pem
        const char *tls_key_pem
        uint16_t tls_port
    int AGORA_SIP_SRTP_KEY_LEN
    enum agora_sip_srtp:
        AGORA_SIP_SRTP_OFF
        AGORA_SIP_SRTP_OPTIONAL
        AGORA_SIP_SRTP_MANDATORY
    enum agora_sip_event_kind:
        AGORA_SIP_EV_INCOMING
        AGORA_SIP_EV_PROGRESS
        AGORA_SIP_EV_ESTABLISHED
        AGORA_SIP_EV_CLOSED
        AGORA_SIP_EV_MEDIA
        AGORA_SIP_EV_REGISTERED
        AGORA_SIP_EV_TRANSFER
    ctypedef struct agora_sip_event:
        int kind
        uint32_t call
        int status
        char from_user[128]
        char to_user[128]
        char remote_ip[128]
        uint16_t remote_port
        uint16_t remote_rtcp_port
        int codec
        int payload_type
        int dtmf_payload_type
        int ptime_ms
        int hold
        char reason[128]
        int srtp_suite
        uint8_t srtp_remote_key[30]
        uint8_t srtp_local_key[30]
    ctypedef struct agora_sip_stats:
        uint64_t invites
        uint64_t rejected_offers
        uint64_t rejected_busy
        uint64_t options
        int calls
        uint64_t keepalives_sent
        uint64_t keepalives_answered
        int keepalive_status
    int agora_sip_agent_create(const agora_sip_config *config, agora_sip_agent **out)
    uint16_t agora_sip_agent_port(const agora_sip_agent *agent)
    uint16_t agora_sip_agent_tls_port(const agora_sip_agent *agent)
    int agora_sip_next_event(agora_sip_agent *agent, agora_sip_event *out, int timeout_ms)
    int agora_sip_answer(agora_sip_agent *agent, uint32_t call, const char *media_ip,
                         uint16_t media_port)
    int agora_sip_progress(agora_sip_agent *agent, uint32_t call, const char *media_ip,
                           uint16_t media_port)
    int agora_sip_reject(agora_sip_agent *agent, uint32_t call, int status)
    int agora_sip_dial(agora_sip_agent *agent, const char *uri, const char *media_ip,
                       uint16_t media_port, uint32_t *call)
    int agora_sip_hangup(agora_sip_agent *agent, uint32_t call)
    int agora_sip_transfer(agora_sip_agent *agent, uint32_t call, const char *uri)
    int agora_sip_get_stats(agora_sip_agent *agent, agora_sip_stats *out)
    void agora_sip_agent_stop(agora_sip_agent *agent)
    void agora_sip_agent_destroy(agora_sip_agent *agent)


cdef extern from "agora_rtc/frame_queue.h" nogil:
    # declared here: the audio-frame observer's on_backlog takes it
    ctypedef struct agora_frame_queue_stats:
        uint64_t pushed
        uint64_t dropped
        uint64_t taken
        uint64_t waiting
        uint64_t batches
        uint64_t merged
        int64_t backlog_ms
        int64_t peak_backlog_ms
        int64_t user_backlog_ms
        int backlog_limit_ms
        size_t max_frames


cdef extern from "agora_rtc/connection.h" nogil:
    int AGORA_MAX_ID_LEN
    int AGORA_MAX_STREAM_MESSAGE
    int AGORA_MAX_AUDIO_METADATA
    int AGORA_MAX_DATA_STREAMS
    int AGORA_STREAM_MESSAGES_PER_SEC
    int AGORA_STREAM_BYTES_PER_SEC

    enum agora_connection_state:
        AGORA_CONN_DISCONNECTED
        AGORA_CONN_CONNECTING
        AGORA_CONN_CONNECTED
        AGORA_CONN_RECONNECTING
        AGORA_CONN_FAILED

    ctypedef struct agora_rtc_conn:
        pass

    ctypedef struct agora_audio_volume_info:
        char user_id[65]
        int volume
        int vad
        float voice_pitch

    int AGORA_AUDIO_CODEC_OPUS
    int AGORA_AUDIO_CODEC_PCMA
    int AGORA_AUDIO_CODEC_PCMU
    int AGORA_AUDIO_CODEC_G722
    int AGORA_AUDIO_CODEC_AACLC
    int AGORA_AUDIO_CODEC_HEAAC
    int AGORA_AUDIO_CODEC_HEAAC2
    int AGORA_MAX_ENCODED_AUDIO_BYTES
    ctypedef struct agora_encoded_audio_info:
        int codec
        int sample_rate
        int channels
        int samples_per_channel
        int speech
        int64_t capture_time_ms

    int AGORA_ACTIVE_SPEAKER_MIN_VOLUME
    int AGORA_VOLUME_INDICATION_MAX_INTERVAL_MS

    enum agora_transport:
        AGORA_TRANSPORT_LOCAL
        AGORA_TRANSPORT_RTP

    ctypedef struct agora_rtc_conn_config:
        int auto_subscribe_audio
        int client_role_type
        int channel_profile
        int playback_sample_rate
        int playback_channels
        int transport

    ctypedef struct agora_rtc_conn_info:
        uint64_t id
        char channel_id[65]
        char local_user_id[65]
        int state
        uint32_t internal_uid

    ctypedef struct agora_rtc_conn_observer:
        void *user_data
        void (*on_connected)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_disconnected)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_connecting)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_connection_failure)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_user_joined)(void *ud, const char *user_id) noexcept
        void (*on_user_left)(void *ud, const char *user_id, int reason) noexcept
        void (*on_connection_lost)(void *ud, const agora_rtc_conn_info *info) noexcept
        void (*on_reconnecting)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_reconnected)(void *ud, const agora_rtc_conn_info *info, int reason) noexcept
        void (*on_transport_stats)(void *ud, int interval_ms) noexcept

    ctypedef struct agora_local_user_observer:
        void *user_data
        void (*on_audio_track_publish_success)(void *ud) noexcept
        void (*on_audio_track_unpublished)(void *ud) noexcept
        void (*on_user_audio_track_subscribed)(void *ud, const char *user_id) noexcept
        void (*on_user_audio_track_state_changed)(void *ud, const char *user_id, int state,
                                                  int reason, int elapsed_ms) noexcept
        void (*on_first_remote_audio_frame)(void *ud, const char *user_id, int elapsed_ms) noexcept
        void (*on_stream_message)(void *ud, const char *user_id, int stream_id,
                                  const uint8_t *data, size_t length) noexcept
        void (*on_audio_meta_data_received)(void *ud, const char *user_id,
                                            const uint8_t *data, size_t length) noexcept
        void (*on_audio_push_completed)(void *ud, int round_ms) noexcept
        void (*on_audio_track_stats)(void *ud, int interval_ms) noexcept
        void (*on_audio_volume_indication)(void *ud, const agora_audio_volume_info *speakers,
                                           unsigned speaker_number, int total_volume) noexcept
        void (*on_active_speaker)(void *ud, const char *user_id) noexcept
        void (*on_encoded_audio_frame)(void *ud, const char *user_id, const uint8_t *data,
                                       size_t length, const agora_encoded_audio_info *info) noexcept
        void (*on_encoded_audio_backlog)(void *ud, const agora_frame_queue_stats *stats) noexcept
        void (*on_dtmf_received)(void *ud, const char *user_id, int event, int duration_ms) noexcept

    ctypedef struct agora_audio_frame_observer:
        void *user_data
        void (*on_playback_audio_frame_before_mixing)(void *ud, const char *channel_id,
                                                      const char *user_id,
                                                      const agora_audio_frame *frame,
                                                      const agora_vad_result *vad) noexcept
        int any_thread
        void (*on_frames_done)(void *ud) noexcept
        void (*on_backlog)(void *ud, const agora_frame_queue_stats *stats) noexcept

    ctypedef struct agora_interrupt_report:
        int64_t sent_ms
        int64_t dropped_ms
        int64_t last_presentation_ms

    ctypedef struct agora_send_stats:
        uint64_t pushed_samples
        uint64_t sent_frames
        uint64_t dropped_samples
        uint64_t queued_samples
        uint64_t drained_events

    ctypedef struct agora_remote_audio_stats:
        char user_id[65]
        int sample_rate
        int channels
        uint64_t frames_received
        uint64_t bytes_received
        uint64_t packets_lost
        uint64_t frames_concealed
        int jitter_buffer_delay_ms
        int rtp
        uint64_t packets_received
        uint64_t keepalives
        uint64_t packets_played
        uint64_t packets_late
        uint64_t packets_duplicate
        uint64_t packets_dropped
        uint64_t packets_invalid
        uint64_t packets_buffered
        uint64_t packets_stale
        uint64_t frames_fec
        int jitter_buffer_target_ms
        uint64_t frames_stretched
        uint64_t packets_shrunk
        uint64_t stretch_accelerations
        uint64_t stretch_expansions
        int64_t stretch_ms
        uint64_t jitter_buffer_delay_sum_ms

    agora_rtc_conn *agora_rtc_conn_create(agora_service *svc, const agora_rtc_conn_config *cfg)
    void agora_rtc_conn_retain(agora_rtc_conn *conn)
    void agora_rtc_conn_unretain(agora_rtc_conn *conn)
    int agora_rtc_conn_destroy(agora_rtc_conn *conn)
    int agora_rtc_conn_connect(agora_rtc_conn *conn, const char *token, const char *channel_id,
                               const char *user_id)
    int agora_rtc_conn_disconnect(agora_rtc_conn *conn)
    int agora_rtc_conn_get_info(agora_rtc_conn *conn, agora_rtc_conn_info *out)

    int agora_rtc_conn_register_observer(agora_rtc_conn *conn, const agora_rtc_conn_observer *obs)
    int agora_rtc_conn_unregister_observer(agora_rtc_conn *conn)
    int agora_rtc_conn_register_local_user_observer(agora_rtc_conn *conn,
                                                    const agora_local_user_observer *obs)
    int agora_rtc_conn_unregister_local_user_observer(agora_rtc_conn *conn)
    int AGORA_AUDIO_DELIVER_ALL
    int AGORA_AUDIO_DELIVER_SPEECH_ONLY
    int agora_rtc_conn_register_audio_frame_observer(agora_rtc_conn *conn,
                                                     const agora_audio_frame_observer *obs,
                                                     const agora_vad_config *vad_config, int flags)
    int agora_rtc_conn_unregister_audio_frame_observer(agora_rtc_conn *conn)

    int agora_local_user_publish_audio(agora_rtc_conn *conn)
    int agora_local_user_unpublish_audio(agora_rtc_conn *conn)
    int agora_local_user_subscribe_audio(agora_rtc_conn *conn, const char *user_id)
    int agora_local_user_unsubscribe_audio(agora_rtc_conn *conn, const char *user_id)
    int agora_local_user_subscribe_all_audio(agora_rtc_conn *conn)
    int agora_local_user_unsubscribe_all_audio(agora_rtc_conn *conn)
    int agora_local_user_set_playback_audio_frame_before_mixing_parameters(agora_rtc_conn *conn,
                                                                           int channels,
                                                                           int sample_rate)
    int agora_local_user_set_user_role(agora_rtc_conn *conn, int role)
    int agora_rtc_conn_set_audio_processing(agora_rtc_conn *conn, int flags)
    int agora_local_user_set_audio_volume_indication_parameters(agora_rtc_conn *conn, int interval_ms,
                                                                int smooth, int report_vad)

    int agora_rtc_conn_push_audio_pcm(agora_rtc_conn *conn, const int16_t *pcm,
                                      size_t samples_per_channel, int sample_rate, int channels,
                                      int64_t start_pts)
    int agora_rtc_conn_interrupt_audio(agora_rtc_conn *conn, agora_interrupt_report *report)
    int agora_rtc_conn_is_push_completed(agora_rtc_conn *conn)
    int agora_rtc_conn_get_send_stats(agora_rtc_conn *conn, agora_send_stats *out)
    int agora_rtc_conn_get_remote_audio_stats(agora_rtc_conn *conn, agora_remote_audio_stats *out,
                                              int max, int *count, int *users_in_channel)
    int AGORA_MAX_INCREMENTAL_SEND_MS
    int AGORA_MAX_INCREMENTAL_SEND_SPEED
    int agora_rtc_conn_set_incremental_send(agora_rtc_conn *conn, int send_ms, int speed)
    int agora_rtc_conn_push_audio_encoded(agora_rtc_conn *conn, const uint8_t *data, size_t length,
                                          const agora_encoded_audio_info *info)
    int agora_audio_codec_supported(int codec, const char **detail)
    int agora_rtc_conn_set_encoded_audio_delivery(agora_rtc_conn *conn, int on)

    int agora_rtc_conn_create_data_stream(agora_rtc_conn *conn, int *stream_id, int reliable, int ordered)
    int agora_rtc_conn_set_stream_rate_limit(agora_rtc_conn *conn, int enabled)
    int agora_rtc_conn_set_audio_packet_ms(agora_rtc_conn *conn, int ms)
    int AGORA_DEFAULT_OPUS_COMPLEXITY
    int agora_rtc_conn_set_opus_complexity(agora_rtc_conn *conn, int complexity)
    int agora_rtc_conn_send_stream_message_on(agora_rtc_conn *conn, int stream_id,
                                              const uint8_t *data, size_t length)
    int agora_rtc_conn_send_stream_message(agora_rtc_conn *conn, const uint8_t *data, size_t length)
    int agora_rtc_conn_send_dtmf_event(agora_rtc_conn *conn, int key, int duration_ms)
    int agora_rtc_conn_send_audio_meta_data(agora_rtc_conn *conn, const uint8_t *data, size_t length)


cdef extern from "agora_rtc/rtp_transport.h" nogil:
    int AGORA_RTP_SRTP_KEY_LEN

    enum agora_conn_event:
        AGORA_CONN_EVENT_CONNECTED
        AGORA_CONN_EVENT_DISCONNECTED
        AGORA_CONN_EVENT_FAILURE
        AGORA_CONN_EVENT_USER_JOINED
        AGORA_CONN_EVENT_USER_LEFT
        AGORA_CONN_EVENT_LOST
        AGORA_CONN_EVENT_RECONNECTING
        AGORA_CONN_EVENT_RECONNECTED

    ctypedef struct agora_rtp_transport_stats:
        uint16_t local_port
        int remotes
        uint64_t packets_sent
        uint64_t bytes_sent
        uint64_t rtcp_sent
        uint64_t send_errors
        uint64_t encode_errors
        uint64_t packets_received
        uint64_t bytes_received
        uint64_t rtp_received
        uint64_t rtcp_received
        uint64_t unknown_ssrc
        uint64_t malformed
        uint64_t srtp_errors
        uint64_t lost
        uint64_t late
        uint64_t duplicates
        uint64_t jb_dropped
        uint64_t frames_decoded
        uint64_t fec_recoveries
        uint64_t plc_frames
        uint64_t decode_errors
        int current_delay_ms
        int target_delay_ms
        uint64_t rr_received
        int remote_fraction_lost
        int remote_cumulative_lost
        uint32_t remote_jitter
        int video_remotes
        uint64_t video_frames_sent
        uint64_t video_packets_sent
        uint64_t video_refused
        uint64_t video_packets_received
        uint64_t video_frames_received
        uint64_t video_frames_lost
        uint64_t video_frames_skipped
        uint64_t video_late
        uint64_t plis_sent
        uint64_t plis_unsent
        uint64_t plis_received
        uint64_t keepalives_sent
        uint64_t keepalives_received
        uint64_t byes_sent
        uint64_t byes_received
        uint64_t packets_played
        uint64_t packets_not_decoded
        uint64_t jb_invalid
        uint64_t jb_stale
        uint64_t jb_spikes
        uint64_t jb_buffered
        uint64_t latch_received
        int data_remotes
        uint64_t messages_sent
        uint64_t metadata_sent
        uint64_t data_unsent
        uint64_t messages_received
        uint64_t metadata_received
        uint64_t data_dropped
        uint64_t other_payload
        uint64_t dtmf_received
        uint64_t dtmf_sent

    enum agora_rtp_audio_codec:
        AGORA_RTP_AUDIO_OPUS
        AGORA_RTP_AUDIO_PCMU
        AGORA_RTP_AUDIO_PCMA
        AGORA_RTP_AUDIO_G722
    int agora_rtc_conn_rtp_set_audio_codec(agora_rtc_conn *conn, int codec, int payload_type,
                                          int dtmf_payload_type, int packet_ms)
    int agora_rtc_conn_rtp_send_dtmf(agora_rtc_conn *conn, int event, int duration_ms)
    int agora_rtc_conn_rtp_set_send_srtp(agora_rtc_conn *conn, int srtp_suite,
                                         const uint8_t *srtp_key_salt)
    uint32_t AGORA_RTP_SSRC_ANY

    int agora_rtc_conn_rtp_open(agora_rtc_conn *conn, const char *bind_ip, uint16_t *local_port)
    int agora_rtc_conn_rtp_set_publish_target(agora_rtc_conn *conn, const char *ip, uint16_t port,
                                              uint16_t rtcp_port, uint32_t ssrc)
    int agora_rtc_conn_rtp_add_remote(agora_rtc_conn *conn, uint32_t ssrc, const char *user_id,
                                      int srtp_suite, const uint8_t *srtp_key_salt)
    int agora_rtc_conn_rtp_remove_remote(agora_rtc_conn *conn, uint32_t ssrc)
    int agora_rtc_conn_rtp_set_video_publish(agora_rtc_conn *conn, uint32_t ssrc, int codec,
                                             int payload_type)
    int agora_rtc_conn_rtp_add_video_remote(agora_rtc_conn *conn, uint32_t ssrc, const char *user_id,
                                            int codec, int srtp_suite, const uint8_t *srtp_key_salt)
    int agora_rtc_conn_rtp_set_remote_feedback(agora_rtc_conn *conn, uint32_t ssrc, const char *ip,
                                               uint16_t rtcp_port)
    int AGORA_RTP_METADATA_TAG_LEN
    int agora_rtc_conn_rtp_set_data_publish(agora_rtc_conn *conn, uint32_t ssrc)
    int agora_rtc_conn_rtp_add_data_remote(agora_rtc_conn *conn, const char *user_id,
                                           uint16_t *local_port)
    int agora_rtc_conn_rtp_remove_data_remote(agora_rtc_conn *conn, const char *user_id)
    int agora_rtc_conn_post_event(agora_rtc_conn *conn, int event, const char *user_id, int reason)
    int agora_rtc_conn_rtp_get_stats(agora_rtc_conn *conn, agora_rtp_transport_stats *out)
    int AGORA_RTP_KEEPALIVE_MS
    int agora_rtc_conn_rtp_send_bye(agora_rtc_conn *conn)
    ctypedef struct agora_rtp_remote_activity:
        uint32_t ssrc
        int bye
        int64_t idle_ms
    int agora_rtc_conn_rtp_remote_activity(agora_rtc_conn *conn, agora_rtp_remote_activity *out,
                                           int max)


cdef extern from "agora_rtc/frame_queue.h" nogil:
    ctypedef struct agora_queued_frame:
        agora_queued_frame *next
        char channel_id[65]
        char user_id[65]
        agora_audio_frame frame
        int vad_state
        const uint8_t *vad_bytes
        size_t vad_length
        uint64_t seq
        int64_t queued_ns
        unsigned gen
        int warn

    ctypedef struct agora_frame_queue:
        pass

    int AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS
    int AGORA_FRAME_QUEUE_WARN_INTERVAL_MS
    agora_frame_queue *agora_frame_queue_create(size_t max_frames)
    int agora_frame_queue_set_backlog_limit(agora_frame_queue *q, int limit_ms)
    long agora_frame_queue_begin_batch(agora_frame_queue *q)
    agora_queued_frame *agora_frame_queue_pop(agora_frame_queue *q)
    int agora_rtc_conn_set_audio_delivery_limits(agora_rtc_conn *conn, int backlog_ms, size_t max_frames)
    int agora_rtc_conn_get_audio_delivery_stats(agora_rtc_conn *conn, agora_frame_queue_stats *out)
    int agora_rtc_conn_set_encoded_audio_delivery_limits(agora_rtc_conn *conn, int backlog_ms,
                                                         size_t max_frames)
    int agora_rtc_conn_get_encoded_audio_delivery_stats(agora_rtc_conn *conn, agora_frame_queue_stats *out)
    void agora_frame_queue_destroy(agora_frame_queue *q)
    void agora_frame_queue_observer(agora_frame_queue *q, agora_audio_frame_observer *out)
    int agora_frame_queue_fd(const agora_frame_queue *q)
    long agora_frame_queue_wait(agora_frame_queue *q, int timeout_ms)
    agora_queued_frame *agora_frame_queue_take_all(agora_frame_queue *q)
    void agora_queued_frame_free(agora_queued_frame *f)
    void agora_frame_queue_close(agora_frame_queue *q)
    void agora_frame_queue_get_stats(agora_frame_queue *q, agora_frame_queue_stats *out)


cdef extern from "agora_rtc/video.h" nogil:
    enum agora_video_pixel_format:
        AGORA_VIDEO_PIXEL_I420
        AGORA_VIDEO_PIXEL_BGRA
        AGORA_VIDEO_PIXEL_NV21
        AGORA_VIDEO_PIXEL_RGBA
        AGORA_VIDEO_PIXEL_NV12

    enum:
        AGORA_VIDEO_MAX_DIMENSION
        AGORA_VIDEO_MAX_METADATA
        AGORA_VIDEO_MAX_ENCODED
        AGORA_VIDEO_MAX_PENDING

    ctypedef struct agora_external_video_frame:
        int format
        const uint8_t *buffer
        size_t length
        int stride
        int height
        int crop_left, crop_top, crop_right, crop_bottom
        int rotation
        int64_t timestamp
        const uint8_t *metadata
        size_t metadata_length

    ctypedef struct agora_video_frame:
        int type
        int width, height
        int y_stride, u_stride, v_stride
        const uint8_t *y_buffer
        const uint8_t *u_buffer
        const uint8_t *v_buffer
        int rotation
        int64_t render_time_ms
        const uint8_t *metadata
        size_t metadata_length

    ctypedef struct agora_encoded_video_info:
        int codec_type
        int width, height
        int frames_per_second
        int frame_type
        int rotation
        int track_id
        int64_t capture_time_ms
        int64_t decode_time_ms
        uint32_t uid
        int stream_type
        int64_t presentation_ms

    ctypedef struct agora_video_frame_observer:
        void *user_data
        void (*on_frame)(void *ud, const char *channel_id, const char *user_id,
                         const agora_video_frame *frame) noexcept

    ctypedef struct agora_video_encoded_frame_observer:
        void *user_data
        void (*on_encoded_video_frame)(void *ud, const char *user_id, const uint8_t *data,
                                       size_t length, const agora_encoded_video_info *info) noexcept

    ctypedef struct agora_video_user_observer:
        void *user_data
        void (*on_video_track_publish_success)(void *ud) noexcept
        void (*on_video_track_unpublished)(void *ud) noexcept
        void (*on_intra_request_received)(void *ud, const char *from_user_id) noexcept
        void (*on_first_remote_video_frame)(void *ud, const char *user_id, int width, int height,
                                            int elapsed_ms) noexcept
        void (*on_user_video_track_subscribed)(void *ud, const char *channel_id, const char *user_id,
                                               uint32_t owner_uid, int encoded_only) noexcept

    ctypedef struct agora_video_stats:
        uint64_t pushed_frames
        uint64_t pushed_encoded
        uint64_t sent_frames
        uint64_t received_frames
        uint64_t received_encoded
        uint64_t raw_not_encoded
        uint64_t encoded_not_decoded
        uint64_t dropped_backlog
        uint64_t intra_requests
        uint64_t encoded_frames
        uint64_t decoded_frames

    ctypedef struct agora_video_encoder_config:
        int codec_type
        int width
        int height
        int frame_rate
        int bitrate_kbps
        int min_bitrate_kbps
        int orientation_mode

    size_t agora_video_buffer_size(int format, int stride, int height)
    int agora_video_to_i420(const agora_external_video_frame *src, uint8_t *dst_y, int dst_y_stride,
                            uint8_t *dst_u, int dst_u_stride, uint8_t *dst_v, int dst_v_stride)
    int agora_rtc_conn_set_auto_subscribe_video(agora_rtc_conn *conn, int on)
    int agora_rtc_conn_register_video_frame_observer(agora_rtc_conn *conn,
                                                     const agora_video_frame_observer *obs)
    int agora_rtc_conn_unregister_video_frame_observer(agora_rtc_conn *conn)
    int agora_rtc_conn_register_video_encoded_frame_observer(
        agora_rtc_conn *conn, const agora_video_encoded_frame_observer *obs)
    int agora_rtc_conn_unregister_video_encoded_frame_observer(agora_rtc_conn *conn)
    int agora_rtc_conn_register_video_user_observer(agora_rtc_conn *conn,
                                                    const agora_video_user_observer *obs)
    int agora_rtc_conn_unregister_video_user_observer(agora_rtc_conn *conn)
    int agora_local_user_publish_video(agora_rtc_conn *conn)
    int agora_local_user_unpublish_video(agora_rtc_conn *conn)
    int agora_local_user_subscribe_video(agora_rtc_conn *conn, const char *user_id, int encoded_only)
    int agora_local_user_unsubscribe_video(agora_rtc_conn *conn, const char *user_id)
    int agora_local_user_subscribe_all_video(agora_rtc_conn *conn, int encoded_only)
    int agora_local_user_unsubscribe_all_video(agora_rtc_conn *conn)
    int agora_local_user_send_intra_request(agora_rtc_conn *conn, const char *user_id)
    int agora_rtc_conn_push_video_frame(agora_rtc_conn *conn, const agora_external_video_frame *frame)
    int agora_rtc_conn_set_video_encoder(agora_rtc_conn *conn, const agora_video_encoder_config *cfg)
    int agora_video_encoder_supported(int codec, const char **detail)
    int agora_rtc_conn_push_video_encoded(agora_rtc_conn *conn, const uint8_t *data, size_t length,
                                          const agora_encoded_video_info *info)
    int agora_rtc_conn_get_video_stats(agora_rtc_conn *conn, agora_video_stats *out)


cdef extern from "agora_rtc/video_rtp.h" nogil:
    enum agora_video_rtp_codec:
        AGORA_VIDEO_RTP_VP8
        AGORA_VIDEO_RTP_H264

    enum:
        AGORA_VIDEO_RTP_MIN_PAYLOAD
        AGORA_VIDEO_RTP_MAX_PAYLOAD
        AGORA_VIDEO_RTP_RESYNC
        AGORA_VP8_DESCRIPTOR_SIZE

    ctypedef struct agora_video_packetizer:
        int codec
        const uint8_t *frame
        size_t len
        size_t max_payload
        size_t pos
        uint16_t picture_id
        int first
        const uint8_t *nal
        size_t nal_len
        size_t nal_sent
        size_t fu_packets_left
        int done

    int agora_vp8_packetizer_start(agora_video_packetizer *p, const uint8_t *frame, size_t len,
                                   uint16_t picture_id, size_t max_payload)
    int agora_h264_packetizer_start(agora_video_packetizer *p, const uint8_t *annexb, size_t len,
                                    size_t max_payload)
    int agora_video_packetizer_next(agora_video_packetizer *p, uint8_t *out, size_t cap, int *marker)

    enum agora_video_depack_result:
        AGORA_VIDEO_DEPACK_NEED_MORE
        AGORA_VIDEO_DEPACK_FRAME_READY
        AGORA_VIDEO_DEPACK_FRAME_LOST
        AGORA_VIDEO_DEPACK_FRAME_SKIPPED

    ctypedef struct agora_video_rtp_frame:
        const uint8_t *data
        size_t len
        uint32_t rtp_ts
        int keyframe
        int width, height

    ctypedef struct agora_video_depacketizer:
        int codec
        uint8_t *buf
        size_t cap
        size_t len
        int have_seq
        uint16_t last_seq
        int late_run
        int in_frame
        int frame_broken
        uint32_t frame_ts
        int frame_key
        int in_fu
        size_t nal_off
        size_t sps_off, sps_len
        int vcl_seen
        int waiting_keyframe
        int ready
        agora_video_rtp_frame out
        uint64_t frames_ready, frames_lost, frames_skipped, packets_ignored

    int agora_video_depacketizer_init(agora_video_depacketizer *d, int codec, size_t max_frame_bytes)
    void agora_video_depacketizer_free(agora_video_depacketizer *d)
    void agora_video_depacketizer_reset(agora_video_depacketizer *d)
    int agora_video_depacketizer_push(agora_video_depacketizer *d, uint16_t seq, uint32_t rtp_ts,
                                      int marker, const uint8_t *payload, size_t len)
    int agora_video_depacketizer_frame(const agora_video_depacketizer *d, agora_video_rtp_frame *out)
    int agora_video_depacketizer_waiting_keyframe(const agora_video_depacketizer *d)

    int agora_vp8_frame_info(const uint8_t *frame, size_t len, int *width, int *height)
    int agora_h264_sps_dimensions(const uint8_t *nal, size_t len, int *width, int *height)


cdef extern from "agora_rtc/turn_detector.h" nogil:
    enum: AGORA_TURN_NFEATURES

    ctypedef struct agora_turn_frame:
        float dbfs
        int pitch_hz
        int active

    ctypedef struct agora_turn_features:
        float v[AGORA_TURN_NFEATURES]
        int has_speech
        int pause_frames

    ctypedef struct agora_turn_model:
        float mean[AGORA_TURN_NFEATURES]
        float scale[AGORA_TURN_NFEATURES]
        float w[AGORA_TURN_NFEATURES]
        float base_wait_ms
        float min_wait_ms
        float max_wait_ms

    void agora_turn_model_default(agora_turn_model *m)
    int agora_turn_model_validate(const agora_turn_model *m)
    void agora_turn_features_compute(const agora_turn_frame *frames, int n, agora_turn_features *out)
    float agora_turn_model_need_ms(const agora_turn_model *m, const agora_turn_features *f)
    float agora_turn_decide(const agora_turn_model *m, const agora_turn_frame *frames, int n,
                            float pause_ms, agora_turn_features *features_out)
